import http from 'node:http';
import { api, podManifest, TEST_SEED } from '../__testUtils__/sandboxTest';
import { SandboxCluster, startSandbox } from '../index';

describe('errors are Status objects', () => {
  let sandbox: SandboxCluster;

  beforeAll(async () => {
    sandbox = await startSandbox({ seed: TEST_SEED, startDelayMs: 50 });
  });
  afterAll(() => sandbox.close());

  const cases: Array<
    [string, string, string, any, number, string, string | RegExp]
  > = [
    [
      'missing object',
      'GET',
      '/api/v1/namespaces/demo/pods/nope',
      undefined,
      404,
      'NotFound',
      'pods "nope" not found',
    ],
    [
      'missing RBAC object',
      'GET',
      '/apis/rbac.authorization.k8s.io/v1/clusterroles/nope',
      undefined,
      404,
      'NotFound',
      'clusterroles.rbac.authorization.k8s.io "nope" not found',
    ],
    [
      'unknown resource',
      'GET',
      '/api/v1/namespaces/demo/widgets',
      undefined,
      404,
      'NotFound',
      'the server could not find the requested resource',
    ],
    [
      'unknown group',
      'GET',
      '/apis/example.com/v1/things',
      undefined,
      404,
      'NotFound',
      'the server could not find the requested resource',
    ],
    [
      'missing namespace',
      'POST',
      '/api/v1/namespaces/ghost/pods',
      podManifest('x'),
      404,
      'NotFound',
      'namespaces "ghost" not found',
    ],
    [
      'duplicate',
      'POST',
      '/api/v1/namespaces',
      { metadata: { name: 'demo' } },
      409,
      'AlreadyExists',
      'namespaces "demo" already exists',
    ],
    [
      'bad pod name',
      'POST',
      '/api/v1/namespaces/demo/pods',
      podManifest('Bad_Name'),
      422,
      'Invalid',
      /^Pod "Bad_Name" is invalid: metadata\.name: Invalid value: "Bad_Name": a lowercase RFC 1123 subdomain/,
    ],
    [
      'bad namespace name',
      'POST',
      '/api/v1/namespaces',
      { metadata: { name: 'a.b' } },
      422,
      'Invalid',
      /^Namespace "a\.b" is invalid: metadata\.name: Invalid value: "a\.b": a lowercase RFC 1123 label/,
    ],
    [
      'no containers',
      'POST',
      '/api/v1/namespaces/demo/pods',
      { metadata: { name: 'empty' }, spec: {} },
      422,
      'Invalid',
      'Pod "empty" is invalid: spec.containers: Required value',
    ],
    [
      'no name',
      'POST',
      '/api/v1/namespaces/demo/secrets',
      { metadata: {} },
      422,
      'Invalid',
      /metadata\.name: Required value: name or generateName is required/,
    ],
    [
      'wrong kind',
      'POST',
      '/api/v1/namespaces/demo/pods',
      { apiVersion: 'v1', kind: 'Secret', metadata: { name: 's' } },
      400,
      'BadRequest',
      /cannot be handled as a Pod/,
    ],
    [
      'unknown service account',
      'POST',
      '/api/v1/namespaces/demo/pods',
      podManifest('sa', { spec: { serviceAccountName: 'ghost' } }),
      403,
      'Forbidden',
      'pods "sa" is forbidden: error looking up service account demo/ghost: serviceaccount "ghost" not found',
    ],
    [
      'bad label selector',
      'GET',
      '/api/v1/pods?labelSelector=a%20in%20b',
      undefined,
      400,
      'BadRequest',
      /unable to parse requirement/,
    ],
    [
      'method on collection',
      'DELETE',
      '/api/v1/namespaces',
      undefined,
      405,
      'MethodNotAllowed',
      'the server does not allow this method on the requested resource',
    ],
    [
      'exec without upgrade',
      'POST',
      '/api/v1/namespaces/demo/pods/shell/exec?command=sh&stdout=true',
      undefined,
      400,
      'BadRequest',
      'Upgrade request required',
    ],
  ];
  it.each(cases)(
    '%s',
    async (_what, method, url, body, code, reason, message) => {
      const res = await api(sandbox, method, url, { body });
      expect(res.status).toBe(code);
      expect(res.body).toMatchObject({
        kind: 'Status',
        apiVersion: 'v1',
        status: 'Failure',
        code,
        reason,
      });
      expect(res.body.message).toEqual(
        expect.stringMatching(
          typeof message === 'string' ? `^${escapeRegExp(message)}$` : message,
        ),
      );
    },
  );

  it('rejects malformed JSON, unsupported media types and oversized bodies', async () => {
    const malformed = await api(
      sandbox,
      'POST',
      '/api/v1/namespaces/demo/pods',
      {
        raw: '{"metadata": ',
        headers: { 'Content-Type': 'application/json' },
      },
    );
    expect(malformed.status).toBe(400);
    expect(malformed.body.reason).toBe('BadRequest');
    const yaml = await api(sandbox, 'POST', '/api/v1/namespaces/demo/pods', {
      raw: 'kind: Pod',
      headers: { 'Content-Type': 'application/yaml' },
    });
    expect(yaml.status).toBe(415);
    expect(yaml.body.reason).toBe('UnsupportedMediaType');
    const huge = await api(
      sandbox,
      'POST',
      '/api/v1/namespaces/demo/configmaps',
      {
        raw: JSON.stringify({
          metadata: { name: 'huge' },
          data: { a: 'x'.repeat(4 * 1024 * 1024) },
        }),
        headers: { 'Content-Type': 'application/json' },
      },
    );
    expect(huge.status).toBe(413);
    expect(huge.body).toMatchObject({
      reason: 'RequestEntityTooLarge',
      message: 'Request entity too large: limit is 3145728',
    });
  });

  it('survives a barrage of bad requests and keeps answering', async () => {
    const bad: Array<Promise<unknown>> = [];
    const paths = [
      '/api/v1/namespaces/%zz/pods',
      '/api/v1/namespaces//pods',
      '/apis',
      '/apis/',
      '/api/v1/namespaces/demo/pods/shell/exec/extra',
      '/api/v1/namespaces/demo/pods/shell/nope',
      '/api/v9/pods',
      '/apis/rbac.authorization.k8s.io/v9/roles',
      '/../../etc/passwd',
      '/api/v1/namespaces/demo/pods?limit=abc&continue=%%%',
      '/api/v1/namespaces/demo/pods?watch=true&resourceVersion=abc',
      '/api/v1/namespaces/demo/pods?labelSelector=((((',
      '/api/v1/pods?fieldSelector=%3D%3D%3D',
    ];
    for (const p of paths) {
      for (const method of [
        'GET',
        'POST',
        'PUT',
        'PATCH',
        'DELETE',
        'OPTIONS',
      ]) {
        bad.push(
          api(sandbox, method, p, {
            raw: method === 'GET' ? undefined : '{not json',
            headers: { 'Content-Type': 'application/json' },
          }).catch(e => e),
        );
      }
    }
    for (const body of [
      null,
      42,
      'str',
      [],
      { metadata: 'x' },
      { metadata: { name: 7 } },
      { metadata: { name: 'ok', labels: { 'bad key!': 'v' } } },
      { metadata: { name: 'ok2' }, spec: { containers: 'no' } },
    ]) {
      bad.push(api(sandbox, 'POST', '/api/v1/namespaces/demo/pods', { body }));
    }
    bad.push(
      api(sandbox, 'POST', '/api/v1/namespaces/demo/pods', {
        raw: Buffer.from([0xff, 0xfe, 0x00, 0x01]),
        headers: { 'Content-Type': 'application/vnd.kubernetes.protobuf' },
      }),
    );
    bad.push(api(sandbox, 'GET', '/api/v1/pods', { token: 'x'.repeat(10000) }));
    bad.push(
      new Promise(resolve => {
        // A raw request that is not HTTP at all.
        const socket = require('node:net').connect(
          sandbox.port,
          '127.0.0.1',
          () => socket.end('NOT HTTP\r\n\r\n'),
        );
        socket.on('close', resolve);
        socket.on('error', resolve);
        socket.resume();
      }),
    );
    const results = (await Promise.all(bad)) as any[];
    const failures = results.filter(
      r => typeof r?.status === 'number' && r.status >= 400,
    );
    expect(failures.length).toBeGreaterThan(50);
    expect(
      failures.filter(
        r => r.status >= 500 || (r.body && r.body.kind !== 'Status'),
      ),
    ).toEqual([]);
    const ok = await api(sandbox, 'GET', '/api/v1/namespaces/demo/pods/shell');
    expect(ok.status).toBe(200);
  });

  it('refuses a chunked body that grows past the limit without crashing', async () => {
    const status = await new Promise<number>((resolve, reject) => {
      const req = http.request(
        `${sandbox.url}/api/v1/namespaces/demo/configmaps`,
        {
          method: 'POST',
          headers: {
            Authorization: `Bearer ${sandbox.adminToken}`,
            'Content-Type': 'application/json',
          },
        },
        res => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      );
      req.on('error', reject);
      const chunk = 'x'.repeat(512 * 1024);
      for (let i = 0; i < 8; i++) req.write(chunk);
      req.end();
    });
    expect(status).toBe(413);
    expect((await api(sandbox, 'GET', '/healthz')).status).toBe(200);
  });
});

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
