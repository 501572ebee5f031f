export { kubernetesTerminalApiRef } from './KubernetesTerminalApi';
export type { KubernetesTerminalApi } from './KubernetesTerminalApi';
export { KubernetesTerminalClient } from './KubernetesTerminalClient';
export type { WebSocketFactory } from './KubernetesTerminalClient';
