import { createHash } from 'node:crypto';
import { RESOURCE_TYPES } from '../resources';
import { ObjectStore } from '../store/ObjectStore';
import { KubeObject } from '../types';

/*
 * metrics.k8s.io/v1beta1 PodMetrics, computed from running pods with small, stable made-up usage, so
 * Backstage's Kubernetes tab (which asks for pod metrics unless skipMetricsLookup is set) and
 * `kubectl top pod` have something to show instead of an error.
 */

function usage(seed: string): { cpu: string; memory: string } {
  const h = createHash('sha256').update(seed).digest();
  return { cpu: `${1 + (h[0] % 20)}m`, memory: `${16 + (h[1] % 112)}Mi` };
}

export function podMetrics(
  store: ObjectStore,
  namespace?: string,
): KubeObject[] {
  const timestamp = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
  return store
    .list(RESOURCE_TYPES.pods, namespace)
    .filter(pod => pod.status?.phase === 'Running')
    .map(pod => ({
      apiVersion: 'metrics.k8s.io/v1beta1',
      kind: 'PodMetrics',
      metadata: {
        name: pod.metadata.name,
        namespace: pod.metadata.namespace,
        labels: pod.metadata.labels,
        creationTimestamp: timestamp,
      },
      timestamp,
      window: '15s',
      containers: (pod.spec?.containers ?? []).map((c: any) => ({
        name: c.name,
        usage: usage(`${pod.metadata.uid}/${c.name}`),
      })),
    }));
}
