/**
 * Backend of the kubernetes-terminal plugins: resolves an entity's pods through the standard
 * `kubernetes` config and relays browser terminals to their exec streams.
 *
 * @packageDocumentation
 */

export { kubernetesTerminalPlugin as default } from './plugin';
export {
  kubernetesTerminalClustersExtensionPoint,
  type KubernetesTerminalClustersExtensionPoint,
} from './extensions';
