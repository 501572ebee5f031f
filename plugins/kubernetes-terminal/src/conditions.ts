import type { Entity } from '@backstage/catalog-model';

// Same values as @backstage/plugin-kubernetes-common, which this package does not depend on.
/** @public */
export const KUBERNETES_ID_ANNOTATION = 'backstage.io/kubernetes-id';
/** @public */
export const KUBERNETES_LABEL_SELECTOR_ANNOTATION =
  'backstage.io/kubernetes-label-selector';

/**
 * Whether an entity has the annotations that locate its workloads in Kubernetes, for use in
 * `EntitySwitch` and tab filters.
 *
 * @public
 */
export function isKubernetesTerminalAvailable(entity: Entity): boolean {
  const annotations = entity.metadata.annotations ?? {};
  return Boolean(
    annotations[KUBERNETES_ID_ANNOTATION] ||
      annotations[KUBERNETES_LABEL_SELECTOR_ANNOTATION],
  );
}
