import { createExtensionTester } from '@backstage/frontend-test-utils';
import { EntityContentBlueprint } from '@backstage/plugin-catalog-react/alpha';
import plugin, { entityKubernetesTerminalContent } from './alpha';

describe('alpha', () => {
  it('is the kubernetes-terminal plugin', () => {
    expect(plugin.id).toBe('kubernetes-terminal');
  });

  it('adds a Terminal tab for entities with Kubernetes annotations', () => {
    const tester = createExtensionTester(entityKubernetesTerminalContent);
    expect(tester.get(EntityContentBlueprint.dataRefs.title)).toBe('Terminal');
    const filter = tester.get(EntityContentBlueprint.dataRefs.filterFunction);
    const entity = (annotations: Record<string, string>) => ({
      apiVersion: 'backstage.io/v1alpha1',
      kind: 'Component',
      metadata: { name: 'web', annotations },
    });
    expect(filter?.(entity({ 'backstage.io/kubernetes-id': 'web' }))).toBe(
      true,
    );
    expect(
      filter?.(entity({ 'backstage.io/kubernetes-label-selector': 'app=web' })),
    ).toBe(true);
    expect(filter?.(entity({}))).toBe(false);
  });
});
