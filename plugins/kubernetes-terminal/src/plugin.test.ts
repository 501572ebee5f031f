import type { Entity } from '@backstage/catalog-model';
import { isKubernetesTerminalAvailable, kubernetesTerminalPlugin } from '.';

const entity = (annotations?: Record<string, string>): Entity => ({
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'Component',
  metadata: { name: 'web', annotations },
});

describe('kubernetes-terminal', () => {
  it('exports the plugin', () => {
    expect(kubernetesTerminalPlugin.getId()).toBe('kubernetes-terminal');
  });

  it('is available for entities with Kubernetes annotations', () => {
    expect(isKubernetesTerminalAvailable(entity())).toBe(false);
    expect(
      isKubernetesTerminalAvailable(
        entity({ 'backstage.io/kubernetes-id': 'web' }),
      ),
    ).toBe(true);
    expect(
      isKubernetesTerminalAvailable(
        entity({ 'backstage.io/kubernetes-label-selector': 'app=web' }),
      ),
    ).toBe(true);
  });
});
