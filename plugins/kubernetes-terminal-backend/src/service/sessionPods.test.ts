import { AuthorizeResult } from '@backstage/plugin-permission-common';
import {
  formatProgressLine,
  parseAsciicast,
} from '@kubernetes-terminal/backstage-plugin-kubernetes-terminal-common';
import { eventually } from '../__testUtils__/eventually';
import {
  ALICE,
  ENTITY,
  alias,
  jwtClaims,
  messagesOf,
  objectsOf,
  sessionPodHarness,
} from '../__testUtils__/sessionPodHarness';
import {
  startTerminalTestEnv,
  type TerminalTestEnv,
} from '../__testUtils__/terminalBackend';
import { sessionPodName } from '../sessionPods/names';
import { textBody } from '../__testUtils__/textBody';

jest.setTimeout(60_000);

const BOB = 'user:default/bob';
const CAROL = 'user:default/carol';
const ERIN = 'user:default/erin';
const MALLORY = 'user:default/mallory';
const GRACE = 'user:default/grace';
const HEIDI = 'user:default/heidi';

/** Mallory may open terminals but not start session pods. */
function decide(permission: string, user: string) {
  return permission === 'kubernetes.terminal.sessionPod.create' &&
    user === MALLORY
    ? AuthorizeResult.DENY
    : AuthorizeResult.ALLOW;
}

