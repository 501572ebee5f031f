import {
  AGENT_CLUSTER_HEADER,
  AGENT_WS_PROTOCOL,
} from '@kubernetes-terminal/backstage-plugin-kubernetes-terminal-common';
import { createSelfSignedCertificate } from '@internal/kube-sandbox';
import http from 'node:http';
import https from 'node:https';
import net, { type AddressInfo } from 'node:net';
import { WebSocketServer } from 'ws';
import { TunnelAgent, type TunnelAgentState } from './TunnelAgent';

/**
 * A stand-in portal that accepts any agent; it can go away and come back on the same port. With `tls`,
 * it serves wss with that certificate.
 */
async function fakePortal(port = 0, tls?: { key: string; cert: string }) {
  const server = tls ? https.createServer(tls) : http.createServer();
  const wss = new WebSocketServer({
    server,
    handleProtocols: p =>
      p.has(AGENT_WS_PROTOCOL) ? AGENT_WS_PROTOCOL : false,
  });
  const seen: Array<Record<string, unknown>> = [];
  wss.on('connection', (_ws, req) => seen.push({ ...req.headers }));
  await new Promise<void>(r => server.listen(port, '127.0.0.1', r));
  return {
    port: (server.address() as AddressInfo).port,
    seen,
    async close() {
      wss.clients.forEach(c => c.terminate());
      wss.close();
      server.closeAllConnections();
      await new Promise(r => server.close(r));
    },
  };
}

describe('TunnelAgent', () => {
  it('dials out with its token in a header, and comes back after the portal restarts, backing off with jitter', async () => {
    let portal = await fakePortal();
    const { port } = portal;
    const states: TunnelAgentState[] = [];
    const agent = new TunnelAgent({
      portalUrl: `http://127.0.0.1:${port}/api/kubernetes-terminal`,
      cluster: 'c1',
      token: 'ktagent_secret',
      apiServer: 'kubernetes.default.svc:443',
      version: '1.0.0',
      initialBackoffMs: 100,
      maxBackoffMs: 400,
    });
    agent.onState(s => states.push(s));
    agent.start();
    const waitFor = async (status: TunnelAgentState['status']) => {
      const deadline = Date.now() + 10_000;
      while (agent.state.status !== status) {
        if (Date.now() > deadline) throw new Error(`never ${status}`);
        await new Promise(r => setTimeout(r, 20));
      }
    };
    await waitFor('connected');
    expect(portal.seen[0]).toMatchObject({
      authorization: 'Bearer ktagent_secret',
      [AGENT_CLUSTER_HEADER]: 'c1',
    });
    await portal.close();
    await waitFor('waiting');
    // While it is away, each wait doubles from 100 ms up to 400 ms, ±20 %.
    await new Promise(r => setTimeout(r, 1500));
    const waits = states
      .filter(
        (s): s is Extract<TunnelAgentState, { status: 'waiting' }> =>
          s.status === 'waiting',
      )
      .map(s => s.retryInMs);
    expect(waits.length).toBeGreaterThanOrEqual(3);
    waits.forEach((wait, i) => {
      const base = Math.min(400, 100 * 2 ** i);
      expect(wait).toBeGreaterThanOrEqual(base * 0.8);
      expect(wait).toBeLessThanOrEqual(base * 1.2);
    });
    portal = await fakePortal(port);
    await waitFor('connected');
    await agent.stop();
    expect(agent.state.status).toBe('stopped');
    await portal.close();
  });

  it('takes only host:port as the API server address', () => {
    expect(
      () =>
        new TunnelAgent({
          portalUrl: 'https://portal',
          cluster: 'c',
          token: 't',
          apiServer: 'https://kubernetes.default.svc',
          version: '1',
        }),
    ).toThrow("'https://kubernetes.default.svc' is not host:port");
  });

  it('dials the portal over wss, trusting the CA it is given, and says why it cannot without it', async () => {
    const tls = createSelfSignedCertificate('portal');
    const portal = await fakePortal(0, tls);
    const portalUrl = `https://localhost:${portal.port}/api/kubernetes-terminal`;
    const options = {
      portalUrl,
      cluster: 'c1',
      token: 'ktagent_secret',
      apiServer: 'kubernetes.default.svc:443',
      version: '1.0.0',
      initialBackoffMs: 100,
    };
    const untrusting = new TunnelAgent(options);
    untrusting.start();
    const trusting = new TunnelAgent({ ...options, portalCa: tls.cert });
    trusting.start();
    const deadline = Date.now() + 10_000;
    while (
      trusting.state.status !== 'connected' ||
      untrusting.state.status !== 'waiting'
    ) {
      if (Date.now() > deadline) {
        throw new Error(
          `states: ${JSON.stringify([trusting.state, untrusting.state])}`,
        );
      }
      await new Promise(r => setTimeout(r, 20));
    }
    expect(untrusting.state).toMatchObject({
      lastError: expect.stringMatching(/self[- ]signed certificate/),
    });
    await Promise.all([trusting.stop(), untrusting.stop()]);
    await portal.close();
  });

  it('reaches the portal through an egress proxy: one HTTP CONNECT per tunnel, TLS to the portal inside it', async () => {
    const tls = createSelfSignedCertificate('portal');
    const portal = await fakePortal(0, tls);
    const portalPort = portal.port;
    // A forward proxy as egress proxies are: CONNECT host:port, with its credentials.
    const connects: Array<{ target: string; authorization?: string }> = [];
    const proxy = http.createServer((_req, res) => res.writeHead(405).end());
    proxy.on('connect', (req, client, head) => {
      connects.push({
        target: req.url!,
        authorization: req.headers['proxy-authorization'],
      });
      const [, port] = req.url!.split(':');
      const upstream = net.connect(Number(port), '127.0.0.1', () => {
        client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
        upstream.write(head);
        upstream.pipe(client);
        client.pipe(upstream);
      });
      upstream.on('error', () => client.destroy());
      client.on('error', () => upstream.destroy());
    });
    await new Promise<void>(r => proxy.listen(0, '127.0.0.1', r));
    const agent = new TunnelAgent({
      portalUrl: `https://localhost:${portalPort}/api/kubernetes-terminal`,
      cluster: 'c1',
      token: 'ktagent_secret',
      apiServer: 'kubernetes.default.svc:443',
      version: '1.0.0',
      portalCa: tls.cert,
      proxyUrl: `http://egress:s3cret@127.0.0.1:${
        (proxy.address() as AddressInfo).port
      }`,
    });
    agent.start();
    const deadline = Date.now() + 10_000;
    while (agent.state.status !== 'connected') {
      if (Date.now() > deadline) {
        throw new Error(`state: ${JSON.stringify(agent.state)}`);
      }
      await new Promise(r => setTimeout(r, 20));
    }
    expect(connects).toEqual([
      {
        target: `localhost:${portalPort}`,
        authorization: `Basic ${Buffer.from('egress:s3cret').toString(
          'base64',
        )}`,
      },
    ]);
    await agent.stop();
    await portal.close();
    proxy.closeAllConnections();
    await new Promise(r => proxy.close(r));
  });
});
