import { mockCredentials, TestDatabases } from '@backstage/backend-test-utils';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import type { SandboxCluster } from '@internal/kube-sandbox';
import { TerminalCloseCode } from '@kubernetes-terminal/backstage-plugin-kubernetes-terminal-common';
import type { Knex } from 'knex';
import request from 'supertest';
import { FaultyProxy } from '../__testUtils__/faultyProxy';
import { TerminalClient } from '../__testUtils__/TerminalClient';
import { eventually } from '../__testUtils__/eventually';
import {
  DEMO_POD,
  startDemoSandbox,
  startTerminalTestEnv,
  type TerminalTestEnv,
  openTerminal,
  DEMO_TARGET,
} from '../__testUtils__/terminalBackend';

/*
 * What goes wrong around a terminal, for real: the Kubernetes API slow, failing or gone (through a
 * proxy in front of the sandbox), the exec stream cut, the pod deleted under the user, and the
 * portal's database gone while sessions run. Each time: a clear answer or close reason, the session
 * ended in the log with why, and no audit event lost.
 */

jest.setTimeout(120_000);

const BASE = '/api/kubernetes-terminal';
const USER = 'user:default/alice';
const databases = TestDatabases.create({ ids: ['SQLITE_3'] });

describe('faults', () => {
  let sandbox: SandboxCluster;
  let proxy: FaultyProxy;
  let env: TerminalTestEnv;
  let knex: Knex;
  const clients: TerminalClient[] = [];

  beforeAll(async () => {
    sandbox = await startDemoSandbox();
    proxy = await FaultyProxy.start(sandbox.url);
    knex = await databases.init('SQLITE_3');
    env = await startTerminalTestEnv({
      decide: () => AuthorizeResult.ALLOW,
      sandbox,
      knex,
      extraClusters: [
        {
          name: 'faulty',
          url: proxy.url,
          authProvider: 'serviceAccount',
          serviceAccountToken: 'sandbox-portal-token',
          skipTLSVerify: true,
        },
      ],
      terminalConfig: {
        clusterRequestTimeout: { milliseconds: 1500 },
        maxSessionsPerUser: 100,
      },
    });
  });
  afterEach(() => {
    proxy.mode = { kind: 'ok' };
    clients.splice(0).forEach(c => c.close());
  });
  afterAll(async () => {
    await env?.stop();
    await proxy?.close();
    await sandbox?.close();
  });

  const api = (method: 'get' | 'post', path: string) =>
    request(env.backend.server)
      [method](`${BASE}${path}`)
      .set('Authorization', mockCredentials.user.header(USER));

  const body = (cluster: string, pod = DEMO_POD) => ({
    ...DEMO_TARGET,
    cluster,
    pod,
  });

  async function open(cluster: string, pod = DEMO_POD) {
    const opened = await openTerminal(
      env.backend.server,
      USER,
      body(cluster, pod),
      {
        connected: false,
      },
    );
    clients.push(opened.client);
    return opened;
  }

  async function ended(sessionId: string) {
    return eventually(async () => {
      const res = await api('get', `/sessions/${sessionId}`);
      expect(res.body.session.endedAt).toBeDefined();
      expect(res.body.events.map((e: any) => e.type)).toContain('disconnect');
      return res.body;
    });
  }

  it('API answering 500: the cluster is reported unavailable, and no session opens', async () => {
    proxy.mode = { kind: 'error' };
    const targets = await api(
      'get',
      '/targets?entityRef=component:default/demo-service',
    );
    expect(targets.status).toBe(200);
    const faulty = targets.body.clusters.find((c: any) => c.name === 'faulty');
    expect(faulty.error.message).toMatch(/faulty/);
    // The healthy cluster is still listed with its pods.
    const healthy = targets.body.clusters.find(
      (c: any) => c.name === 'sandbox',
    );
    expect(healthy.pods.length).toBeGreaterThan(0);
    const res = await api('post', '/sessions').send(body('faulty'));
    expect(res.status).toBe(503);
    expect(res.body.error.message).toMatch(/faulty/);
  });

  it('API slow: within the timeout it works, past it the answer is 503 with the reason', async () => {
    proxy.mode = { kind: 'slow', delayMs: 300 };
    const { client } = await open('faulty');
    await client.waitFor(() => !!client.message('connected'), 'connected');
    proxy.mode = { kind: 'slow', delayMs: 3000 };
    const started = Date.now();
    const res = await api('post', '/sessions').send(body('faulty'));
    expect(res.status).toBe(503);
    expect(res.body.error.message).toMatch(/no answer within 1500 ms/);
    expect(Date.now() - started).toBeLessThan(3000);
  });

  it('API gone and the exec stream cut mid-session: the terminal says so, the log says why', async () => {
    const { client, sessionId } = await open('faulty');
    await client.waitFor(() => !!client.message('connected'), 'connected');
    client.type('echo before-the-cut\r');
    await client.waitForOutput(/before-the-cut\r\n/);
    expect(proxy.goDown()).toBeGreaterThanOrEqual(1);
    await client.waitForClose();
    expect(client.closed).toMatchObject({
      code: TerminalCloseCode.UpstreamError,
    });
    expect(client.closed!.reason).toMatch(/closed by the cluster/);
    expect(client.messages.find(m => m.type === 'error')).toMatchObject({
      reason: 'ConnectionLost',
    });
    const detail = await ended(sessionId);
    expect(detail.session.endReason).toMatch(/closed by the cluster/);
    expect(
      detail.events
        .filter((e: any) => e.type === 'command_executed')
        .map((e: any) => e.command),
    ).toEqual(['echo before-the-cut']);
    // While it is gone, opening fails with the reason.
    const res = await api('post', '/sessions').send(body('faulty'));
    expect(res.status).toBe(503);
  });

  it('pod deleted under the user: the session ends with the reason', async () => {
    const pod = 'demo-service-7d9f8b6c5-fghij';
    const manifest = sandbox.get('v1', 'Pod', pod, 'demo');
    expect(manifest).toBeDefined();
    const { client, sessionId } = await open('sandbox', pod);
    await client.waitFor(() => !!client.message('connected'), 'connected');
    try {
      sandbox.delete('v1', 'Pod', pod, 'demo');
      await client.waitForClose(15_000);
      expect(client.closed).toEqual({
        code: TerminalCloseCode.NotFound,
        reason: `pod demo/${pod} was deleted`,
      });
      expect(client.messages.find(m => m.type === 'error')).toMatchObject({
        reason: 'PodDeleted',
      });
      const detail = await ended(sessionId);
      expect(detail.session.endReason).toBe(`pod demo/${pod} was deleted`);
      // A new session on the deleted pod is refused with the reason.
      const res = await api('post', '/sessions').send(body('sandbox', pod));
      expect(res.status).toBe(404);
      expect(res.body.error.message).toMatch(pod);
    } finally {
      const { metadata, ...rest } = manifest as any;
      sandbox.apply({
        ...rest,
        metadata: {
          name: metadata.name,
          namespace: metadata.namespace,
          labels: metadata.labels,
        },
      });
    }
  });

  it('database gone mid-session: events wait in memory and are all written once it is back', async () => {
    const { client, sessionId } = await open('sandbox');
    await client.waitFor(() => !!client.message('connected'), 'connected');
    client.type('echo one\r');
    await client.waitForOutput(/[\r\n]one\r\n/);
    await knex.schema.renameTable(
      'kubernetes_terminal_audit_events',
      'events_away',
    );
    const typed = ['echo two', 'echo three', 'echo four'];
    try {
      for (const line of typed) {
        client.type(`${line}\r`);
        await client.waitForOutput(
          new RegExp(`[\\r\\n]${line.slice(5)}\\r\\n`),
        );
      }
      // A write was tried and failed meanwhile: new sessions are refused (fail closed).
      await eventually(async () => {
        const res = await api('post', '/sessions').send(body('sandbox'));
        expect(res.status).toBe(503);
        expect(res.body.error.message).toMatch(/audit log cannot be written/);
      }, 15_000);
    } finally {
      await knex.schema.renameTable(
        'events_away',
        'kubernetes_terminal_audit_events',
      );
    }
    client.type('exit\r');
    await client.waitForClose();
    const detail = await eventually(async () => {
      const res = await api('get', `/sessions/${sessionId}`);
      expect(res.body.events.map((e: any) => e.type)).toContain('disconnect');
      return res.body;
    }, 30_000);
    const commands = detail.events
      .filter((e: any) => e.type === 'command_executed')
      .map((e: any) => e.command);
    // Every one, once, in order.
    expect(commands).toEqual(['echo one', ...typed, 'exit']);
  });
});
