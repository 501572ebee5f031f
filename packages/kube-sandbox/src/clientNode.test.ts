import { PassThrough, Readable } from 'node:stream';
import * as k8s from '@kubernetes/client-node';
import { TEST_SEED, waitFor } from './__testUtils__/sandboxTest';
import { SandboxCluster, startSandbox } from './index';

/** The client library the Backstage kubernetes plugins use, over both URLs the sandbox offers. */
describe('@kubernetes/client-node against the sandbox', () => {
  let sandbox: SandboxCluster;
  let https: k8s.KubeConfig;
  let http: k8s.KubeConfig;

  beforeAll(async () => {
    sandbox = await startSandbox({ seed: TEST_SEED, startDelayMs: 200 });
    https = new k8s.KubeConfig();
    https.loadFromString(sandbox.kubeconfig());
    // What a Backstage cluster entry with an http `url`, `serviceAccountToken` and `skipTLSVerify: true`
    // amounts to: client-node 2.x refuses http:// servers unless skipTLSVerify is set.
    http = new k8s.KubeConfig();
    http.loadFromOptions({
      clusters: [{ name: 'sandbox', server: sandbox.url, skipTLSVerify: true }],
      users: [{ name: 'portal', token: sandbox.adminToken }],
      contexts: [{ name: 'sandbox', cluster: 'sandbox', user: 'portal' }],
      currentContext: 'sandbox',
    });
  });
  afterAll(() => sandbox.close());

  it('lists, creates and deletes pods with label selectors (CoreV1Api)', async () => {
    for (const kc of [https, http]) {
      const core = kc.makeApiClient(k8s.CoreV1Api);
      const name = `cn-${kc === https ? 'tls' : 'plain'}`;
      await core.createNamespacedPod({
        namespace: 'demo',
        body: {
          metadata: { name, labels: { 'backstage.io/kubernetes-id': name } },
          spec: { containers: [{ name: 'c', image: 'example/app:1' }] },
        },
      });
      const list = await core.listNamespacedPod({
        namespace: 'demo',
        labelSelector: `backstage.io/kubernetes-id=${name}`,
      });
      expect(list.items.map(p => p.metadata?.name)).toEqual([name]);
      expect(list.items[0].status?.phase).toBe('Pending');
      await core.deleteNamespacedPod({ name, namespace: 'demo' });
      const after = await core.listNamespacedPod({
        namespace: 'demo',
        labelSelector: `backstage.io/kubernetes-id=${name}`,
      });
      expect(after.items).toEqual([]);
    }
    const missing = await https
      .makeApiClient(k8s.CoreV1Api)
      .readNamespacedPod({ name: 'ghost', namespace: 'demo' })
      .catch(e => e);
    expect(missing.code).toBe(404);
    expect(JSON.parse(missing.body)).toMatchObject({
      kind: 'Status',
      reason: 'NotFound',
    });
  });

  it('watches a pod go from Pending to Running to deleted', async () => {
    const events: Array<[string, string | undefined, boolean]> = [];
    const core = https.makeApiClient(k8s.CoreV1Api);
    const watch = new k8s.Watch(https);
    const done = new Promise<unknown>(resolve => {
      watch
        .watch(
          '/api/v1/namespaces/demo/pods',
          { labelSelector: 'app=watched' },
          (type, pod: k8s.V1Pod) => {
            events.push([
              type,
              pod.status?.phase,
              !!pod.metadata?.deletionTimestamp,
            ]);
          },
          resolve,
        )
        .then(controller => {
          (done as any).abort = () => controller.abort();
        });
    });
    await new Promise(r => setTimeout(r, 100));
    await core.createNamespacedPod({
      namespace: 'demo',
      body: {
        metadata: { name: 'watched', labels: { app: 'watched' } },
        spec: { containers: [{ name: 'c', image: 'x' }] },
      },
    });
    await waitFor(() => events.some(e => e[1] === 'Running'), 10000, 'Running');
    await core.deleteNamespacedPod({ name: 'watched', namespace: 'demo' });
    await waitFor(() => events.some(e => e[0] === 'DELETED'), 10000, 'DELETED');
    (done as any).abort();
    expect(events).toEqual([
      ['ADDED', 'Pending', false],
      ['MODIFIED', 'Running', false],
      ['MODIFIED', 'Running', true],
      ['DELETED', 'Running', true],
    ]);
  });

  it('execs without a tty, reporting the exit status', async () => {
    for (const kc of [https, http]) {
      const stdout = new PassThrough();
      const stderr = new PassThrough();
      let out = '';
      let err = '';
      stdout.on('data', d => (out += d));
      stderr.on('data', d => (err += d));
      const status = await new Promise<k8s.V1Status>((resolve, reject) => {
        new k8s.Exec(kc)
          .exec(
            'demo',
            'shell',
            'main',
            ['sh', '-c', 'cat; echo oops >&2; exit 5'],
            stdout,
            stderr,
            Readable.from(['from stdin\n']),
            false,
            resolve,
          )
          .catch(reject);
      });
      expect(out).toBe('from stdin\n');
      expect(err).toBe('oops\n');
      expect(status).toMatchObject({
        status: 'Failure',
        reason: 'NonZeroExitCode',
        details: { causes: [{ reason: 'ExitCode', message: '5' }] },
      });
    }
  });

  it('execs with a tty that follows the terminal size, and reports a missing shell', async () => {
    // A stand-in for process.stdout of a terminal: client-node sends its size and resizes.
    const stdout = Object.assign(new PassThrough(), { rows: 33, columns: 111 });
    let out = '';
    stdout.on('data', d => (out += d));
    const stdin = new PassThrough();
    const status = new Promise<k8s.V1Status>((resolve, reject) => {
      new k8s.Exec(https)
        .exec(
          'demo',
          'shell',
          'main',
          ['bash'],
          stdout,
          null,
          stdin,
          true,
          resolve,
        )
        .catch(reject);
    });
    stdin.write('stty size\r');
    await waitFor(() => /33 111/.test(out), 10000, 'initial size');
    Object.assign(stdout, { rows: 44, columns: 99 });
    stdout.emit('resize');
    // The resize and the keystrokes travel in order over one socket, so the shell sees the new size.
    stdin.write('stty size; exit\r');
    expect((await status).status).toBe('Success');
    expect(out).toMatch(/44 99/);

    const missing = await new Promise<k8s.V1Status>((resolve, reject) => {
      new k8s.Exec(https)
        .exec(
          'demo',
          'shell',
          'minimal',
          ['bash'],
          new PassThrough(),
          null,
          new PassThrough(),
          true,
          resolve,
        )
        .catch(reject);
    });
    expect(missing).toMatchObject({
      status: 'Failure',
      code: 500,
      reason: 'InternalError',
    });
  });

  it('requests service-account tokens (TokenRequest)', async () => {
    const core = https.makeApiClient(k8s.CoreV1Api);
    const tr = await core.createNamespacedServiceAccountToken({
      name: 'default',
      namespace: 'demo',
      body: {
        spec: {
          audiences: ['https://kubernetes.default.svc.cluster.local'],
          expirationSeconds: 600,
        },
      },
    });
    expect(tr.status?.token).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
    expect(tr.status?.expirationTimestamp).toBeInstanceOf(Date);
    const asSa = new k8s.KubeConfig();
    asSa.loadFromOptions({
      clusters: [{ name: 's', server: sandbox.url, skipTLSVerify: true }],
      users: [{ name: 'sa', token: tr.status!.token }],
      contexts: [{ name: 's', cluster: 's', user: 'sa' }],
      currentContext: 's',
    });
    const review = await asSa
      .makeApiClient(k8s.AuthenticationV1Api)
      .createSelfSubjectReview({ body: {} });
    expect(review.status?.userInfo?.username).toBe(
      'system:serviceaccount:demo:default',
    );
  });
});