describe('kubectl session pods', () => {
  let env: TerminalTestEnv;
  const { api, open, connected, closeAll } = sessionPodHarness(() => env);

  beforeAll(async () => {
    env = await startTerminalTestEnv({
      decide,
      extraClusters: sandbox => [alias('sandbox-broken')(sandbox)],
      terminalConfig: sandbox => ({
        heartbeatIntervalSeconds: 5,
        sessionPods: {
          enabled: true,
          image: 'kubectl-shell',
          expiry: { minutes: 2 },
          extendBy: { minutes: 1 },
          maxLifetime: { minutes: 10 },
          warningBefore: { seconds: 30 },
          clusters: {
            sandbox: { apiServerUrl: sandbox.httpsUrl },
            'sandbox-broken': {
              apiServerUrl: sandbox.httpsUrl,
              image: 'registry.example.com/no-such/kubectl:0',
              podAnnotations: {
                'sandbox.kubernetes-terminal.io/fail': 'ImagePullBackOff',
              },
            },
          },
        },
      }),
    });
  });

  afterAll(async () => {
    closeAll();
    await env?.stop();
  });

  afterEach(closeAll);

  it('offers session pods per cluster in GET /targets', async () => {
    const res = await api(
      'get',
      `/targets?entityRef=${encodeURIComponent(ENTITY)}`,
    );
    expect(res.status).toBe(200);
    const byName = Object.fromEntries(
      res.body.clusters.map((c: any) => [c.name, c]),
    );
    expect(byName.sandbox.sessionPod).toEqual({
      enabled: true,
      canCreate: true,
      namespaces: ['demo'],
      clusterRole: 'view',
    });
    const denied = await api(
      'get',
      `/targets?entityRef=${encodeURIComponent(ENTITY)}`,
      MALLORY,
    );
    expect(denied.body.canExec).toBe(true);
    expect(denied.body.clusters[0].sessionPod).toMatchObject({
      enabled: true,
      canCreate: false,
    });
  });

  it('provisions a pod, showing each step, whose kubectl acts within the namespace only', async () => {
    const { client, sessionId } = await open();
    await connected(client);
    const name = sessionPodName(ALICE);
    expect(client.messages[0]).toMatchObject({
      type: 'hello',
      target: {
        cluster: 'sandbox',
        namespace: 'demo',
        pod: name,
        container: 'kubectl',
      },
    });
    const steps = messagesOf(client, 'progress').map(m => m.step);
    expect([...new Set(steps)]).toEqual([
      'serviceaccount',
      'pod',
      'rolebinding',
      'networkpolicy',
      'token',
      'pod-phase',
      'event',
      'ready',
    ]);
    expect(messagesOf(client, 'progress').map(m => m.message)).toEqual(
      expect.arrayContaining([
        `binding ${name} to ClusterRole view in namespace demo`,
        expect.stringMatching(/^Pulled: Container image "kubectl-shell"/),
        expect.stringMatching(
          new RegExp(
            `^session pod ${name} is ready; it expires in \\d+ (s|min) and can be extended to \\d+ (s|min|h)( \\d+ min)? from now$`,
          ),
        ),
      ]),
    );
    // The kubelet's events in the order they happened, though they share a second.
    const events = messagesOf(client, 'progress')
      .filter(m => m.step === 'event')
      .map(m => m.message.split(':')[0]);
    expect(events).toEqual(['Pulled', 'Created', 'Started']);
    const types = client.messages.map(m => m.type);
    expect(types.indexOf('expiry')).toBeGreaterThan(
      types.lastIndexOf('progress'),
    );
    expect(types.indexOf('expiry')).toBeLessThan(types.indexOf('connected'));
    expect(client.message('expiry')).toMatchObject({
      warning: false,
      canExtend: true,
      extendBySeconds: 60,
    });

    client.type('kubectl get pods -n demo\r');
    await client.waitForOutput(
      /demo-service-7d9f8b6c5-abcde\s+2\/2\s+Running/,
      20_000,
    );
    client.type(
      'kubectl auth can-i get pods -n demo; kubectl auth can-i get pods -n other\r',
    );
    await client.waitForOutput(/[\r\n]yes\r\nno\r\n/, 20_000);
    client.type('kubectl get secrets -n demo\r');
    await client.waitForOutput(
      /secrets is forbidden: User "system:serviceaccount:demo:kubectl-alice-[0-9a-f]+" cannot list resource "secrets"/,
      20_000,
    );

    const detail = await api('get', `/sessions/${sessionId}`);
    expect(detail.body.session).toMatchObject({
      kind: 'session-pod',
      pod: name,
      container: 'kubectl',
      status: 'active',
      expiresAt: client.message('expiry')!.expiresAt,
      maxExpiresAt: client.message('expiry')!.maxExpiresAt,
    });
  });

  it('records the start-up the person saw, as their terminal drew it, before the shell', async () => {
    const { client, sessionId } = await open();
    await connected(client);
    const shown = messagesOf(client, 'progress').map(m =>
      formatProgressLine(m.step, m.message),
    );
    expect(shown.length).toBeGreaterThan(5);
    const recorded = async () => {
      const res = await api('get', `/sessions/${sessionId}/recording`)
        .buffer(true)
        .parse(textBody);
      expect(res.status).toBe(200);
      return parseAsciicast(res.body as string)
        .events.filter(([, code]) => code === 'o')
        .map(([, , data]) => data)
        .join('');
    };
    // Written in batches: every line, in order, at the recording's start once they are.
    await eventually(async () =>
      expect((await recorded()).startsWith(shown.join(''))).toBe(true),
    );
  });

  it('creates the objects field by field: least privilege, limits, network policy, owner, token', async () => {
    const { client } = await open();
    await connected(client);
    const expiry = client.message('expiry')!;
    const o = objectsOf(env.sandbox, ALICE);
    const pod = o.pod!;
    const uid = pod.metadata.uid;
    const labels = {
      'app.kubernetes.io/managed-by': 'backstage-kubernetes-terminal',
      'app.kubernetes.io/component': 'session-pod',
      'kubernetes-terminal.backstage.io/session-pod': o.name,
      'kubernetes-terminal.backstage.io/session-id':
        expect.stringMatching(/^[0-9a-f-]{36}$/),
      'kubernetes-terminal.backstage.io/user': 'user.default.alice',
      'kubernetes-terminal.backstage.io/expires-at': String(
        Math.floor(Date.parse(expiry.expiresAt) / 1000),
      ),
    };
    const owner = [
      { apiVersion: 'v1', kind: 'Pod', name: o.name, uid, controller: true },
    ];
    const annotations = {
      'kubernetes-terminal.backstage.io/user': ALICE,
      'kubernetes-terminal.backstage.io/entity-ref': ENTITY,
    };

    expect(pod.metadata.labels).toEqual(labels);
    expect(pod.metadata.annotations).toEqual({
      ...annotations,
      'kubernetes-terminal.backstage.io/expires-at': expiry.expiresAt,
      'kubernetes-terminal.backstage.io/max-expires-at': expiry.maxExpiresAt,
    });
    expect(pod.spec).toMatchObject({
      serviceAccountName: o.name,
      automountServiceAccountToken: false,
      enableServiceLinks: false,
      restartPolicy: 'Never',
      terminationGracePeriodSeconds: 0,
      activeDeadlineSeconds: 600 + 60,
      securityContext: {
        runAsNonRoot: true,
        runAsUser: 1000,
        runAsGroup: 1000,
        fsGroup: 1000,
        seccompProfile: { type: 'RuntimeDefault' },
      },
      volumes: [
        { name: 'home', emptyDir: { sizeLimit: '64Mi' } },
        { name: 'tmp', emptyDir: { sizeLimit: '64Mi' } },
        {
          name: 'kubeconfig',
          secret: { secretName: `${o.name}-kubeconfig`, defaultMode: 0o440 },
        },
      ],
    });
    expect(pod.spec.containers).toHaveLength(1);
    expect(pod.spec.containers[0]).toMatchObject({
      name: 'kubectl',
      image: 'kubectl-shell',
      command: ['sleep', 'infinity'],
      env: [
        { name: 'HOME', value: '/home/kubectl' },
        {
          name: 'KUBECONFIG',
          value: '/var/run/secrets/kubernetes-terminal/kubeconfig',
        },
        { name: 'TMPDIR', value: '/tmp' },
      ],
      securityContext: {
        runAsNonRoot: true,
        runAsUser: 1000,
        runAsGroup: 1000,
        privileged: false,
        allowPrivilegeEscalation: false,
        readOnlyRootFilesystem: true,
        capabilities: { drop: ['ALL'] },
        seccompProfile: { type: 'RuntimeDefault' },
      },
      resources: {
        requests: { cpu: '50m', memory: '64Mi' },
        limits: { cpu: '500m', memory: '256Mi' },
      },
      volumeMounts: [
        { name: 'home', mountPath: '/home/kubectl' },
        { name: 'tmp', mountPath: '/tmp' },
        {
          name: 'kubeconfig',
          mountPath: '/var/run/secrets/kubernetes-terminal',
          readOnly: true,
        },
      ],
    });

    expect(o.serviceAccount).toMatchObject({
      metadata: { labels, annotations, ownerReferences: owner },
      automountServiceAccountToken: false,
    });
    expect(o.roleBinding).toMatchObject({
      metadata: { labels, annotations, ownerReferences: owner },
      roleRef: {
        apiGroup: 'rbac.authorization.k8s.io',
        kind: 'ClusterRole',
        name: 'view',
      },
      subjects: [{ kind: 'ServiceAccount', name: o.name, namespace: 'demo' }],
    });
    expect(o.networkPolicy!.metadata).toMatchObject({
      labels,
      annotations,
      ownerReferences: owner,
    });
    expect(o.networkPolicy!.spec).toEqual({
      podSelector: {
        matchLabels: { 'kubernetes-terminal.backstage.io/session-pod': o.name },
      },
      policyTypes: ['Ingress', 'Egress'],
      ingress: [],
      egress: [
        {
          to: [
            {
              namespaceSelector: {
                matchLabels: { 'kubernetes.io/metadata.name': 'kube-system' },
              },
              podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } },
            },
          ],
          ports: [
            { protocol: 'UDP', port: 53 },
            { protocol: 'TCP', port: 53 },
          ],
        },
        {
          to: [{ ipBlock: { cidr: '127.0.0.1/32' } }],
          ports: [
            { protocol: 'TCP', port: 443 },
            { protocol: 'TCP', port: 6443 },
          ],
        },
      ],
    });

    const secret = o.secret!;
    expect(secret).toMatchObject({
      type: 'Opaque',
      metadata: { labels, annotations, ownerReferences: owner },
    });
    expect(Object.keys(secret.data)).toEqual(['kubeconfig']);
    const kubeconfig = JSON.parse(
      Buffer.from(secret.data.kubeconfig, 'base64').toString('utf8'),
    );
    // The CA every namespace publishes (kube-root-ca.crt), not anything of the backend's.
    expect(kubeconfig.clusters[0].cluster).toEqual({
      server: env.sandbox.httpsUrl,
      'certificate-authority-data': Buffer.from(
        env.sandbox.caCertificate,
      ).toString('base64'),
    });
    expect(kubeconfig.contexts[0].context).toEqual({
      cluster: 'sandbox',
      user: o.name,
      namespace: 'demo',
    });
    const token = kubeconfig.users[0].user.token as string;
    expect(JSON.stringify(kubeconfig)).not.toContain('sandbox-portal-token');
    const claims = jwtClaims(token);
    expect(claims.sub).toBe(`system:serviceaccount:demo:${o.name}`);
    expect(claims['kubernetes.io'].pod).toEqual({ name: o.name, uid });
    expect(
      Math.abs(claims.exp * 1000 - Date.parse(expiry.expiresAt)),
    ).toBeLessThan(2000);
  });

  it('reuses the pod across connections and tabs, and keeps the stored cap', async () => {
    const first = await open(ERIN);
    await connected(first.client);
    const expiry = first.client.message('expiry')!;
    const second = await open(ERIN);
    await connected(second.client);
    expect(second.client.message('hello')!.target.pod).toBe(
      sessionPodName(ERIN),
    );
    expect(
      messagesOf(second.client, 'progress').map(m => m.message),
    ).toContainEqual(
      expect.stringMatching(
        new RegExp(`^reusing your session pod ${sessionPodName(ERIN)} in demo`),
      ),
    );
    expect(
      messagesOf(second.client, 'progress').map(m => m.step),
    ).not.toContain('serviceaccount');
    expect(second.client.message('expiry')).toMatchObject({
      expiresAt: expiry.expiresAt,
      maxExpiresAt: expiry.maxExpiresAt,
    });
    const uid = objectsOf(env.sandbox, ERIN).pod!.metadata.uid;

    // An extension from one tab reaches the other at once; a reconnect does not reset the cap.
    second.client.ws.send(JSON.stringify({ type: 'extend' }));
    await first.client.waitFor(
      () => messagesOf(first.client, 'expiry').length === 2,
      'extension',
    );
    const extended = messagesOf(first.client, 'expiry')[1];
    expect(Date.parse(extended.expiresAt) - Date.parse(expiry.expiresAt)).toBe(
      60_000,
    );
    first.client.close();
    second.client.close();
    await first.client.waitForClose();
    const third = await open(ERIN);
    await connected(third.client);
    expect(third.client.message('expiry')).toMatchObject({
      expiresAt: extended.expiresAt,
      maxExpiresAt: expiry.maxExpiresAt,
    });
    expect(objectsOf(env.sandbox, ERIN).pod!.metadata.uid).toBe(uid);
  });

  it('starts one pod for two tabs opened at once', async () => {
    const [a, b] = await Promise.all([open(GRACE), open(GRACE)]);
    await Promise.all([connected(a.client), connected(b.client)]);
    const steps = [a, b].map(t =>
      messagesOf(t.client, 'progress').map(m => m.step),
    );
    expect(steps.filter(s => s.includes('serviceaccount'))).toHaveLength(1);
    expect(
      messagesOf(a.client, 'progress').concat(messagesOf(b.client, 'progress')),
    ).toContainEqual({
      type: 'progress',
      step: 'pod',
      message:
        'waiting for your session pod, which another terminal of yours is starting',
    });
    expect(a.client.message('expiry')!.maxExpiresAt).toBe(
      b.client.message('expiry')!.maxExpiresAt,
    );
  });

  it('replaces what a crashed provisioning left under the same names', async () => {
    const name = sessionPodName(HEIDI);
    const deadPod = {
      apiVersion: 'v1',
      kind: 'Pod',
      name,
      uid: 'a-pod-that-is-gone',
    };
    const [leftover] = env.sandbox.apply([
      {
        apiVersion: 'v1',
        kind: 'ServiceAccount',
        metadata: { name, namespace: 'demo', ownerReferences: [deadPod] },
      },
      {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'RoleBinding',
        metadata: { name, namespace: 'demo', ownerReferences: [deadPod] },
        roleRef: {
          apiGroup: 'rbac.authorization.k8s.io',
          kind: 'ClusterRole',
          name: 'edit',
        },
        subjects: [{ kind: 'ServiceAccount', name, namespace: 'demo' }],
      },
    ]);
    const { client } = await open(HEIDI);
    await connected(client);
    const o = objectsOf(env.sandbox, HEIDI);
    expect(o.serviceAccount!.metadata.uid).not.toBe(leftover.metadata.uid);
    expect(o.serviceAccount!.metadata.ownerReferences).toEqual([
      expect.objectContaining({ uid: o.pod!.metadata.uid }),
    ]);
    expect(o.roleBinding!.roleRef.name).toBe('view');
  });

  it('refuses without the sessionPod.create permission, recording the denial', async () => {
    const res = await api('post', '/sessions', MALLORY).send({
      kind: 'session-pod',
      entityRef: ENTITY,
      cluster: 'sandbox',
      namespace: 'demo',
    });
    expect(res.status).toBe(403);
    expect(res.body.error.message).toBe(
      `you are not allowed to start a kubectl session pod for ${ENTITY}`,
    );
    await eventually(async () => {
      const events = await api('get', '/audit-events?type=denied', MALLORY);
      expect(events.body.items).toEqual([
        expect.objectContaining({
          type: 'denied',
          userEntityRef: MALLORY,
          cluster: 'sandbox',
          namespace: 'demo',
          details: {
            kind: 'session-pod',
            permission: 'kubernetes.terminal.sessionPod.create',
          },
        }),
      ]);
    });
    expect(objectsOf(env.sandbox, MALLORY).pod).toBeUndefined();
  });

  it('only starts pods in the entity namespaces, and validates the request', async () => {
    const base = { kind: 'session-pod', entityRef: ENTITY, cluster: 'sandbox' };
    const other = await api('post', '/sessions').send({
      ...base,
      namespace: 'other',
    });
    expect(other.status).toBe(404);
    expect(other.body.error.message).toBe(
      `namespace other in cluster sandbox is not one of ${ENTITY}'s namespaces (demo)`,
    );
    const withPod = await api('post', '/sessions').send({
      ...base,
      namespace: 'demo',
      pod: 'x',
    });
    expect(withPod.status).toBe(400);
    const unknown = await api('post', '/sessions').send({
      ...base,
      cluster: 'nope',
      namespace: 'demo',
    });
    expect(unknown.status).toBe(404);
    const extendExec = await api(
      'post',
      '/sessions/00000000-0000-4000-8000-000000000000/extend',
    );
    expect(extendExec.status).toBe(404);
  });

  it('fails with the image pull error, and removes what it created', async () => {
    const { client } = await open(BOB, { cluster: 'sandbox-broken' });
    const closed = await client.waitForClose(30_000);
    expect(closed.code).toBe(4424);
    expect(client.message('error')).toEqual({
      type: 'error',
      reason: 'ImagePullBackOff',
      message: expect.stringMatching(
        /^your session pod cannot start: ImagePullBackOff: Back-off pulling image "registry.example.com\/no-such\/kubectl:0"/,
      ),
    });
    expect(messagesOf(client, 'progress').map(m => m.message)).toContainEqual(
      'warning: Failed: Failed to pull image "registry.example.com/no-such/kubectl:0": not found',
    );
    expect(client.message('connected')).toBeUndefined();
    const o = objectsOf(env.sandbox, BOB);
    expect([
      o.pod,
      o.serviceAccount,
      o.roleBinding,
      o.networkPolicy,
      o.secret,
    ]).toEqual([undefined, undefined, undefined, undefined, undefined]);
  });
});

