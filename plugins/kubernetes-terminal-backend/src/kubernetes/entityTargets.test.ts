import type { Entity } from '@backstage/catalog-model';
import { entityWorkloadSelector } from './entityTargets';

function entity(annotations: Record<string, string>): Entity {
  return {
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Component',
    metadata: { name: 'shop', annotations },
    spec: {},
  };
}

describe('entityWorkloadSelector', () => {
  it('selects by backstage.io/kubernetes-id like the Kubernetes plugin', () => {
    expect(
      entityWorkloadSelector(
        entity({ 'backstage.io/kubernetes-id': 'shop-api' }),
      ),
    ).toEqual({
      annotated: true,
      labelSelector: 'backstage.io/kubernetes-id=shop-api',
      namespace: undefined,
      cluster: undefined,
    });
  });

  it('prefers the label selector annotation and honours namespace and cluster', () => {
    expect(
      entityWorkloadSelector(
        entity({
          'backstage.io/kubernetes-id': 'ignored',
          'backstage.io/kubernetes-label-selector': 'app=shop,tier in (web)',
          'backstage.io/kubernetes-namespace': 'shop',
          'backstage.io/kubernetes-cluster': 'prod',
        }),
      ),
    ).toEqual({
      annotated: true,
      labelSelector: 'app=shop,tier in (web)',
      namespace: 'shop',
      cluster: 'prod',
    });
  });

  it('marks an entity without kubernetes annotations', () => {
    expect(entityWorkloadSelector(entity({})).annotated).toBe(false);
  });
});
