import { mockServices } from '@backstage/backend-test-utils';
import { ConfigReader } from '@backstage/config';
import { CoreV1Api } from '@kubernetes/client-node';
import { startSandbox, type SandboxCluster } from '@internal/kube-sandbox';
import {
  TunnelAgent,
  hashAgentToken,
  newAgentToken,
} from '@kubernetes-terminal/kubernetes-terminal-agent';
import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import path from 'node:path';
import type { NewAuditEvent } from '../database/SessionStore';
import { ClusterRegistry } from '../kubernetes/ClusterRegistry';
import { openExecStream } from '../stream/execUpstream';
import { eventually } from '../__testUtils__/eventually';
import { AgentTunnels, AgentUnavailableError } from './AgentTunnels';
import { readAgentClusters } from './agentConfig';

const SEED = path.resolve(__dirname, '../../../../examples/sandbox-seed.yaml');
/** The in-cluster address of the API server: nothing resolves it here, only the agent's dial. */
const IN_CLUSTER = 'kubernetes.default.svc:443';

describe('the agent tunnel', () => {
  let sandbox: SandboxCluster;
  let server: http.Server;
  let portalUrl: string;
  let tunnels: AgentTunnels;
  let registry: ClusterRegistry;
  const events: NewAuditEvent[] = [];
  const token = newAgentToken();
  const otherToken = newAgentToken();
  const agents: TunnelAgent[] = [];
  const dials: string[] = [];

  /** Stands in for the cluster's DNS: the in-cluster name is the sandbox's TLS port. */
  const clusterDial = (host: string, port: number) => {
    dials.push(`${host}:${port}`);
    return net.connect(Number(new URL(sandbox.httpsUrl).port), '127.0.0.1');
  };

  function startAgent(options: { cluster?: string; token?: string } = {}) {
    const agent = new TunnelAgent({
      portalUrl,
      cluster: options.cluster ?? 'private',
      token: options.token ?? token,
      apiServer: IN_CLUSTER,
      version: '9.9.9',
      dial: clusterDial,
      initialBackoffMs: 50,
      maxBackoffMs: 200,
    });
    agents.push(agent);
    agent.start();
    return agent;
  }

  beforeAll(async () => {
    sandbox = await startSandbox({ port: 0, seed: SEED, startDelayMs: 0 });
    const config = new ConfigReader({
      kubernetes: {
        clusterLocatorMethods: [
          {
            type: 'config',
            clusters: [
              {
                name: 'private',
                url: `https://${IN_CLUSTER}`,
                authProvider: 'serviceAccount',
                serviceAccountToken: 'sandbox-portal-token',
                caData: Buffer.from(sandbox.caCertificate).toString('base64'),
              },
              {
                name: 'other',
                url: `https://${IN_CLUSTER}`,
                authProvider: 'serviceAccount',
                serviceAccountToken: 'sandbox-portal-token',
              },
            ],
          },
        ],
      },
      kubernetesTerminal: {
        clusters: {
          private: {
            agent: {
              tokens: [{ id: 'first', sha256: hashAgentToken(token) }],
            },
          },
          other: {
            agent: {
              tokens: [{ id: 'other', sha256: hashAgentToken(otherToken) }],
            },
          },
        },
      },
    });
    const logger = mockServices.logger.mock();
    tunnels = new AgentTunnels({
      clusters: readAgentClusters(config),
      logger,
      record: event => events.push(event),
    });
    registry = ClusterRegistry.fromConfig(config, { logger, agents: tunnels });
    server = http.createServer((_req, res) => res.writeHead(404).end());
    server.on('upgrade', (req, socket, head) =>
      tunnels.handleUpgrade(req, socket, head),
    );
    await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
    portalUrl = `http://127.0.0.1:${
      (server.address() as AddressInfo).port
    }/api/kubernetes-terminal`;
  });

  afterEach(async () => {
    await Promise.all(agents.splice(0).map(a => a.stop()));
    await eventually(async () => {
      if ((await tunnels.status())[0].connected) throw new Error('connected');
    });
  });

  afterAll(async () => {
    await tunnels.close();
    server.closeAllConnections();
    await new Promise(resolve => server.close(resolve));
    await sandbox.close();
  });

  it('carries API calls and exec to a cluster the backend cannot reach itself', async () => {
    const cluster = registry.get('private')!;
    expect(cluster.viaAgent).toBe(true);
    // Without an agent: a clear error, at once.
    await expect(
      cluster.access!({})
        .api(CoreV1Api)
        .listNamespacedPod({ namespace: 'demo' }),
    ).rejects.toThrow(
      "cluster 'private' is reached through its agent, which is not connected (none has connected to this backend since it started)",
    );
    startAgent();
    await eventually(async () =>
      expect((await tunnels.status())[0].connected).toBe(true),
    );
    const pods = await cluster.access!({})
      .api(CoreV1Api)
      .listNamespacedPod({ namespace: 'demo' });
    expect(pods.items.map(p => p.metadata?.name)).toContain(
      'demo-service-7d9f8b6c5-abcde',
    );
    // client-node's own clients (session pods, the janitor) go the same way.
    const own = await cluster
      .kubeConfig!.makeApiClient(CoreV1Api)
      .readNamespace({ name: 'demo' });
    expect(own.metadata?.name).toBe('demo');

    const output: Buffer[] = [];
    const exec = await openExecStream(
      cluster.access!({}).kubeConfig,
      {
        namespace: 'demo',
        pod: 'demo-service-7d9f8b6c5-abcde',
        container: 'app',
        command: ['sh', '-c', 'echo through-$((6*7))'],
        tty: false,
      },
      {
        onFrame(channel, data) {
          if (channel === 1) output.push(data);
        },
      },
    );
    await new Promise(resolve => exec.once('close', resolve));
    expect(Buffer.concat(output).toString()).toContain('through-42');
    // Every connection went to the one address the agent relays to.
    expect(new Set(dials)).toEqual(new Set([IN_CLUSTER]));

    const [status] = await tunnels.status();
    expect(status).toMatchObject({
      cluster: 'private',
      connected: true,
      connections: [
        { tokenId: 'first', version: '9.9.9', apiServer: IN_CLUSTER },
      ],
    });
    expect(events.map(e => e.eventType)).toContain('agent_connected');
  });

  it('relays to the API server only: any other address is refused by the agent', async () => {
    startAgent();
    await eventually(async () =>
      expect((await tunnels.status())[0].connected).toBe(true),
    );
    dials.length = 0;
    for (const [host, port] of [
      ['169.254.169.254', 80],
      ['kubernetes.default.svc', 6443],
      ['127.0.0.1', Number(new URL(sandbox.httpsUrl).port)],
    ] as const) {
      const stream = await tunnels.connect('private', host, port);
      const error = await new Promise<Error>(resolve =>
        stream.once('error', resolve),
      );
      expect(error.message).toBe(
        `the agent of cluster 'private' refused the connection to ${host}:${port} (HTTP 403: the agent relays only to ${IN_CLUSTER})`,
      );
    }
    expect(dials).toEqual([]);
  });

  it("refuses a bad token, another cluster's token, and a flood of attempts", async () => {
    events.length = 0;
    const impostor = startAgent({ token: otherToken });
    await eventually(() =>
      expect(impostor.state).toMatchObject({
        status: 'waiting',
        lastError: expect.stringContaining(
          "the portal refused the agent (HTTP 401): the token is not one of cluster 'private''s agent tokens",
        ),
      }),
    );
    expect((await tunnels.status())[0].connected).toBe(false);
    expect(events[0]).toMatchObject({
      eventType: 'agent_refused',
      cluster: 'private',
      clientIp: '127.0.0.1',
      details: { status: 401 },
    });
    // Its own cluster's token is accepted for its own cluster only.
    const unknown = startAgent({ cluster: 'nowhere', token });
    await eventually(() =>
      expect(unknown.state).toMatchObject({
        lastError: expect.stringContaining('HTTP 401'),
      }),
    );
    // By now this address has more than 10 refusals in the minute: the next is told to wait.
    await eventually(() =>
      expect(impostor.state).toMatchObject({
        lastError: expect.stringContaining(
          'HTTP 429): too many refused agent connections',
        ),
      }),
    );
    const refusedEvents = events.filter(e => e.eventType === 'agent_refused');
    expect(refusedEvents.length).toBeLessThanOrEqual(10);
    // The limit holds bad tokens only: a good agent at the same address still gets in.
    const good = startAgent();
    await eventually(() => expect(good.state.status).toBe('connected'));
    expect(JSON.stringify(events)).not.toContain(token);
    expect(JSON.stringify(events)).not.toContain(otherToken);
  });
});

