export { KubernetesTerminal } from './KubernetesTerminal';
export type { KubernetesTerminalProps } from './KubernetesTerminal';
