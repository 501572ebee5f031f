import { applyPatch } from './patch';

const SMP = 'application/strategic-merge-patch+json';
const MERGE = 'application/merge-patch+json';

describe('strategic merge patch', () => {
  const pod = {
    spec: {
      containers: [
        { name: 'app', image: 'app:1', env: [{ name: 'A', value: '1' }] },
        { name: 'sidecar', image: 'side:1' },
      ],
      tolerations: [{ key: 'x' }],
    },
  };

  it('merges keyed lists item by item, appends new items, deletes on $patch: delete', () => {
    const patched = applyPatch(SMP, pod, {
      spec: {
        $setElementOrder: 'ignored',
        containers: [
          { name: 'app', env: [{ name: 'B', value: '2' }] },
          { name: 'sidecar', $patch: 'delete' },
          { name: 'debug', image: 'busybox' },
        ],
      },
    }) as any;
    expect(patched.spec.containers).toEqual([
      {
        name: 'app',
        image: 'app:1',
        env: [
          { name: 'A', value: '1' },
          { name: 'B', value: '2' },
        ],
      },
      { name: 'debug', image: 'busybox' },
    ]);
    expect(patched.spec.$setElementOrder).toBeUndefined();
    expect(pod.spec.containers).toHaveLength(2);
  });

  it('replaces lists in a JSON merge patch, as RFC 7386 says', () => {
    const patched = applyPatch(MERGE, pod, {
      spec: { containers: [{ name: 'debug', image: 'busybox' }] },
    }) as any;
    expect(patched.spec.containers).toEqual([
      { name: 'debug', image: 'busybox' },
    ]);
  });
});
