import {
  mockCredentials,
  type TestBackend,
} from '@backstage/backend-test-utils';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import v8 from 'node:v8';
import vm from 'node:vm';
import request from 'supertest';
import WebSocket from 'ws';
import { TerminalClient } from '../__testUtils__/TerminalClient';
import {
  DEMO_POD,
  startTerminalTestEnv,
  type TerminalTestEnv,
} from '../__testUtils__/terminalBackend';

jest.setTimeout(60_000);

describe('kubernetes-terminal backend against the sandbox cluster', () => {
  let env: TerminalTestEnv;
  let backend: TestBackend;
  let port: number;
  let decision: AuthorizeResult.ALLOW | AuthorizeResult.DENY;
  const clients: TerminalClient[] = [];

  beforeAll(async () => {
    env = await startTerminalTestEnv({
      decide: () => decision,
      extraClusters: [
        {
          name: 'unreachable',
          url: 'http://127.0.0.1:1',
          authProvider: 'serviceAccount',
          serviceAccountToken: 'x',
          skipTLSVerify: true,
        },
      ],
      terminalConfig: { heartbeatIntervalSeconds: 5 },
    });
    ({ backend, port } = env);
  });

  afterAll(async () => {
    await env?.stop();
  });

  beforeEach(() => {
    decision = AuthorizeResult.ALLOW;
  });

  afterEach(() => {
    clients.splice(0).forEach(c => c.close());
  });

  async function openSession(body: Partial<Record<string, unknown>> = {}) {
    const res = await request(backend.server)
      .post('/api/kubernetes-terminal/sessions')
      .set('Authorization', mockCredentials.user.header('user:default/alice'))
      .send({
        entityRef: 'component:default/demo-service',
        cluster: 'sandbox',
        namespace: 'demo',
        pod: DEMO_POD,
        container: 'app',
        cols: 80,
        rows: 24,
        ...body,
      });
    return res;
  }

  function streamUrl(streamPath: string) {
    return `ws://127.0.0.1:${port}/api/kubernetes-terminal${streamPath}`;
  }

  async function connect(
    body: Partial<Record<string, unknown>> = {},
    autoAck = true,
  ) {
    const res = await openSession(body);
    expect(res.status).toBe(201);
    const client = await TerminalClient.connect(
      streamUrl(res.body.streamPath),
      {
        ticket: res.body.ticket,
        autoAck,
      },
    );
    clients.push(client);
    return { client, session: res.body };
  }

  it('lists the entity pods per cluster and reports the unreachable one', async () => {
    const res = await request(backend.server)
      .get('/api/kubernetes-terminal/targets')
      .query({ entityRef: 'component:default/demo-service' })
      .set('Authorization', mockCredentials.user.header());
    expect(res.status).toBe(200);
    expect(res.body.annotated).toBe(true);
    expect(res.body.canExec).toBe(true);
    expect(res.body.labelSelector).toBe(
      'backstage.io/kubernetes-id=demo-service',
    );
    const [sandboxCluster, unreachable] = res.body.clusters;
    expect(sandboxCluster.name).toBe('sandbox');
    const pod = sandboxCluster.pods.find((p: any) => p.name === DEMO_POD);
    expect(pod).toMatchObject({ namespace: 'demo', phase: 'Running' });
    expect(pod.containers.map((c: any) => c.name)).toEqual(['app', 'sidecar']);
    expect(sandboxCluster.pods.every((p: any) => p.namespace === 'demo')).toBe(
      true,
    );
    expect(unreachable).toMatchObject({
      name: 'unreachable',
      pods: [],
      error: { reason: 'UNREACHABLE' },
    });
  });

  it('tells an entity without annotations, and refuses bad entity refs', async () => {
    const res = await request(backend.server)
      .get('/api/kubernetes-terminal/targets')
      .query({ entityRef: 'component:default/docs-site' })
      .set('Authorization', mockCredentials.user.header());
    expect(res.body).toMatchObject({ annotated: false, clusters: [] });
    const bad = await request(backend.server)
      .get('/api/kubernetes-terminal/targets')
      .query({ entityRef: '' })
      .set('Authorization', mockCredentials.user.header());
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toMatch(/entityRef/);
  });

  it('requires a signed-in user', async () => {
    const res = await request(backend.server)
      .get('/api/kubernetes-terminal/targets')
      .query({ entityRef: 'component:default/demo-service' });
    expect(res.status).toBe(401);
  });

  it('relays typing and output: echo round trip', async () => {
    const { client } = await connect();
    await client.waitFor(() => !!client.message('connected'), 'connected');
    expect(client.message('connected')).toMatchObject({ shell: 'bash' });
    expect(client.message('connected')!.protocol).toMatch(
      /^v[45]\.channel\.k8s\.io$/,
    );
    const word = `hello-${Math.random().toString(36).slice(2, 8)}`;
    client.type(`echo ${word}\r`);
    await client.waitForOutput(new RegExp(`[\\r\\n]${word}\\r\\n`));
  });

  it('applies resizes to the PTY (stty size)', async () => {
    const { client } = await connect();
    await client.waitFor(() => !!client.message('connected'), 'connected');
    client.type('stty size\r');
    await client.waitForOutput(/[\r\n]24 80\r\n/);
    client.resize(132, 41);
    client.type('stty size\r');
    await client.waitForOutput(/[\r\n]41 132\r\n/);
  });

  it('shows a non-zero exit and closes normally', async () => {
    const { client } = await connect();
    await client.waitFor(() => !!client.message('connected'), 'connected');
    client.type('exit 3\r');
    const closed = await client.waitForClose();
    expect(client.message('exit')).toEqual({ type: 'exit', code: 3 });
    expect(closed).toEqual({
      code: 1000,
      reason: 'process exited with code 3',
    });
  });

  it('falls back from bash to sh without losing the first keystrokes', async () => {
    const { client } = await connect({ container: 'sidecar' });
    client.type('echo early-');
    client.type('bird\r');
    await client.waitFor(() => !!client.message('connected'), 'connected');
    expect(client.message('shell-fallback')).toMatchObject({
      tried: 'bash',
      next: 'sh',
    });
    expect(client.message('connected')).toMatchObject({ shell: 'sh' });
    await client.waitForOutput(/[\r\n]early-bird\r\n/);
  });

  it('without a terminal, sends input at once and again to the next shell when the first is missing', async () => {
    const { client } = await connect({ container: 'sidecar', tty: false });
    client.type('echo early-pipe; exit 4\n');
    await client.waitForClose();
    expect(client.message('shell-fallback')).toMatchObject({
      tried: 'bash',
      next: 'sh',
    });
    expect(client.message('connected')).toMatchObject({ shell: 'sh' });
    expect(client.output).toBe('early-pipe\n');
    expect(client.message('exit')).toEqual({ type: 'exit', code: 4 });
  });

  it('pauses the container while output is not acknowledged', async () => {
    const { client } = await connect({}, false);
    await client.waitFor(() => !!client.message('connected'), 'connected');
    client.type('head -c 8000000 /dev/zero; echo; echo flood-done\r');
    await client.waitFor(
      () => client.outputBytes > 1024 * 1024,
      'first window',
    );
    await new Promise(r => setTimeout(r, 500));
    const stalledAt = client.outputBytes;
    // One window plus what was in flight; never the whole 8 MB.
    expect(stalledAt).toBeLessThan(3 * 1024 * 1024);
    await new Promise(r => setTimeout(r, 300));
    expect(client.outputBytes).toBe(stalledAt);
    const acker = setInterval(() => client.ack(1024 * 1024), 5);
    try {
      await client.waitForOutput(/[\r\n]flood-done\r\n/, 30_000);
    } finally {
      clearInterval(acker);
    }
    expect(client.outputBytes).toBeGreaterThan(8_000_000);
  });

  it("pauses the container while the browser's socket is backed up, whatever it acknowledges", async () => {
    const { client } = await connect({}, false);
    await client.waitFor(() => !!client.message('connected'), 'connected');
    const socket = (
      client.ws as unknown as { _socket: import('node:net').Socket }
    )._socket;
    // What this process holds in buffers, garbage collected first (the flood's earlier output).
    v8.setFlagsFromString('--expose-gc');
    const gc = vm.runInNewContext('gc') as () => void;
    // Buffers are freed by a sweeper after the collection: collected twice, a moment apart.
    const held = async () => {
      gc();
      await new Promise(r => setTimeout(r, 50));
      gc();
      return process.memoryUsage().arrayBuffers;
    };
    const before = await held();
    // A client that claims to have drawn everything but reads nothing: only the socket says so.
    socket.pause();
    const acker = setInterval(() => client.ack(1024 * 1024), 5);
    try {
      client.type('head -c 48000000 /dev/zero; echo; echo flood-done\r');
      await new Promise(r => setTimeout(r, 2000));
      // Without the socket's say, the relay reads the 48 MB from the cluster into its memory (44 MB
      // held, measured); with it, one window and what was in flight (about 8 MB under load).
      expect((await held()) - before).toBeLessThan(20 * 1024 * 1024);
      socket.resume();
      // And it goes on once the socket drains (the rest of the flood is not awaited: this client
      // keeps all output in one string, which makes it slow past a few megabytes).
      const resumedAt = client.outputBytes;
      await client.waitFor(
        () => client.outputBytes > resumedAt + 4 * 1024 * 1024,
        'output after the socket drained',
      );
    } finally {
      clearInterval(acker);
    }
  });

  it('refuses when the permission is denied', async () => {
    decision = AuthorizeResult.DENY;
    const res = await openSession();
    expect(res.status).toBe(403);
    expect(res.body.error.message).toMatch(/not allowed to open a terminal/);
    const targets = await request(backend.server)
      .get('/api/kubernetes-terminal/targets')
      .query({ entityRef: 'component:default/demo-service' })
      .set('Authorization', mockCredentials.user.header());
    // No inventory of the entity's pods for someone who may open none; what explains the refusal.
    expect(targets.body).toEqual({
      entityRef: 'component:default/demo-service',
      annotated: true,
      canExec: false,
      clusters: [],
      denied: {
        permissions: ['kubernetes.terminal.exec'],
        owner: 'group:default/guests',
      },
    });
  });

  it('refuses pods that are not the entity workloads, and invalid names', async () => {
    const foreign = await openSession({ namespace: 'other', pod: 'unrelated' });
    expect(foreign.status).toBe(404);
    const traversal = await openSession({ pod: '../../etc/passwd' });
    expect(traversal.status).toBe(400);
    expect(traversal.body.error.message).toMatch(
      /^pod: must be a DNS-1123 subdomain/,
    );
    const injection = await openSession({ container: 'app; rm -rf /' });
    expect(injection.status).toBe(400);
    const extra = await openSession({ command: ['sh', '-c', 'id'] });
    expect(extra.status).toBe(400);
    const noContainer = await openSession({ container: 'nope' });
    expect(noContainer.status).toBe(404);
  });

  it('rejects a cross-origin upgrade', async () => {
    const res = await openSession();
    await expect(
      TerminalClient.connect(streamUrl(res.body.streamPath), {
        ticket: res.body.ticket,
        origin: 'http://evil.example.com',
      }),
    ).rejects.toThrow('upgrade refused with HTTP 403');
  });

  it('rejects an unknown ticket, a reused one, and one for another session', async () => {
    const res = await openSession();
    const unknown = await TerminalClient.connect(
      streamUrl(res.body.streamPath),
      {
        ticket: 'A'.repeat(43),
      },
    );
    expect(await unknown.waitForClose()).toEqual({
      code: 4401,
      reason: 'unknown, expired or already used ticket',
    });
    const first = await TerminalClient.connect(streamUrl(res.body.streamPath), {
      ticket: res.body.ticket,
    });
    clients.push(first);
    await first.waitFor(() => !!first.message('connected'), 'connected');
    const replay = await TerminalClient.connect(
      streamUrl(res.body.streamPath),
      {
        ticket: res.body.ticket,
      },
    );
    expect((await replay.waitForClose()).code).toBe(4401);

    const other = await openSession();
    const crossed = await TerminalClient.connect(
      streamUrl(res.body.streamPath),
      {
        ticket: other.body.ticket,
      },
    );
    expect(await crossed.waitForClose()).toEqual({
      code: 4401,
      reason: 'ticket was issued for another session',
    });
  });

  it('requires the subprotocol and a ticket', async () => {
    const res = await openSession();
    await expect(
      TerminalClient.connect(streamUrl(res.body.streamPath), {
        protocols: ['kubernetes-terminal.v1'],
      }),
    ).rejects.toThrow('upgrade refused with HTTP 400');
  });

  it('hands upgrades for other paths to the HTTP handlers while it is the only upgrade listener', async () => {
    // Served by Express (here its 404), as without any listener: nothing hangs.
    const status = await new Promise<number>(resolve => {
      const ws = new WebSocket(`ws://127.0.0.1:${port}/api/other/ws`);
      ws.on('unexpected-response', (_req, r) => resolve(r.statusCode ?? 0));
      ws.on('error', () => resolve(-1));
    });
    expect(status).toBe(404);
    expect(backend.server.listenerCount('upgrade')).toBe(1);
  });

  it('keeps a session open past the HTTP server\u2019s header and request timeouts', async () => {
    // Node destroys sockets of requests it still tracks once these pass (checked every 30 s); an
    // upgrade taken from Express stayed tracked, and its terminal died after a minute or so.
    const { headersTimeout, requestTimeout } = backend.server;
    backend.server.headersTimeout = 1000;
    backend.server.requestTimeout = 1500;
    try {
      const { client } = await connect();
      await client.waitFor(() => !!client.message('connected'), 'connected');
      await new Promise(r => setTimeout(r, 31_000));
      client.type('echo still-here\r');
      await client.waitForOutput(/[\r\n]still-here\r\n/);
      expect(client.closed).toBeUndefined();
    } finally {
      backend.server.headersTimeout = headersTimeout;
      backend.server.requestTimeout = requestTimeout;
    }
  }, 60_000);

  it('works beside another plugin that listens for upgrades, and leaves its upgrades alone', async () => {
    const otherPaths: string[] = [];
    const other = (req: any, socket: any) => {
      if (req.url === '/api/other/ws') {
        otherPaths.push(req.url);
        socket.end('HTTP/1.1 418 I am a teapot\r\nConnection: close\r\n\r\n');
      }
    };
    backend.server.on('upgrade', other);
    try {
      await new Promise(r => setImmediate(r));
      const { client } = await connect();
      await client.waitFor(() => !!client.message('connected'), 'connected');
      client.type('echo beside-signals\r');
      await client.waitForOutput(/[\r\n]beside-signals\r\n/);

      const status = await new Promise<number>(resolve => {
        const ws = new WebSocket(`ws://127.0.0.1:${port}/api/other/ws`);
        ws.on('unexpected-response', (_req, r) => resolve(r.statusCode ?? 0));
        ws.on('error', () => {});
      });
      expect(status).toBe(418);
      expect(otherPaths).toEqual(['/api/other/ws']);
    } finally {
      backend.server.off('upgrade', other);
    }
  });
});
