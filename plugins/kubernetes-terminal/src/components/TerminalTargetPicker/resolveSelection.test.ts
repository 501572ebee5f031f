import { singleContainer, twoClusters } from '../../__testUtils__/fixtures';
import { resolveSelection } from './resolveSelection';

describe('resolveSelection', () => {
  it('chooses every level that has a single option', () => {
    expect(resolveSelection(singleContainer, undefined).target).toEqual({
      cluster: 'local',
      namespace: 'default',
      pod: 'web-1',
      container: 'app',
    });
  });

  it('waits for a choice where there are several options', () => {
    const resolved = resolveSelection(twoClusters, undefined);
    expect(resolved.selection).toEqual({});
    expect(resolved.target).toBeUndefined();
  });

  it('cascades from a cluster', () => {
    const resolved = resolveSelection(twoClusters, { cluster: 'staging' });
    expect(resolved.target).toEqual({
      cluster: 'staging',
      namespace: 'shop',
      pod: 'web-s',
      container: 'app',
    });
  });

  it('lists namespaces, pods and containers of the choice', () => {
    const resolved = resolveSelection(twoClusters, {
      cluster: 'prod',
      namespace: 'shop',
      pod: 'web-1',
    });
    expect(resolved.namespaces).toEqual(['jobs', 'shop']);
    expect(resolved.pods.map(p => p.name)).toEqual(['web-1', 'web-2']);
    expect(resolved.containers.map(c => c.name)).toEqual(['app', 'sidecar']);
    expect(resolved.target).toBeUndefined();
  });

  it('drops a choice that no longer exists and everything below it', () => {
    const resolved = resolveSelection(twoClusters, {
      cluster: 'prod',
      namespace: 'shop',
      pod: 'web-9',
      container: 'app',
    });
    expect(resolved.selection).toEqual({ cluster: 'prod', namespace: 'shop' });
  });

  it('never chooses a cluster that failed', () => {
    expect(
      resolveSelection(twoClusters, { cluster: 'edge' }).selection,
    ).toEqual({});
  });
});
