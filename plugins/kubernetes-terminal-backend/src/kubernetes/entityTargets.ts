import type { Entity } from '@backstage/catalog-model';
import {
  KUBERNETES_ANNOTATION,
  KUBERNETES_LABEL_SELECTOR_QUERY_ANNOTATION,
} from '@backstage/plugin-kubernetes-common';

/** @internal */
export const KUBERNETES_NAMESPACE_ANNOTATION =
  'backstage.io/kubernetes-namespace';
/** @internal */
export const KUBERNETES_CLUSTER_ANNOTATION = 'backstage.io/kubernetes-cluster';

/**
 * Where an entity's workloads are, selected exactly as the Kubernetes plugin selects them.
 *
 * @internal
 */
export interface EntityWorkloadSelector {
  annotated: boolean;
  labelSelector: string;
  namespace?: string;
  cluster?: string;
}

/** @internal */
export function entityWorkloadSelector(entity: Entity): EntityWorkloadSelector {
  const annotations = entity.metadata.annotations ?? {};
  const id = annotations[KUBERNETES_ANNOTATION] || entity.metadata.name;
  const labelSelector =
    annotations[KUBERNETES_LABEL_SELECTOR_QUERY_ANNOTATION] ||
    `${KUBERNETES_ANNOTATION}=${id}`;
  return {
    annotated: Boolean(
      annotations[KUBERNETES_ANNOTATION] ||
        annotations[KUBERNETES_LABEL_SELECTOR_QUERY_ANNOTATION],
    ),
    labelSelector,
    namespace: annotations[KUBERNETES_NAMESPACE_ANNOTATION] || undefined,
    cluster: annotations[KUBERNETES_CLUSTER_ANNOTATION] || undefined,
  };
}
