import http from 'node:http';
import {
  api,
  podManifest,
  TEST_SEED,
  waitFor,
} from '../__testUtils__/sandboxTest';
import {
  FAIL_ANNOTATION,
  SandboxCluster,
  START_DELAY_ANNOTATION,
  startSandbox,
} from '../index';

/** Opens a watch and collects its newline-delimited events. */
function watch(sandbox: SandboxCluster, path: string) {
  const events: any[] = [];
  let ended = false;
  const req = http.get(
    `${sandbox.url}${path}`,
    { headers: { Authorization: `Bearer ${sandbox.adminToken}` } },
    res => {
      let buffer = '';
      res.setEncoding('utf8');
      res.on('data', chunk => {
        buffer += chunk;
        const lines = buffer.split('\n');
        buffer = lines.pop()!;
        for (const line of lines) events.push(JSON.parse(line));
      });
      res.on('end', () => {
        ended = true;
      });
    },
  );
  req.on('error', () => undefined);
  return { events, isEnded: () => ended, stop: () => req.destroy() };
}

describe('object lifecycle', () => {
  let sandbox: SandboxCluster;

  beforeAll(async () => {
    sandbox = await startSandbox({ seed: TEST_SEED, startDelayMs: 100 });
  });
  afterAll(() => sandbox.close());

  it('streams ADDED, MODIFIED and DELETED to a filtered watch as a pod starts and goes', async () => {
    const start = (await api(sandbox, 'GET', '/api/v1/namespaces/demo/pods'))
      .body.metadata.resourceVersion;
    const w = watch(
      sandbox,
      `/api/v1/namespaces/demo/pods?watch=1&labelSelector=app%3Dwatched&resourceVersion=${start}`,
    );
    await api(sandbox, 'POST', '/api/v1/namespaces/demo/pods', {
      body: podManifest('noise'),
    });
    await api(sandbox, 'POST', '/api/v1/namespaces/demo/pods', {
      body: podManifest('watched', { labels: { app: 'watched' } }),
    });
    await waitFor(
      () =>
        w.events.some(
          e => e.type === 'MODIFIED' && e.object.status.phase === 'Running',
        ),
      10000,
      'Running',
    );
    await api(sandbox, 'DELETE', '/api/v1/namespaces/demo/pods/watched');
    await waitFor(
      () => w.events.some(e => e.type === 'DELETED'),
      10000,
      'DELETED',
    );
    w.stop();

    expect(w.events.every(e => e.object.metadata.name === 'watched')).toBe(
      true,
    );
    const types = w.events.map(
      e =>
        `${e.type}:${e.object.status.phase}${
          e.object.metadata.deletionTimestamp ? ':terminating' : ''
        }`,
    );
    expect(types).toEqual([
      'ADDED:Pending',
      'MODIFIED:Running',
      'MODIFIED:Running:terminating',
      'DELETED:Running:terminating',
    ]);
    const rvs = w.events.map(e => Number(e.object.metadata.resourceVersion));
    expect([...rvs].sort((a, b) => a - b)).toEqual(rvs);
    expect(new Set(rvs).size).toBe(rvs.length);
  });

  it('replays from a resourceVersion, starts with the current state without one, and ends on timeoutSeconds', async () => {
    const rv = (await api(sandbox, 'GET', '/api/v1/namespaces')).body.metadata
      .resourceVersion;
    await api(sandbox, 'POST', '/api/v1/namespaces', {
      body: { metadata: { name: 'replayed' } },
    });
    const replay = watch(
      sandbox,
      `/api/v1/namespaces?watch=true&resourceVersion=${rv}&timeoutSeconds=1`,
    );
    const fresh = watch(
      sandbox,
      '/api/v1/namespaces?watch=true&fieldSelector=metadata.name%3Ddemo&timeoutSeconds=1',
    );
    await waitFor(
      () => replay.isEnded() && fresh.isEnded(),
      10000,
      'watch timeout',
    );
    expect(replay.events.map(e => [e.type, e.object.metadata.name])).toEqual([
      ['ADDED', 'replayed'],
    ]);
    expect(fresh.events.map(e => [e.type, e.object.metadata.name])).toEqual([
      ['ADDED', 'demo'],
    ]);
  });

  it('reports objects leaving a selector as DELETED', async () => {
    await api(sandbox, 'POST', '/api/v1/namespaces/demo/configmaps', {
      body: { metadata: { name: 'mover', labels: { keep: 'yes' } } },
    });
    const w = watch(
      sandbox,
      '/api/v1/namespaces/demo/configmaps?watch=true&labelSelector=keep%3Dyes',
    );
    await waitFor(() => w.events.length === 1, 10000, 'initial ADDED');
    await api(sandbox, 'PATCH', '/api/v1/namespaces/demo/configmaps/mover', {
      body: { metadata: { labels: { keep: 'no' } } },
      headers: { 'Content-Type': 'application/merge-patch+json' },
    });
    await waitFor(() => w.events.length === 2, 10000, 'DELETED');
    w.stop();
    expect(w.events.map(e => e.type)).toEqual(['ADDED', 'DELETED']);
  });

  it('garbage-collects dependents through ownerReferences, unless orphaned', async () => {
    const owner = (
      await api(sandbox, 'POST', '/api/v1/namespaces/demo/pods', {
        body: podManifest('owner'),
      })
    ).body;
    const ref = {
      apiVersion: 'v1',
      kind: 'Pod',
      name: 'owner',
      uid: owner.metadata.uid,
    };
    await api(sandbox, 'POST', '/api/v1/namespaces/demo/secrets', {
      body: { metadata: { name: 'owned', ownerReferences: [ref] } },
    });
    await api(sandbox, 'POST', '/api/v1/namespaces/demo/configmaps', {
      body: {
        metadata: {
          name: 'grandchild',
          ownerReferences: [
            {
              apiVersion: 'v1',
              kind: 'Secret',
              name: 'owned',
              uid: (
                await api(
                  sandbox,
                  'GET',
                  '/api/v1/namespaces/demo/secrets/owned',
                )
              ).body.metadata.uid,
            },
          ],
        },
      },
    });
    await api(
      sandbox,
      'POST',
      '/apis/rbac.authorization.k8s.io/v1/namespaces/demo/roles',
      {
        body: {
          metadata: { name: 'owned-role', ownerReferences: [ref] },
          rules: [],
        },
      },
    );
    await api(sandbox, 'POST', '/api/v1/namespaces/other/secrets', {
      body: { metadata: { name: 'elsewhere', ownerReferences: [ref] } },
    });

    await api(sandbox, 'DELETE', '/api/v1/namespaces/demo/pods/owner');
    expect(
      (await api(sandbox, 'GET', '/api/v1/namespaces/demo/secrets/owned'))
        .status,
    ).toBe(404);
    expect(
      (
        await api(
          sandbox,
          'GET',
          '/api/v1/namespaces/demo/configmaps/grandchild',
        )
      ).status,
    ).toBe(404);
    expect(
      (
        await api(
          sandbox,
          'GET',
          '/apis/rbac.authorization.k8s.io/v1/namespaces/demo/roles/owned-role',
        )
      ).status,
    ).toBe(404);
    // A namespaced owner cannot own objects in another namespace.
    expect(
      (await api(sandbox, 'GET', '/api/v1/namespaces/other/secrets/elsewhere'))
        .status,
    ).toBe(200);

    const owner2 = (
      await api(sandbox, 'POST', '/api/v1/namespaces/demo/pods', {
        body: podManifest('owner2'),
      })
    ).body;
    await api(sandbox, 'POST', '/api/v1/namespaces/demo/secrets', {
      body: {
        metadata: {
          name: 'orphan',
          ownerReferences: [
            {
              apiVersion: 'v1',
              kind: 'Pod',
              name: 'owner2',
              uid: owner2.metadata.uid,
            },
          ],
        },
      },
    });
    await api(
      sandbox,
      'DELETE',
      '/api/v1/namespaces/demo/pods/owner2?propagationPolicy=Orphan',
    );
    expect(
      (await api(sandbox, 'GET', '/api/v1/namespaces/demo/secrets/orphan'))
        .status,
    ).toBe(200);
  });

  it('gives every namespace a default service account and the root CA, and deletes its contents with it', async () => {
    await api(sandbox, 'POST', '/api/v1/namespaces', {
      body: { metadata: { name: 'doomed' } },
    });
    expect(
      (
        await api(
          sandbox,
          'GET',
          '/api/v1/namespaces/doomed/serviceaccounts/default',
        )
      ).status,
    ).toBe(200);
    expect(
      (
        await api(
          sandbox,
          'GET',
          '/api/v1/namespaces/doomed/configmaps/kube-root-ca.crt',
        )
      ).body.data,
    ).toEqual({ 'ca.crt': sandbox.caCertificate });
    await api(sandbox, 'POST', '/api/v1/namespaces/doomed/pods', {
      body: podManifest('inside'),
    });
    const res = await api(sandbox, 'DELETE', '/api/v1/namespaces/doomed');
    expect(res.body.status.phase).toBe('Terminating');
    expect(
      (await api(sandbox, 'GET', '/api/v1/namespaces/doomed/pods/inside'))
        .status,
    ).toBe(404);
    expect(
      (
        await api(
          sandbox,
          'GET',
          '/api/v1/namespaces/doomed/serviceaccounts/default',
        )
      ).status,
    ).toBe(404);
    expect(
      (
        await api(sandbox, 'POST', '/api/v1/namespaces/doomed/pods', {
          body: podManifest('late'),
        })
      ).status,
    ).toBe(404);
  });

  it('shows a declared image-pull failure with events, and stays Pending', async () => {
    await api(sandbox, 'POST', '/api/v1/namespaces/demo/pods', {
      body: podManifest('broken', {
        annotations: {
          [FAIL_ANNOTATION]: 'ImagePullBackOff',
          [START_DELAY_ANNOTATION]: '0',
        },
      }),
    });
    const pod = await waitFor(
      async () => {
        const p = (
          await api(sandbox, 'GET', '/api/v1/namespaces/demo/pods/broken')
        ).body;
        return p.status.containerStatuses[0].state.waiting?.reason ===
          'ImagePullBackOff'
          ? p
          : undefined;
      },
      10000,
      'ImagePullBackOff',
    );
    expect(pod.status.phase).toBe('Pending');
    const events = await api(
      sandbox,
      'GET',
      '/api/v1/namespaces/demo/events?fieldSelector=involvedObject.name%3Dbroken',
    );
    expect(events.body.items.map((e: any) => e.reason)).toEqual(
      expect.arrayContaining(['Failed', 'BackOff']),
    );
    expect(events.body.items[0]).toMatchObject({
      involvedObject: { kind: 'Pod', name: 'broken', uid: pod.metadata.uid },
      source: { component: 'kubelet' },
    });
  });

  it('fails a pod past its activeDeadlineSeconds', async () => {
    await api(sandbox, 'POST', '/api/v1/namespaces/demo/pods', {
      body: podManifest('short-lived', {
        spec: { activeDeadlineSeconds: 1 },
        annotations: { [START_DELAY_ANNOTATION]: '0' },
      }),
    });
    const pod = await waitFor(
      async () => {
        const p = (
          await api(sandbox, 'GET', '/api/v1/namespaces/demo/pods/short-lived')
        ).body;
        return p.status.phase === 'Failed' ? p : undefined;
      },
      10000,
      'DeadlineExceeded',
    );
    expect(pod.status).toMatchObject({
      reason: 'DeadlineExceeded',
      message: 'Pod was active on the node longer than the specified deadline',
    });
    expect(pod.status.containerStatuses[0].state.terminated.exitCode).toBe(137);
  });
});
