export { kubernetesTerminalApiRef } from './KubernetesTerminalApi';
export type {
  KubernetesTerminalApi,
  TerminalAuditExport,
  TerminalAuditExportFormat,
} from './KubernetesTerminalApi';
export { KubernetesTerminalClient } from './KubernetesTerminalClient';
export type { WebSocketFactory } from './KubernetesTerminalClient';
