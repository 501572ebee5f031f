import { api, podManifest, TEST_SEED } from '../__testUtils__/sandboxTest';
import { SandboxCluster, startSandbox } from '../index';

describe('REST API surface', () => {
  let sandbox: SandboxCluster;

  beforeAll(async () => {
    sandbox = await startSandbox({ seed: TEST_SEED, startDelayMs: 50 });
  });
  afterAll(() => sandbox.close());

  describe('discovery', () => {
    it('serves legacy discovery documents', async () => {
      const versions = await api(sandbox, 'GET', '/api');
      expect(versions.body).toMatchObject({
        kind: 'APIVersions',
        versions: ['v1'],
      });

      const core = await api(sandbox, 'GET', '/api/v1');
      const names = core.body.resources.map((r: any) => r.name);
      expect(names).toEqual(
        expect.arrayContaining([
          'namespaces',
          'pods',
          'pods/exec',
          'secrets',
          'serviceaccounts',
          'serviceaccounts/token',
          'events',
        ]),
      );
      expect(
        core.body.resources.find((r: any) => r.name === 'pods'),
      ).toMatchObject({ kind: 'Pod', namespaced: true, shortNames: ['po'] });

      const groups = await api(sandbox, 'GET', '/apis');
      expect(groups.body.kind).toBe('APIGroupList');
      expect(groups.body.groups.map((g: any) => g.name)).toEqual(
        expect.arrayContaining([
          'rbac.authorization.k8s.io',
          'networking.k8s.io',
          'authorization.k8s.io',
          'authentication.k8s.io',
        ]),
      );
      const rbac = await api(
        sandbox,
        'GET',
        '/apis/rbac.authorization.k8s.io/v1',
      );
      expect(rbac.body.resources.map((r: any) => r.name)).toEqual([
        'roles',
        'rolebindings',
        'clusterroles',
        'clusterrolebindings',
      ]);
      expect(
        (await api(sandbox, 'GET', '/apis/networking.k8s.io')).body
          .preferredVersion.version,
      ).toBe('v1');
    });

    it('answers an aggregated-discovery Accept header with the legacy form', async () => {
      const res = await api(sandbox, 'GET', '/apis', {
        headers: {
          Accept:
            'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json',
        },
      });
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('application/json');
      expect(res.body.kind).toBe('APIGroupList');
    });

    it('serves /version and health without credentials, nothing else', async () => {
      expect(
        (await api(sandbox, 'GET', '/version', { token: null })).body
          .gitVersion,
      ).toMatch(/^v1\./);
      expect(
        (await api(sandbox, 'GET', '/healthz', { token: null })).text,
      ).toBe('ok');
      const res = await api(sandbox, 'GET', '/api/v1/namespaces', {
        token: null,
      });
      expect(res.status).toBe(401);
      expect(res.body).toMatchObject({
        kind: 'Status',
        apiVersion: 'v1',
        status: 'Failure',
        reason: 'Unauthorized',
        code: 401,
      });
      expect(
        (await api(sandbox, 'GET', '/version', { token: 'wrong' })).status,
      ).toBe(401);
    });
  });

  describe('objects', () => {
    it('creates pods with defaults, a growing resourceVersion and a Pending→Running status', async () => {
      const a = await api(sandbox, 'POST', '/api/v1/namespaces/demo/pods', {
        body: podManifest('api-a', { labels: { tier: 'a' } }),
      });
      const b = await api(sandbox, 'POST', '/api/v1/namespaces/demo/pods', {
        body: podManifest('api-b', { labels: { tier: 'b' } }),
      });
      expect(a.status).toBe(201);
      expect(a.body.metadata).toMatchObject({
        name: 'api-a',
        namespace: 'demo',
        generation: 1,
      });
      expect(a.body.metadata.uid).toMatch(/^[0-9a-f-]{36}$/);
      expect(a.body.metadata.creationTimestamp).toMatch(
        /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/,
      );
      expect(Number(b.body.metadata.resourceVersion)).toBeGreaterThan(
        Number(a.body.metadata.resourceVersion),
      );
      expect(a.body.status.phase).toBe('Pending');
      expect(a.body.spec).toMatchObject({
        serviceAccountName: 'default',
        restartPolicy: 'Always',
        nodeName: 'sandbox-node',
      });

      await new Promise(r => setTimeout(r, 150));
      const got = await api(
        sandbox,
        'GET',
        '/api/v1/namespaces/demo/pods/api-a',
      );
      expect(got.body.status).toMatchObject({
        phase: 'Running',
        hostIP: '127.0.0.1',
      });
      expect(got.body.status.podIP).toMatch(/^10\.244\./);
      expect(got.body.status.containerStatuses[0]).toMatchObject({
        name: 'main',
        ready: true,
        started: true,
        restartCount: 0,
      });
      expect(
        got.body.status.containerStatuses[0].state.running.startedAt,
      ).toBeDefined();
      expect(got.body.status.conditions.map((c: any) => c.type)).toEqual(
        expect.arrayContaining([
          'Ready',
          'ContainersReady',
          'Initialized',
          'PodScheduled',
        ]),
      );
    });

    it('lists with label and field selectors, as a typed list with a resourceVersion', async () => {
      const byLabel = await api(
        sandbox,
        'GET',
        '/api/v1/namespaces/demo/pods?labelSelector=tier%20in%20(a,c)',
      );
      expect(byLabel.body.kind).toBe('PodList');
      expect(byLabel.body.apiVersion).toBe('v1');
      expect(Number(byLabel.body.metadata.resourceVersion)).toBeGreaterThan(0);
      expect(byLabel.body.items.map((p: any) => p.metadata.name)).toEqual([
        'api-a',
      ]);
      const byField = await api(
        sandbox,
        'GET',
        '/api/v1/pods?fieldSelector=metadata.name%3Dapi-b,metadata.namespace%3Ddemo',
      );
      expect(byField.body.items.map((p: any) => p.metadata.name)).toEqual([
        'api-b',
      ]);
      const notTier = await api(
        sandbox,
        'GET',
        '/api/v1/namespaces/demo/pods?labelSelector=!tier',
      );
      expect(notTier.body.items.map((p: any) => p.metadata.name)).toEqual([
        'shell',
      ]);
      const bad = await api(
        sandbox,
        'GET',
        '/api/v1/pods?fieldSelector=spec.bogus%3Dx',
      );
      expect(bad.status).toBe(400);
      expect(bad.body.message).toContain(
        'field label not supported: spec.bogus',
      );
    });

    it('pages lists with limit and continue', async () => {
      const first = await api(
        sandbox,
        'GET',
        '/api/v1/namespaces/demo/pods?limit=2',
      );
      expect(first.body.items).toHaveLength(2);
      expect(first.body.metadata.continue).toBeTruthy();
      const rest = await api(
        sandbox,
        'GET',
        `/api/v1/namespaces/demo/pods?limit=2&continue=${first.body.metadata.continue}`,
      );
      const names = [...first.body.items, ...rest.body.items].map(
        (p: any) => p.metadata.name,
      );
      expect(names).toEqual(['api-a', 'api-b', 'shell']);
      expect(rest.body.metadata.continue).toBeUndefined();
    });

    it('serves Tables for kubectl, and partial metadata', async () => {
      const accept =
        'application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json';
      const table = await api(sandbox, 'GET', '/api/v1/namespaces/demo/pods', {
        headers: { Accept: accept },
      });
      expect(table.body).toMatchObject({
        kind: 'Table',
        apiVersion: 'meta.k8s.io/v1',
      });
      expect(
        table.body.columnDefinitions.slice(0, 5).map((c: any) => c.name),
      ).toEqual(['Name', 'Ready', 'Status', 'Restarts', 'Age']);
      const shell = table.body.rows.find((r: any) => r.cells[0] === 'shell');
      expect(shell.cells.slice(1, 4)).toEqual(['2/2', 'Running', '0']);
      expect(shell.object.kind).toBe('PartialObjectMetadata');
      const ns = await api(sandbox, 'GET', '/api/v1/namespaces/demo', {
        headers: { Accept: accept },
      });
      expect(ns.body.rows[0].cells.slice(0, 2)).toEqual(['demo', 'Active']);
      const partial = await api(
        sandbox,
        'GET',
        '/api/v1/namespaces/demo/pods',
        {
          headers: {
            Accept:
              'application/json;as=PartialObjectMetadataList;v=v1;g=meta.k8s.io',
          },
        },
      );
      expect(partial.body.kind).toBe('PartialObjectMetadataList');
      expect(partial.body.items[0].spec).toBeUndefined();
    });

    it('updates with optimistic concurrency and patches', async () => {
      const pod = (
        await api(sandbox, 'GET', '/api/v1/namespaces/demo/pods/api-b')
      ).body;
      pod.metadata.labels.extra = 'yes';
      const updated = await api(
        sandbox,
        'PUT',
        '/api/v1/namespaces/demo/pods/api-b',
        { body: pod },
      );
      expect(updated.status).toBe(200);
      const stale = await api(
        sandbox,
        'PUT',
        '/api/v1/namespaces/demo/pods/api-b',
        { body: pod },
      );
      expect(stale.status).toBe(409);
      expect(stale.body).toMatchObject({ reason: 'Conflict', code: 409 });
      expect(stale.body.message).toBe(
        'Operation cannot be fulfilled on pods "api-b": the object has been modified; please apply your changes to the latest version and try again',
      );

      const merge = await api(
        sandbox,
        'PATCH',
        '/api/v1/namespaces/demo/pods/api-b',
        {
          body: { metadata: { labels: { extra: null, patched: 'merge' } } },
          headers: { 'Content-Type': 'application/merge-patch+json' },
        },
      );
      expect(merge.body.metadata.labels).toMatchObject({ patched: 'merge' });
      expect(merge.body.metadata.labels.extra).toBeUndefined();
      const jsonPatch = await api(
        sandbox,
        'PATCH',
        '/api/v1/namespaces/demo/pods/api-b',
        {
          body: [
            {
              op: 'add',
              path: '/metadata/annotations',
              value: { note: 'json-patch' },
            },
          ],
          headers: { 'Content-Type': 'application/json-patch+json' },
        },
      );
      expect(jsonPatch.body.metadata.annotations).toEqual({
        note: 'json-patch',
      });
      const spec = await api(
        sandbox,
        'PATCH',
        '/api/v1/namespaces/demo/pods/api-b',
        {
          body: { spec: { restartPolicy: 'Never' } },
          headers: { 'Content-Type': 'application/strategic-merge-patch+json' },
        },
      );
      expect(spec.status).toBe(422);
      expect(spec.body.message).toContain(
        'pod updates may not change fields other than',
      );
    });

    it('generates names and stores secrets base64-encoded', async () => {
      const res = await api(
        sandbox,
        'POST',
        '/api/v1/namespaces/demo/secrets',
        {
          body: {
            metadata: { generateName: 'gen-' },
            stringData: { token: 'abc' },
          },
        },
      );
      expect(res.status).toBe(201);
      expect(res.body.metadata.name).toMatch(
        /^gen-[bcdfghjklmnpqrstvwxz2456789]{5}$/,
      );
      expect(res.body).toMatchObject({
        kind: 'Secret',
        apiVersion: 'v1',
        type: 'Opaque',
        data: { token: 'YWJj' },
      });
      expect(res.body.stringData).toBeUndefined();
    });

    it('deletes: pods come back with deletionTimestamp, others as a Success Status', async () => {
      const pod = await api(
        sandbox,
        'DELETE',
        '/api/v1/namespaces/demo/pods/api-a',
      );
      expect(pod.status).toBe(200);
      expect(pod.body.kind).toBe('Pod');
      expect(pod.body.metadata.deletionTimestamp).toBeDefined();
      await api(sandbox, 'POST', '/api/v1/namespaces/demo/configmaps', {
        body: { metadata: { name: 'cm' }, data: { a: 'b' } },
      });
      const cm = await api(
        sandbox,
        'DELETE',
        '/api/v1/namespaces/demo/configmaps/cm',
      );
      expect(cm.body).toMatchObject({
        kind: 'Status',
        status: 'Success',
        details: { name: 'cm', kind: 'configmaps' },
      });
      expect(
        (await api(sandbox, 'GET', '/api/v1/namespaces/demo/pods/api-a'))
          .status,
      ).toBe(404);
    });
  });
});