describe('kubectl session pod lifetime (durations in seconds)', () => {
  let env: TerminalTestEnv;
  const { api, open, connected, closeAll } = sessionPodHarness(() => env);

  beforeAll(async () => {
    env = await startTerminalTestEnv({
      decide,
      extraClusters: sandbox => [alias('sandbox-slow')(sandbox)],
      terminalConfig: sandbox => ({
        heartbeatIntervalSeconds: 5,
        sessionPods: {
          enabled: true,
          image: 'kubectl-shell',
          expiry: { seconds: 4 },
          warningBefore: { seconds: 3 },
          extendBy: { seconds: 2 },
          maxLifetime: { seconds: 8 },
          provisionTimeout: { seconds: 2 },
          clusters: {
            sandbox: { apiServerUrl: sandbox.httpsUrl },
            'sandbox-slow': {
              apiServerUrl: sandbox.httpsUrl,
              podAnnotations: {
                'sandbox.kubernetes-terminal.io/start-delay-ms': '60000',
              },
            },
          },
        },
      }),
    });
  });

  afterAll(async () => {
    closeAll();
    await env?.stop();
  });

  afterEach(closeAll);

  it('warns, extends by wire and REST up to the cap, then expires and deletes everything', async () => {
    const { client, sessionId } = await open();
    await connected(client);
    const first = client.message('expiry')!;
    expect(first).toMatchObject({
      warning: false,
      canExtend: true,
      extendBySeconds: 2,
    });
    const created = Date.parse(first.maxExpiresAt) - 8000;
    expect(Date.parse(first.expiresAt) - created).toBe(4000);

    await client.waitFor(
      () => messagesOf(client, 'expiry').some(m => m.warning),
      'warning',
    );
    client.ws.send(JSON.stringify({ type: 'extend' }));
    await client.waitFor(
      () =>
        messagesOf(client, 'expiry').some(
          m => Date.parse(m.expiresAt) - created === 6000,
        ),
      'wire extension',
    );

    const rest = await api('post', `/sessions/${sessionId}/extend`);
    expect(rest.status).toBe(200);
    expect(rest.body).toEqual({
      expiresAt: first.maxExpiresAt,
      maxExpiresAt: first.maxExpiresAt,
      canExtend: false,
      extendBySeconds: 2,
    });
    await client.waitFor(
      () => messagesOf(client, 'expiry').some(m => !m.canExtend),
      'expiry after the REST extension',
    );
    const capped = await api('post', `/sessions/${sessionId}/extend`);
    expect(capped.status).toBe(409);
    expect(capped.body.error.message).toMatch(
      /^your session pod has reached its maximum lifetime of 8 s and ends in \d+ s$/,
    );
    const before = messagesOf(client, 'expiry').length;
    client.ws.send(JSON.stringify({ type: 'extend' }));
    await client.waitFor(
      () => messagesOf(client, 'expiry').length > before,
      'answer at the cap',
    );
    expect(messagesOf(client, 'expiry').at(-1)).toMatchObject({
      canExtend: false,
      expiresAt: first.maxExpiresAt,
    });

    const closed = await client.waitForClose(15_000);
    // Warnings repeat from 3 s before the (extended) expiry on, once a second at this scale.
    const warnings = messagesOf(client, 'expiry').filter(m => m.warning);
    expect(warnings.length).toBeGreaterThanOrEqual(3);
    expect(warnings.at(-1)).toMatchObject({
      canExtend: false,
      expiresAt: first.maxExpiresAt,
    });
    expect(Date.now()).toBeGreaterThanOrEqual(Date.parse(first.maxExpiresAt));
    expect(closed.code).toBe(4412);
    expect(closed.reason).toMatch(
      /^the session pod expired; its objects were deleted$/,
    );
    const o = objectsOf(env.sandbox, ALICE);
    expect([
      o.pod,
      o.serviceAccount,
      o.roleBinding,
      o.networkPolicy,
      o.secret,
    ]).toEqual([undefined, undefined, undefined, undefined, undefined]);

    await eventually(async () => {
      const detail = await api('get', `/sessions/${sessionId}`);
      expect(detail.body.session).toMatchObject({
        status: 'expired',
        expiresAt: first.maxExpiresAt,
        maxExpiresAt: first.maxExpiresAt,
      });
      const events = detail.body.events.map((e: any) => [
        e.type,
        e.details?.expiresAt,
      ]);
      expect(events.filter(([t]: string[]) => t === 'extend')).toEqual([
        ['extend', new Date(created + 6000).toISOString()],
        ['extend', first.maxExpiresAt],
      ]);
      expect(events.map(([t]: string[]) => t).slice(-2)).toEqual([
        'expire',
        'disconnect',
      ]);
    });
  });

  it('gives up after the provisioning timeout, and removes what it created', async () => {
    const { client } = await open(CAROL, { cluster: 'sandbox-slow' });
    const closed = await client.waitForClose(15_000);
    expect(closed.code).toBe(4502);
    expect(client.message('error')).toEqual({
      type: 'error',
      reason: 'ProvisionTimeout',
      message:
        'your session pod did not start within 2 s; it is Pending (ContainerCreating)',
    });
    const o = objectsOf(env.sandbox, CAROL);
    expect([
      o.pod,
      o.serviceAccount,
      o.roleBinding,
      o.networkPolicy,
      o.secret,
    ]).toEqual([undefined, undefined, undefined, undefined, undefined]);
  });
});
