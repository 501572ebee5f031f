import {
  coreServices,
  createBackendModule,
  createServiceFactory,
} from '@backstage/backend-plugin-api';
import type { AuthenticationStrategy } from '@backstage/plugin-kubernetes-node';
import { kubernetesTerminalClustersExtensionPoint } from '../extensions';
import { mockCredentials } from '@backstage/backend-test-utils';
import { parseEntityRef } from '@backstage/catalog-model';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import {
  createCertificateAuthority,
  issueClientCertificate,
  startTestOpenIdIssuer,
  type SandboxCluster,
  type TestOpenIdIssuer,
} from '@internal/kube-sandbox';
import request from 'supertest';
import { CapturedLogs } from '../__testUtils__/capturingLogger';
import type { TerminalClient } from '../__testUtils__/TerminalClient';
import {
  DEMO_POD,
  DEMO_TARGET,
  openTerminal,
  startTerminalTestEnv,
  type TerminalTestEnv,
} from '../__testUtils__/terminalBackend';
import { startSandbox } from '@internal/kube-sandbox';
import path from 'node:path';

/*
 * The cluster sees the person, not the portal: a cluster reached with the person's own OIDC ID token
 * (sent by the browser in the request body), and a cluster reached with the portal's credential plus
 * impersonation. The sandbox validates the token against the issuer and applies its own RBAC; its audit
 * log says who each request was from.
 */

jest.setTimeout(60_000);

const SEED = path.resolve(__dirname, '../../../../examples/sandbox-seed.yaml');
const ALICE = 'user:default/alice';
const BOB = 'user:default/bob';

/** Each person is in one catalog group, `group:default/team-<name>`. */
const userInfoFactory = createServiceFactory({
  service: coreServices.userInfo,
  deps: {},
  factory: () => ({
    async getUserInfo(credentials) {
      const ref = (credentials.principal as { userEntityRef: string })
        .userEntityRef;
      return {
        userEntityRef: ref,
        ownershipEntityRefs: [
          ref,
          `group:default/team-${parseEntityRef(ref).name}`,
        ],
      };
    },
  }),
});

/** The client CA the sandbox trusts, and the certificate a module's strategy presents. */
const clientCa = createCertificateAuthority();
const portalCertificate = issueClientCertificate(clientCa, {
  name: 'portal-by-certificate',
  groups: ['system:masters'],
});

/**
 * A platform team's backend module: its own auth strategy (an x509 client certificate) and a supplier
 * of one more cluster that uses it, through the plugin's extension point.
 */
const certificateModule = (sandboxHttpsUrl: () => string, ca: () => string) =>
  createBackendModule({
    pluginId: 'kubernetes-terminal',
    moduleId: 'certificate-clusters',
    register(env) {
      env.registerInit({
        deps: { clusters: kubernetesTerminalClustersExtensionPoint },
        async init({ clusters }) {
          const strategy: AuthenticationStrategy = {
            getCredential: async () => ({
              type: 'x509 client certificate',
              cert: portalCertificate.cert,
              key: portalCertificate.key,
            }),
            validateCluster: () => [],
            presentAuthMetadata: () => ({}),
          };
          clusters.addAuthStrategy('platformCertificate', strategy);
          clusters.addClusterSupplier({
            getClusters: async () => [
              {
                name: 'by-certificate',
                url: sandboxHttpsUrl(),
                caData: Buffer.from(ca()).toString('base64'),
                authMetadata: {
                  'kubernetes.io/auth-provider': 'platformCertificate',
                },
              },
            ],
          });
        },
      });
    },
  });

