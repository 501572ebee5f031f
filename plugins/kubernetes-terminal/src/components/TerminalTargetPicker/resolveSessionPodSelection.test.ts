import { sessionPodClusters } from '../../__testUtils__/fixtures';
import { resolveSessionPodSelection } from './resolveSessionPodSelection';

describe('resolveSessionPodSelection', () => {
  it('waits for a choice where there are several clusters', () => {
    const resolved = resolveSessionPodSelection(sessionPodClusters(), {});
    expect(resolved.selection).toEqual({});
    expect(resolved.target).toBeUndefined();
  });

  it('lists the sorted namespaces and completes a single one', () => {
    const prod = resolveSessionPodSelection(sessionPodClusters(), {
      cluster: 'prod',
    });
    expect(prod.namespaces).toEqual(['jobs', 'shop']);
    expect(prod.target).toBeUndefined();
    expect(
      resolveSessionPodSelection(sessionPodClusters(), { cluster: 'staging' })
        .target,
    ).toEqual({ kind: 'session-pod', cluster: 'staging', namespace: 'shop' });
  });

  it('drops a namespace that is not offered', () => {
    expect(
      resolveSessionPodSelection(sessionPodClusters(), {
        cluster: 'prod',
        namespace: 'kube-system',
      }).selection,
    ).toEqual({ cluster: 'prod' });
  });

  it('never chooses a cluster without the mode, the permission or a namespace', () => {
    expect(
      resolveSessionPodSelection(sessionPodClusters(), { cluster: 'edge' })
        .selection,
    ).toEqual({});
    expect(
      resolveSessionPodSelection(sessionPodClusters({ canCreate: false }), {
        cluster: 'prod',
      }).selection,
    ).toEqual({});
    expect(
      resolveSessionPodSelection(sessionPodClusters({ namespaces: [] }), {
        cluster: 'prod',
      }).selection,
    ).toEqual({});
  });
});