describe('revoking a token', () => {
  it('closes the tunnels that presented it, and refuses it from then on', async () => {
    const logger = mockServices.logger.mock();
    const oldToken = newAgentToken();
    const newToken = newAgentToken();
    const config = (tokens: string[]) =>
      readAgentClusters(
        new ConfigReader({
          kubernetesTerminal: {
            clusters: {
              c: {
                agent: {
                  tokens: tokens.map((t, i) => ({
                    id: `t${i}`,
                    sha256: hashAgentToken(t),
                  })),
                },
              },
            },
          },
        }),
      );
    const tunnels = new AgentTunnels({
      clusters: config([oldToken, newToken]),
      logger,
    });
    const server = http.createServer();
    server.on('upgrade', (req, socket, head) =>
      tunnels.handleUpgrade(req, socket, head),
    );
    await new Promise<void>(r => server.listen(0, '127.0.0.1', r));
    const portalUrl = `http://127.0.0.1:${
      (server.address() as AddressInfo).port
    }`;
    const start = (token: string) => {
      const agent = new TunnelAgent({
        portalUrl,
        cluster: 'c',
        token,
        apiServer: IN_CLUSTER,
        version: '1',
        initialBackoffMs: 50,
        maxBackoffMs: 100,
      });
      agent.start();
      return agent;
    };
    const old = start(oldToken);
    const renewed = start(newToken);
    await eventually(async () =>
      expect((await tunnels.status())[0].connections).toHaveLength(2),
    );
    // Rotation: the config now lists only the new token.
    tunnels.updateClusters(config([newToken]));
    await eventually(async () =>
      expect(
        (await tunnels.status())[0].connections.map(c => c.tokenId),
      ).toEqual(['t1']),
    );
    await eventually(() =>
      expect(old.state).toMatchObject({
        status: 'waiting',
        lastError: expect.stringContaining('HTTP 401'),
      }),
    );
    expect(renewed.state.status).toBe('connected');
    await Promise.all([old.stop(), renewed.stop()]);
    await tunnels.close();
    server.closeAllConnections();
    await new Promise(r => server.close(r));
  });
});

describe('agentConfig', () => {
  it('takes tokens as SHA-256 only', () => {
    const config = (sha256: string) =>
      new ConfigReader({
        kubernetesTerminal: {
          clusters: { c: { agent: { tokens: [{ id: 'a', sha256 }] } } },
        },
      });
    expect(() => readAgentClusters(config(newAgentToken()))).toThrow(
      "kubernetesTerminal.clusters.c.agent.tokens[0].sha256 must be the token's SHA-256 in hex (64 characters), as `kubernetes-terminal-agent token` prints it; never the token itself",
    );
    expect(
      readAgentClusters(config(hashAgentToken('x'))).get('c')?.[0].id,
    ).toBe('a');
  });

  it('names the cluster in the error of an absent agent', () => {
    expect(new AgentUnavailableError('c', '').message).toBe(
      "cluster 'c' is reached through its agent, which is not connected",
    );
  });
});
