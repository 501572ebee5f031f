import { coreExtensionData } from '@backstage/frontend-plugin-api';
import { createExtensionTester } from '@backstage/frontend-test-utils';
import {
  EntityCardBlueprint,
  EntityContentBlueprint,
} from '@backstage/plugin-catalog-react/alpha';
import plugin, {
  entityKubernetesTerminalContent,
  entityTerminalSessionsCard,
  kubernetesTerminalSessionsPage,
} from './alpha';
import { terminalSessionsRouteRef } from './routes';

const entity = (annotations: Record<string, string>) => ({
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'Component',
  metadata: { name: 'web', annotations },
});

describe('alpha', () => {
  it('is the kubernetes-terminal plugin', () => {
    expect(plugin.id).toBe('kubernetes-terminal');
  });

  it('adds a Terminal tab for entities with Kubernetes annotations', () => {
    const tester = createExtensionTester(entityKubernetesTerminalContent);
    expect(tester.get(EntityContentBlueprint.dataRefs.title)).toBe('Terminal');
    const filter = tester.get(EntityContentBlueprint.dataRefs.filterFunction);
    expect(filter?.(entity({ 'backstage.io/kubernetes-id': 'web' }))).toBe(
      true,
    );
    expect(
      filter?.(entity({ 'backstage.io/kubernetes-label-selector': 'app=web' })),
    ).toBe(true);
    expect(filter?.(entity({}))).toBe(false);
  });

  it('adds the Terminal sessions page, which the app lists in its nav', () => {
    expect(plugin.getExtension('page:kubernetes-terminal')).toMatchObject({
      kind: 'page',
      namespace: 'kubernetes-terminal',
    });
    const tester = createExtensionTester(kubernetesTerminalSessionsPage);
    expect(tester.get(coreExtensionData.routePath)).toBe(
      '/kubernetes-terminal',
    );
    expect(tester.get(coreExtensionData.title)).toBe('Terminals');
    expect(tester.get(coreExtensionData.icon)).toBeDefined();
    expect(tester.get(coreExtensionData.routeRef)).toBe(
      terminalSessionsRouteRef,
    );
  });

  it('adds a Recent terminal sessions card for entities with Kubernetes annotations', () => {
    expect(
      plugin.getExtension('entity-card:kubernetes-terminal/terminal-sessions'),
    ).toMatchObject({ kind: 'entity-card', name: 'terminal-sessions' });
    const tester = createExtensionTester(entityTerminalSessionsCard);
    const filter = tester.get(EntityCardBlueprint.dataRefs.filterFunction);
    expect(filter?.(entity({ 'backstage.io/kubernetes-id': 'web' }))).toBe(
      true,
    );
    expect(filter?.(entity({}))).toBe(false);
  });
});
