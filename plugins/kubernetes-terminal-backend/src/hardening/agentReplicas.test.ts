import { mockCredentials, TestDatabases } from '@backstage/backend-test-utils';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import type { SandboxCluster } from '@internal/kube-sandbox';
import {
  type TunnelAgent,
  newAgentToken,
} from '@kubernetes-terminal/kubernetes-terminal-agent';
import { AGENT_CLUSTER_HEADER } from '@kubernetes-terminal/backstage-plugin-kubernetes-terminal-common';
import http from 'node:http';
import request from 'supertest';
import { eventually } from '../__testUtils__/eventually';
import {
  IN_CLUSTER,
  privateAgentConfig,
  privateCluster,
  startPrivateAgent,
} from '../__testUtils__/privateCluster';
import { startTwoReplicas } from '../__testUtils__/replicaAddress';
import {
  DEMO_TARGET,
  openTerminal,
  startDemoSandbox,
} from '../__testUtils__/terminalBackend';
import {
  PEER_RELAY_PATH,
  PEER_RELAY_PROTOCOL,
  PEER_RELAY_TO_HEADER,
} from '../agents/peerRelay';

/*
 * Two backend replicas on one PostgreSQL database behind one URL, and one agent, connected to the
 * first: the agent cannot choose a replica (a load balancer does), so a replica without the tunnel
 * relays its connections to the cluster through the replica that has it.
 */

jest.setTimeout(120_000);

const databases = TestDatabases.create({ ids: ['POSTGRES_15'] });
const BASE = '/api/kubernetes-terminal';
const ADMIN = 'user:default/admin';

describe('a private cluster through either of two replicas', () => {
  let sandbox: SandboxCluster;
  let replicas: Awaited<ReturnType<typeof startTwoReplicas>>;
  let backends: typeof replicas.backends;
  const token = newAgentToken();
  let agent: TunnelAgent | undefined;

  beforeAll(async () => {
    sandbox = await startDemoSandbox();
    replicas = await startTwoReplicas(
      sandbox,
      await databases.init('POSTGRES_15'),
      instanceUrl => ({
        decide: () => AuthorizeResult.ALLOW,
        extraClusters: s => [privateCluster(s)],
        terminalConfig: {
          resume: { instanceUrl },
          clusters: privateAgentConfig(token),
        },
      }),
    );
    backends = replicas.backends;
  });

  afterAll(async () => {
    await agent?.stop();
    await replicas?.stop();
    await sandbox?.close();
  });

  const health = (replica: number) =>
    request(backends[replica].backend.server)
      .get(`${BASE}/agents`)
      .set('Authorization', mockCredentials.user.header(ADMIN));

  it('serves a terminal through the replica without the tunnel, and shows where the tunnel is', async () => {
    agent = startPrivateAgent({
      base: `http://127.0.0.1:${backends[0].port}`,
      sandbox,
      token,
    });
    await eventually(async () =>
      expect((await health(1)).body.items[0].connected).toBe(true),
    );
    // The second replica sees the tunnel on the first.
    expect((await health(1)).body.items[0].connections).toEqual([
      expect.objectContaining({
        tokenId: 'ci',
        version: '1.0.0',
        replica: replicas.instanceUrls[0],
      }),
    ]);

    const { client } = await openTerminal(
      backends[1].backend.server,
      'user:default/alice',
      { ...DEMO_TARGET, cluster: 'private' },
    );
    client.type('echo relayed-$((6*7)) $$\r');
    await client.waitForOutput(/relayed-42 \d+/);
    // The shell runs through the first replica's tunnel: it counts the relayed connection.
    const streams = (await health(0)).body.items[0].connections[0].openStreams;
    expect(streams).toBeGreaterThanOrEqual(1);
    client.close();

    await agent.stop();
    await eventually(async () =>
      expect((await health(1)).body.items[0].connected).toBe(false),
    );
    const targets = await request(backends[1].backend.server)
      .post(`${BASE}/targets`)
      .set('Authorization', mockCredentials.user.header('user:default/alice'))
      .send({ entityRef: 'component:default/demo-service' });
    expect(
      targets.body.clusters.find((c: { name: string }) => c.name === 'private')
        .error.message,
    ).toBe(
      "cluster 'private' is reached through its agent, which is not connected (no replica of the portal holds a tunnel from it)",
    );
  });

  it('relays only for another replica of the plugin', async () => {
    const answer = await new Promise<{ status: number; body: string }>(
      resolve => {
        const req = http.request(
          `http://127.0.0.1:${backends[0].port}${BASE}${PEER_RELAY_PATH}`,
          {
            headers: {
              connection: 'Upgrade',
              upgrade: PEER_RELAY_PROTOCOL,
              authorization: mockCredentials.user.header(ADMIN),
              [AGENT_CLUSTER_HEADER]: 'private',
              [PEER_RELAY_TO_HEADER]: IN_CLUSTER,
            },
          },
        );
        req.on('upgrade', () => resolve({ status: 101, body: '' }));
        req.on('response', res => {
          let body = '';
          res.on('data', (c: Buffer) => {
            body += c.toString();
          });
          res.on('end', () => resolve({ status: res.statusCode!, body }));
        });
        req.end();
      },
    );
    expect(answer).toEqual({
      status: 403,
      body: 'only another replica of this plugin may relay through its agent tunnels\n',
    });
  });
});