describe('clusters that know the person', () => {
  let issuer: TestOpenIdIssuer;
  let sandbox: SandboxCluster;
  let env: TerminalTestEnv;
  const logs = new CapturedLogs();
  const clients: TerminalClient[] = [];

  beforeAll(async () => {
    issuer = await startTestOpenIdIssuer();
    sandbox = await startSandbox({
      seed: SEED,
      startDelayMs: 0,
      oidc: {
        issuerUrl: issuer.url,
        clientId: 'kubernetes',
        usernameClaim: 'email',
        usernamePrefix: 'oidc:',
      },
      clientCaPem: clientCa.cert,
    });
    // Alice may open shells in `demo`, in both identities; Bob may only look.
    sandbox.apply([
      {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'Role',
        metadata: { name: 'shell', namespace: 'demo' },
        rules: [
          { apiGroups: [''], resources: ['pods'], verbs: ['get', 'list'] },
          { apiGroups: [''], resources: ['pods/exec'], verbs: ['create'] },
        ],
      },
      {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'RoleBinding',
        metadata: { name: 'alice-shell', namespace: 'demo' },
        roleRef: {
          apiGroup: 'rbac.authorization.k8s.io',
          kind: 'Role',
          name: 'shell',
        },
        subjects: [
          { kind: 'User', name: 'alice' },
          { kind: 'User', name: 'oidc:alice@example.com' },
        ],
      },
      // The demo entity names no namespace: its pods are listed across the cluster.
      {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'ClusterRole',
        metadata: { name: 'pod-lister' },
        rules: [{ apiGroups: [''], resources: ['pods'], verbs: ['list'] }],
      },
      {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'ClusterRoleBinding',
        metadata: { name: 'people-list-pods' },
        roleRef: {
          apiGroup: 'rbac.authorization.k8s.io',
          kind: 'ClusterRole',
          name: 'pod-lister',
        },
        subjects: [
          { kind: 'User', name: 'alice' },
          { kind: 'User', name: 'oidc:alice@example.com' },
          { kind: 'Group', name: 'backstage:team-bob' },
        ],
      },
      {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'RoleBinding',
        metadata: { name: 'team-bob-view', namespace: 'demo' },
        roleRef: {
          apiGroup: 'rbac.authorization.k8s.io',
          kind: 'ClusterRole',
          name: 'view',
        },
        subjects: [{ kind: 'Group', name: 'backstage:team-bob' }],
      },
    ]);
    env = await startTerminalTestEnv({
      sandbox,
      decide: () => AuthorizeResult.ALLOW,
      features: [
        userInfoFactory,
        ...logs.factories(),
        certificateModule(
          () => sandbox.httpsUrl,
          () => sandbox.caCertificate,
        ),
      ],
      extraClusters: s => [
        {
          name: 'as-person',
          url: s.url,
          authProvider: 'serviceAccount',
          serviceAccountToken: 'sandbox-portal-token',
          skipTLSVerify: true,
        },
        {
          name: 'oidc',
          url: s.url,
          authProvider: 'oidc',
          oidcTokenProvider: 'test',
          skipTLSVerify: true,
        },
      ],
      terminalConfig: {
        clusters: {
          'as-person': {
            impersonate: {
              user: 'name',
              groups: 'name',
              groupPrefix: 'backstage:',
            },
          },
        },
      },
    });
  });

  afterAll(async () => {
    await env?.stop();
    await sandbox?.close();
    issuer?.close();
  });

  afterEach(() => {
    clients.splice(0).forEach(c => c.close());
  });

  const aliceToken = () =>
    issuer.sign({ sub: 'a-1', email: 'alice@example.com' });

  const as = (user: string) => ({
    Authorization: mockCredentials.user.header(user),
  });

  /** The sandbox's audit entry of the last exec into the demo pod. */
  const lastExec = () =>
    sandbox
      .auditEvents()
      .filter(
        e =>
          e.objectRef?.subresource === 'exec' && e.objectRef.name === DEMO_POD,
      )
      .at(-1);

  it("says which clusters need the person's own credential", async () => {
    const res = await request(env.backend.server)
      .get('/api/kubernetes-terminal/clusters')
      .set(as(ALICE));
    expect(res.status).toBe(200);
    expect(res.body.items).toEqual([
      { name: 'sandbox' },
      { name: 'as-person' },
      { name: 'oidc', authProvider: 'oidc.test' },
      { name: 'by-certificate' },
    ]);
  });

  it("lists the pods of a cluster reached with the person's token only when the token comes along", async () => {
    const without = await request(env.backend.server)
      .post('/api/kubernetes-terminal/targets')
      .set(as(ALICE))
      .send({ entityRef: DEMO_TARGET.entityRef });
    const oidc = without.body.clusters.find(
      (c: { name: string }) => c.name === 'oidc',
    );
    expect(oidc).toMatchObject({
      authProvider: 'oidc.test',
      pods: [],
      error: {
        reason: 'SIGN_IN_REQUIRED',
        message:
          "cluster 'oidc' is reached with your own oidc.test credential, and none came with the request: sign in to oidc.test and try again",
      },
    });
    const withToken = await request(env.backend.server)
      .post('/api/kubernetes-terminal/targets')
      .set(as(ALICE))
      .send({
        entityRef: DEMO_TARGET.entityRef,
        auth: { oidc: { test: await aliceToken() } },
      });
    const listed = withToken.body.clusters.find(
      (c: { name: string }) => c.name === 'oidc',
    );
    expect(listed.error).toBeUndefined();
    expect(listed.pods.map((p: { name: string }) => p.name)).toContain(
      DEMO_POD,
    );
    const expired = await request(env.backend.server)
      .post('/api/kubernetes-terminal/targets')
      .set(as(ALICE))
      .send({
        entityRef: DEMO_TARGET.entityRef,
        auth: {
          oidc: {
            test: await issuer.sign(
              { email: 'alice@example.com' },
              { expiresIn: '-1m' },
            ),
          },
        },
      });
    expect(
      expired.body.clusters.find((c: { name: string }) => c.name === 'oidc')
        .error,
    ).toMatchObject({
      reason: 'SIGN_IN_REQUIRED',
      message: expect.stringMatching(
        /^cluster 'oidc' rejected your oidc.test credential \(expired\?\): sign in again/,
      ),
    });
  });

  it("opens a shell with the person's own ID token: the cluster sees the person", async () => {
    const token = await aliceToken();
    const { client } = await openTerminal(env.backend.server, ALICE, {
      ...DEMO_TARGET,
      cluster: 'oidc',
      auth: { oidc: { test: token } },
    });
    clients.push(client);
    expect(lastExec()).toMatchObject({
      user: { username: 'oidc:alice@example.com' },
      responseStatus: { code: 101 },
    });
    expect(lastExec()!.impersonatedUser).toBeUndefined();
    // Without the token the session is refused before it starts, saying how to get one.
    const refused = await request(env.backend.server)
      .post('/api/kubernetes-terminal/sessions')
      .set(as(ALICE))
      .send({ ...DEMO_TARGET, cluster: 'oidc' });
    expect([refused.status, refused.body.error.message]).toEqual([
      401,
      "cluster 'oidc' is reached with your own oidc.test credential, and none came with the request: sign in to oidc.test and try again",
    ]);
    // The token is in no log line and nowhere in the audit log.
    expect(logs.lines.filter(l => l.includes(token))).toEqual([]);
    const events = await request(env.backend.server)
      .get('/api/kubernetes-terminal/audit-events')
      .set(as(ALICE));
    expect(events.status).toBe(200);
    expect(JSON.stringify(events.body)).not.toContain(token);
  });

  it('opens a shell through impersonation: the cluster sees the portal acting as the person', async () => {
    const { client } = await openTerminal(env.backend.server, ALICE, {
      ...DEMO_TARGET,
      cluster: 'as-person',
    });
    clients.push(client);
    expect(lastExec()).toMatchObject({
      user: { username: 'portal' },
      impersonatedUser: {
        username: 'alice',
        groups: ['backstage:team-alice', 'system:authenticated'],
      },
      responseStatus: { code: 101 },
    });
  });

  it("tells the person when the cluster's RBAC forbids their shell, and audits the denial", async () => {
    const { client, sessionId } = await openTerminal(
      env.backend.server,
      BOB,
      { ...DEMO_TARGET, cluster: 'as-person' },
      { connected: false },
    );
    clients.push(client);
    await client.waitForClose(30_000);
    expect(client.message('error')).toMatchObject({
      reason: 'Forbidden',
      message: `the cluster refused: pods "${DEMO_POD}" is forbidden: User "bob" cannot create resource "pods/exec" in API group "" in the namespace "demo"`,
    });
    expect(lastExec()).toMatchObject({
      impersonatedUser: { username: 'bob' },
      responseStatus: { code: 403 },
    });
    const detail = await waitForDenial(sessionId);
    expect(detail).toMatchObject({
      type: 'denied',
      details: {
        by: 'cluster',
        reason: expect.stringMatching(/^the cluster refused: /),
      },
    });
  });

  it('refuses a person the cluster does not let list the pods, saying so', async () => {
    const res = await request(env.backend.server)
      .post('/api/kubernetes-terminal/targets')
      .set(as('user:default/carol'))
      .send({ entityRef: DEMO_TARGET.entityRef });
    expect(
      res.body.clusters.find((c: { name: string }) => c.name === 'as-person')
        .error,
    ).toEqual({
      reason: 'FORBIDDEN',
      message: `the cluster refused: cluster 'as-person' does not allow you to list pods: pods is forbidden: User "carol" cannot list resource "pods" in API group "" at the cluster scope`,
    });
  });

  it("opens a shell on a cluster of a module's supplier, with its strategy's client certificate", async () => {
    const { client } = await openTerminal(env.backend.server, ALICE, {
      ...DEMO_TARGET,
      cluster: 'by-certificate',
    });
    clients.push(client);
    client.type('echo by-$((6*7))\r');
    await client.waitForOutput(/by-42/);
    expect(lastExec()).toMatchObject({
      user: {
        username: 'portal-by-certificate',
        groups: ['system:masters', 'system:authenticated'],
      },
      responseStatus: { code: 101 },
    });
  });

  async function waitForDenial(sessionId: string) {
    for (let i = 0; i < 50; i++) {
      const res = await request(env.backend.server)
        .get(`/api/kubernetes-terminal/sessions/${sessionId}`)
        .set(as(BOB));
      const denial = res.body?.events?.find(
        (e: { type: string }) => e.type === 'denied',
      );
      if (denial) return denial;
      if (i === 49) {
        throw new Error(
          `no denial recorded for session ${sessionId}: ${
            res.status
          } ${JSON.stringify(res.body)}`,
        );
      }
      await new Promise(r => setTimeout(r, 100));
    }
    throw new Error(`no denial recorded for session ${sessionId}`);
  }
});
