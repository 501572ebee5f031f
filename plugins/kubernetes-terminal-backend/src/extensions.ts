import { createExtensionPoint } from '@backstage/backend-plugin-api';
import type {
  AuthenticationStrategy,
  KubernetesClustersSupplier,
} from '@backstage/plugin-kubernetes-node';

/**
 * What a backend module can add to the kubernetes-terminal plugin's clusters, as it does for the
 * Kubernetes plugin (`kubernetesAuthStrategyExtensionPoint`, `kubernetesClusterSupplierExtensionPoint`):
 * an auth strategy under the `authProvider` key clusters name, and suppliers of more clusters.
 *
 * @public
 */
export interface KubernetesTerminalClustersExtensionPoint {
  /** Clusters whose `authProvider` is `key` get their credential from this strategy (replacing a built-in one). */
  addAuthStrategy(key: string, strategy: AuthenticationStrategy): void;
  /** More clusters, asked for at start and every minute, beside those of `kubernetes.clusterLocatorMethods`. */
  addClusterSupplier(supplier: KubernetesClustersSupplier): void;
}

/**
 * The extension point of {@link KubernetesTerminalClustersExtensionPoint}.
 *
 * @public
 */
export const kubernetesTerminalClustersExtensionPoint =
  createExtensionPoint<KubernetesTerminalClustersExtensionPoint>({
    id: 'kubernetes-terminal.clusters',
  });
