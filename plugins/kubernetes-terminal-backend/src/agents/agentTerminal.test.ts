import { mockCredentials } from '@backstage/backend-test-utils';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import type { SandboxCluster } from '@internal/kube-sandbox';
import {
  type TunnelAgent,
  newAgentToken,
} from '@kubernetes-terminal/kubernetes-terminal-agent';
import {
  AGENT_CLUSTER_HEADER,
  AGENT_WS_PROTOCOL,
} from '@kubernetes-terminal/backstage-plugin-kubernetes-terminal-common';
import request from 'supertest';
import WebSocket from 'ws';
import { eventually } from '../__testUtils__/eventually';
import {
  IN_CLUSTER,
  privateAgentConfig,
  privateCluster,
  startPrivateAgent,
} from '../__testUtils__/privateCluster';
import {
  DEMO_TARGET,
  openTerminal,
  startDemoSandbox,
  startTerminalBackend,
} from '../__testUtils__/terminalBackend';

jest.setTimeout(60_000);

const ADMIN = 'user:default/admin';
const ALICE = 'user:default/alice';

/**
 * A whole backend with a cluster reached only through its agent: the cluster's `url` is the in-cluster
 * address, which does not resolve here; only the agent's dial reaches the sandbox.
 */
describe('a terminal through the private-cluster agent', () => {
  let sandbox: SandboxCluster;
  let backend: Awaited<ReturnType<typeof startTerminalBackend>>;
  let base: string;
  const token = newAgentToken();
  let agent: TunnelAgent | undefined;

  function startAgent() {
    agent = startPrivateAgent({ base, sandbox, token, version: '1.2.3' });
  }

  const agentsHealth = (user = ADMIN) =>
    request(backend.backend.server)
      .get('/api/kubernetes-terminal/agents')
      .set('Authorization', mockCredentials.user.header(user));

  beforeAll(async () => {
    sandbox = await startDemoSandbox();
    backend = await startTerminalBackend(sandbox, {
      decide: (permission, user) =>
        permission === 'kubernetes.terminal.audit.read' && user !== ADMIN
          ? AuthorizeResult.DENY
          : AuthorizeResult.ALLOW,
      extraClusters: s => [privateCluster(s)],
      terminalConfig: s => ({
        clusters: privateAgentConfig(token),
        // Session pods in the private cluster reach its API server from inside; here the sandbox.
        sessionPods: {
          enabled: true,
          image: 'kubectl-shell',
          clusters: { private: { apiServerUrl: s.httpsUrl } },
        },
        debugContainers: { enabled: true, image: 'busybox:1.36' },
      }),
    });
    base = `http://127.0.0.1:${backend.port}`;
  });

  afterAll(async () => {
    await agent?.stop();
    await backend?.backend.stop();
    await sandbox?.close();
  });

  it('says the agent is away, lists pods and runs a shell once it is there, and shows its health to admins', async () => {
    const away = await request(backend.backend.server)
      .post('/api/kubernetes-terminal/targets')
      .set('Authorization', mockCredentials.user.header(ALICE))
      .send({ entityRef: 'component:default/demo-service' });
    const listed = away.body.clusters.find(
      (c: { name: string }) => c.name === 'private',
    );
    expect(listed.error).toEqual({
      reason: 'UNREACHABLE',
      message:
        "cluster 'private' is reached through its agent, which is not connected (none has connected to this backend since it started)",
    });
    expect((await agentsHealth()).body.items).toEqual([
      { cluster: 'private', connected: false, connections: [] },
    ]);

    startAgent();
    await eventually(async () =>
      expect((await agentsHealth()).body.items[0].connected).toBe(true),
    );
    const health = (await agentsHealth()).body.items[0];
    expect(health.connections).toEqual([
      expect.objectContaining({
        tokenId: 'ci',
        version: '1.2.3',
        apiServer: IN_CLUSTER,
        replica: 'this replica',
        remoteAddress: expect.stringMatching(/127\.0\.0\.1/),
      }),
    ]);
    expect(JSON.stringify(health)).not.toContain(token);
    expect((await agentsHealth(ALICE)).status).toBe(403);

    const targets = await request(backend.backend.server)
      .post('/api/kubernetes-terminal/targets')
      .set('Authorization', mockCredentials.user.header(ALICE))
      .send({ entityRef: 'component:default/demo-service' });
    expect(
      targets.body.clusters
        .find((c: { name: string }) => c.name === 'private')
        .pods.map((p: { name: string }) => p.name),
    ).toContain(DEMO_TARGET.pod);

    const { client, sessionId } = await openTerminal(
      backend.backend.server,
      ALICE,
      { ...DEMO_TARGET, cluster: 'private' },
    );
    client.type('echo via-$((6*7))\r');
    await client.waitForOutput(/via-42/);
    const session = await request(backend.backend.server)
      .get(`/api/kubernetes-terminal/sessions/${sessionId}`)
      .set('Authorization', mockCredentials.user.header(ADMIN));
    expect(session.body.session).toMatchObject({
      cluster: 'private',
      clusterType: 'private',
    });

    // The agent goes mid-session: the terminal says why it ended.
    await agent!.stop();
    const closed = await client.waitForClose();
    expect(client.message('error')).toMatchObject({
      reason: 'ConnectionLost',
      message: expect.stringMatching(
        /^cluster 'private' is reached through its agent, which is not connected \(it left at .+: the tunnel closed: agent stopping \(1001\)\)$/,
      ),
    });
    expect(closed.code).not.toBe(1000);

    // A new session while it is away is refused with the same reason, not a timeout.
    const refused = await request(backend.backend.server)
      .post('/api/kubernetes-terminal/sessions')
      .set('Authorization', mockCredentials.user.header(ALICE))
      .send({ ...DEMO_TARGET, cluster: 'private' });
    expect(refused.status).toBeGreaterThanOrEqual(400);
    expect(JSON.stringify(refused.body)).toContain(
      "cluster 'private' is reached through its agent, which is not connected",
    );

    // Back again: new sessions work.
    startAgent();
    await eventually(async () =>
      expect((await agentsHealth()).body.items[0].connected).toBe(true),
    );
    const again = await openTerminal(backend.backend.server, ALICE, {
      ...DEMO_TARGET,
      cluster: 'private',
    });
    again.client.type('echo back-$((40+2))\r');
    await again.client.waitForOutput(/back-42/);
    again.client.close();

    await eventually(async () => {
      const events = await request(backend.backend.server)
        .get('/api/kubernetes-terminal/audit-events?cluster=private&limit=100')
        .set('Authorization', mockCredentials.user.header(ADMIN));
      const types = events.body.items.map((e: { type: string }) => e.type);
      expect(types).toEqual(expect.arrayContaining(['agent_disconnected']));
      expect(types.filter((t: string) => t === 'agent_connected')).toHaveLength(
        2,
      );
    });
  });

  it('provisions session pods and debug containers through the agent', async () => {
    startAgent();
    await eventually(async () =>
      expect((await agentsHealth()).body.items[0].connected).toBe(true),
    );
    const pod = await openTerminal(backend.backend.server, ALICE, {
      kind: 'session-pod',
      entityRef: DEMO_TARGET.entityRef,
      cluster: 'private',
      namespace: 'demo',
      cols: 120,
      rows: 30,
    });
    pod.client.type('kubectl get pods -n demo -o name\r');
    await pod.client.waitForOutput(
      new RegExp(`pod/${DEMO_TARGET.pod}`),
      30_000,
    );
    pod.client.close();

    const debug = await openTerminal(backend.backend.server, ALICE, {
      ...DEMO_TARGET,
      cluster: 'private',
      kind: 'debug',
      cols: 100,
      rows: 30,
    });
    debug.client.type('echo debug-$((6*7))\r');
    await debug.client.waitForOutput(/debug-42/);
    debug.client.close();
    await agent!.stop();
  });

  it('takes no browser on the tunnel endpoint, and says why it refuses an agent', async () => {
    const attempt = (headers: Record<string, string>) =>
      new Promise<{ status: number; body: string }>((resolve, reject) => {
        const ws = new WebSocket(
          `ws://127.0.0.1:${backend.port}/api/kubernetes-terminal/agents/tunnel`,
          AGENT_WS_PROTOCOL,
          { headers },
        );
        ws.on('open', () => reject(new Error('accepted')));
        ws.on('unexpected-response', (_req, res) => {
          let body = '';
          res.on('data', (c: Buffer) => {
            body += c.toString();
          });
          res.on('end', () => resolve({ status: res.statusCode!, body }));
        });
        ws.on('error', () => {});
      });
    // A browser (it always sends an Origin), even with the agent's token.
    expect(
      await attempt({
        origin: 'http://localhost:3000',
        authorization: `Bearer ${token}`,
        [AGENT_CLUSTER_HEADER]: 'private',
      }),
    ).toEqual({
      status: 403,
      body: 'the agent tunnel is for agents only, not for browsers\n',
    });
    // A Backstage user token is not an agent token.
    expect(
      await attempt({
        authorization: mockCredentials.user.header(ALICE),
        [AGENT_CLUSTER_HEADER]: 'private',
      }),
    ).toMatchObject({
      status: 401,
      body: expect.stringContaining(
        "the token is not one of cluster 'private''s agent tokens",
      ),
    });
  });
});
