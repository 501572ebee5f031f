/**
 * A Terminal tab for catalog entities: an interactive shell in a container of the entity's
 * Kubernetes pods.
 *
 * @packageDocumentation
 */

export { kubernetesTerminalPlugin, EntityTerminalContent } from './plugin';
export { rootRouteRef } from './routes';
export {
  isKubernetesTerminalAvailable,
  KUBERNETES_ID_ANNOTATION,
  KUBERNETES_LABEL_SELECTOR_ANNOTATION,
} from './conditions';
export * from './api';
export type { TerminalTarget } from './types';
export { KubernetesTerminal } from './components/KubernetesTerminal';
export type { KubernetesTerminalProps } from './components/KubernetesTerminal';
export { TerminalTargetPicker } from './components/TerminalTargetPicker';
export type { TerminalTargetPickerProps } from './components/TerminalTargetPicker';
