/**
 * A Terminal tab for catalog entities: an interactive shell in a container of the entity's
 * Kubernetes pods; a Terminal sessions page with live sessions and the audit log; and a card of an
 * entity's recent sessions.
 *
 * @packageDocumentation
 */

export {
  kubernetesTerminalPlugin,
  EntityTerminalContent,
  EntityTerminalSessionsCard,
  KubernetesTerminalSessionsPage,
} from './plugin';
export {
  rootRouteRef,
  terminalSessionRouteRef,
  terminalSessionsRouteRef,
} from './routes';
export {
  isKubernetesTerminalAvailable,
  KUBERNETES_ID_ANNOTATION,
  KUBERNETES_LABEL_SELECTOR_ANNOTATION,
} from './conditions';
export * from './api';
export type {
  TerminalSessionPodTarget,
  TerminalSessionTarget,
  TerminalTarget,
} from './types';
export { KubernetesTerminal } from './components/KubernetesTerminal';
export type { KubernetesTerminalProps } from './components/KubernetesTerminal';
export { TerminalTargetPicker } from './components/TerminalTargetPicker';
export type { TerminalTargetPickerProps } from './components/TerminalTargetPicker';
export type { EntityTerminalSessionsCardProps } from './components/EntityTerminalSessionsCard';
