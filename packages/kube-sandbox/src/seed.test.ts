import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { imageTools, orderedObjects, parseSeed, podManifest } from './seed';
import { EXAMPLE_SEED } from './__testUtils__/sandboxTest';

describe('seed', () => {
  it('reads the example seed', () => {
    const seed = parseSeed(EXAMPLE_SEED);
    expect(seed.users.map(u => u.name)).toEqual([
      'admin',
      'portal',
      'developer',
    ]);
    expect(seed.users.find(u => u.name === 'portal')!.token).toBe(
      'sandbox-portal-token',
    );
    expect(seed.pods.map(p => `${p.namespace}/${p.name}`)).toEqual([
      'demo/demo-service-7d9f8b6c5-abcde',
      'demo/demo-service-7d9f8b6c5-fghij',
      'other/billing-worker-5c6d7e8f9-klmno',
    ]);
    expect(imageTools(seed)['kubectl-shell']).toContain('kubectl');
  });

  it('turns compact pods into manifests that carry their tools', () => {
    const pod = podManifest({
      name: 'p',
      namespace: 'demo',
      containers: [
        {
          name: 'c',
          image: 'img',
          shells: ['sh'],
          tools: ['ls'],
          env: { A: '1' },
        },
      ],
      fail: 'ErrImagePull',
      startDelayMs: 5,
    });
    expect(pod.metadata.annotations).toEqual({
      'tools.sandbox.kubernetes-terminal.io/c': 'sh,ls',
      'sandbox.kubernetes-terminal.io/fail': 'ErrImagePull',
      'sandbox.kubernetes-terminal.io/start-delay-ms': '5',
    });
    expect(pod.spec.containers[0]).toEqual({
      name: 'c',
      image: 'img',
      env: [{ name: 'A', value: '1' }],
    });
  });

  it('orders manifests so that what others depend on comes first', () => {
    const seed = parseSeed({
      objects: [
        { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' } },
        {
          apiVersion: 'v1',
          kind: 'List',
          items: [
            {
              apiVersion: 'v1',
              kind: 'ServiceAccount',
              metadata: { name: 's' },
            },
          ],
        },
        { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'n' } },
      ],
    });
    expect(orderedObjects(seed).map(o => o.kind)).toEqual([
      'Namespace',
      'ServiceAccount',
      'Pod',
    ]);
  });

  it('explains what is wrong with a bad seed', () => {
    const file = path.join(
      fs.mkdtempSync(path.join(os.tmpdir(), 'seed-')),
      'bad.yaml',
    );
    fs.writeFileSync(
      file,
      'pods:\n  - name: x\n    containers: []\nusres: []\n',
    );
    expect(() => parseSeed(file)).toThrow(
      /invalid .*bad\.yaml:\n {2}pods\.0\.containers: Array must contain at least 1 element\(s\)\n {2}\(root\): Unrecognized key\(s\) in object: 'usres'/,
    );
    expect(() => parseSeed('/does/not/exist.yaml')).toThrow(
      'cannot read seed file /does/not/exist.yaml',
    );
  });
});
