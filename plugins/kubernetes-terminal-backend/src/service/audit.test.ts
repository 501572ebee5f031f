import {
  mockCredentials,
  type TestBackend,
} from '@backstage/backend-test-utils';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import request from 'supertest';
import { TerminalClient } from '../__testUtils__/TerminalClient';
import { eventually } from '../__testUtils__/eventually';
import {
  DEMO_POD,
  startTerminalTestEnv,
  type TerminalTestEnv,
} from '../__testUtils__/terminalBackend';

jest.setTimeout(60_000);

const ALICE = 'user:default/alice';
const BOB = 'user:default/bob';
const AUDITOR = 'user:default/auditor';
const ADMIN = 'user:default/admin';
const CAROL = 'user:default/carol';
const MALLORY = 'user:default/mallory';

/** A policy in miniature: mallory may not exec; auditor reads; admin reads and terminates. */
function decide(
  permission: string,
  user: string,
): AuthorizeResult.ALLOW | AuthorizeResult.DENY {
  const allowedUsers: Record<string, (u: string) => boolean> = {
    'kubernetes.terminal.exec': u => u !== MALLORY,
    'kubernetes.terminal.audit.read': u => u === AUDITOR || u === ADMIN,
    'kubernetes.terminal.session.terminate': u => u === ADMIN,
  };
  const allowed = allowedUsers[permission]?.(user) ?? false;
  return allowed ? AuthorizeResult.ALLOW : AuthorizeResult.DENY;
}

describe('sessions and audit log', () => {
  let env: TerminalTestEnv;
  let backend: TestBackend;
  let port: number;
  const clients: TerminalClient[] = [];

  beforeAll(async () => {
    env = await startTerminalTestEnv({
      decide,
      terminalConfig: { maxSessionsPerUser: 2, privateClusters: ['sandbox'] },
    });
    ({ backend, port } = env);
  });

  afterAll(async () => {
    clients.forEach(c => c.close());
    await env?.stop();
  });

  afterEach(() => {
    clients.splice(0).forEach(c => c.close());
  });

  const api = (method: 'get' | 'post' | 'delete', url: string, user: string) =>
    request(backend.server)
      [method](`/api/kubernetes-terminal${url}`)
      .set('Authorization', mockCredentials.user.header(user))
      .set('User-Agent', 'audit-test/1.0');

  async function open(user: string) {
    const res = await api('post', '/sessions', user).send({
      entityRef: 'component:default/demo-service',
      cluster: 'sandbox',
      namespace: 'demo',
      pod: DEMO_POD,
      container: 'app',
      cols: 100,
      rows: 30,
    });
    expect(res.status).toBe(201);
    const client = await TerminalClient.connect(
      `ws://127.0.0.1:${port}/api/kubernetes-terminal${res.body.streamPath}`,
      { ticket: res.body.ticket },
    );
    clients.push(client);
    await client.waitFor(() => !!client.message('connected'), 'connected');
    return { client, sessionId: res.body.sessionId as string };
  }

  it('records a session from connect to exit, with its resize', async () => {
    const { client, sessionId } = await open(ALICE);
    client.resize(120, 40);
    client.type('echo auditex');
    client.type('\x7fd\r');
    await client.waitForOutput(/[\r\n]audited\r\n/);
    await new Promise(r => setTimeout(r, 1200));
    client.type('exit\r');
    await client.waitForClose();

    const detail = await eventually(async () => {
      const res = await api('get', `/sessions/${sessionId}`, ALICE);
      expect(res.status).toBe(200);
      expect(res.body.session.status).toBe('closed');
      expect(res.body.events.map((e: any) => e.type)).toContain('disconnect');
      return res.body;
    });
    expect(detail.session).toMatchObject({
      id: sessionId,
      userEntityRef: ALICE,
      entityRef: 'component:default/demo-service',
      cluster: 'sandbox',
      clusterType: 'private',
      namespace: 'demo',
      pod: DEMO_POD,
      container: 'app',
      kind: 'exec',
      shell: 'bash',
      endReason: 'process exited with code 0',
      userAgent: 'audit-test/1.0',
    });
    expect(detail.session.clientIp).toBeTruthy();
    const types = detail.events.map((e: any) => e.type);
    expect(types[0]).toBe('connect');
    expect(types[types.length - 1]).toBe('disconnect');
    // What the user ran, as the shell saw it: typed with a typo, fixed with backspace.
    expect(
      detail.events
        .filter((e: any) => e.type === 'command_executed')
        .map((e: any) => e.command),
    ).toEqual(['echo audited', 'exit']);
    expect(detail.events.find((e: any) => e.type === 'resize').details).toEqual(
      {
        cols: 120,
        rows: 40,
      },
    );
    expect(
      detail.events.every(
        (e: any) => e.userEntityRef === ALICE && e.pod === DEMO_POD,
      ),
    ).toBe(true);
    expect(detail.canTerminate).toBe(false);
  });

  it('runs a session without a terminal, recording each line sent as a command', async () => {
    const res = await api('post', '/sessions', CAROL).send({
      entityRef: 'component:default/demo-service',
      cluster: 'sandbox',
      namespace: 'demo',
      pod: DEMO_POD,
      container: 'app',
      tty: false,
    });
    expect(res.status).toBe(201);
    const client = await TerminalClient.connect(
      `ws://127.0.0.1:${port}/api/kubernetes-terminal${res.body.streamPath}`,
      { ticket: res.body.ticket },
    );
    clients.push(client);
    client.resize(100, 30);
    client.type(
      'echo out; echo err >&2; [ -t 0 ] && echo is-a-tty || echo not-a-tty\n',
    );
    // No echo of the line, no prompt; stderr comes as data too.
    await client.waitForOutput(/not-a-tty\n/);
    expect(client.output).toContain('out\n');
    expect(client.output).toContain('err\n');
    expect(client.output).not.toContain('echo out');
    client.type('exit 3\n');
    await client.waitForClose();
    expect(client.message('exit')).toMatchObject({ code: 3 });
    const detail = await eventually(async () => {
      const got = await api('get', `/sessions/${res.body.sessionId}`, CAROL);
      expect(got.body.events.map((e: any) => e.type)).toContain('disconnect');
      return got.body;
    });
    expect(
      detail.events
        .filter((e: any) => e.type === 'command_executed')
        .map((e: any) => e.command),
    ).toEqual([
      'echo out; echo err >&2; [ -t 0 ] && echo is-a-tty || echo not-a-tty',
      'exit 3',
    ]);
  });

  it('shows users only their own sessions and events', async () => {
    const { sessionId } = await open(ALICE);
    expect((await api('get', `/sessions/${sessionId}`, BOB)).status).toBe(404);
    const bobs = await api('get', '/sessions', BOB);
    expect(bobs.body.items.every((s: any) => s.userEntityRef === BOB)).toBe(
      true,
    );
    const foreign = await api(
      'get',
      `/audit-events?user=${encodeURIComponent(ALICE)}`,
      BOB,
    );
    expect(foreign.status).toBe(403);
    const mine = await api('get', '/sessions', ALICE);
    expect(mine.body.items.map((s: any) => s.id)).toContain(sessionId);
  });

  it('lets an auditor read everything, filter, page and export', async () => {
    await open(ALICE);
    const res = await eventually(async () => {
      const r = await api(
        'get',
        `/audit-events?user=${encodeURIComponent(ALICE)}&type=connect&limit=1`,
        AUDITOR,
      );
      expect(r.body.items).toHaveLength(1);
      expect(r.body.nextCursor).toBeDefined();
      return r;
    });
    expect(res.body.items[0]).toMatchObject({
      type: 'connect',
      userEntityRef: ALICE,
    });
    const next = await api(
      'get',
      `/audit-events?user=${encodeURIComponent(
        ALICE,
      )}&type=connect&limit=1&cursor=${res.body.nextCursor}`,
      AUDITOR,
    );
    expect(next.body.items[0].id).not.toEqual(res.body.items[0].id);

    const csv = await api(
      'get',
      `/audit-events/export?format=csv&user=${encodeURIComponent(ALICE)}`,
      AUDITOR,
    );
    expect(csv.status).toBe(200);
    expect(csv.header['content-disposition']).toMatch(
      /^attachment; filename="terminal-audit-.*\.csv"$/,
    );
    const lines = csv.text.trim().split('\r\n');
    expect(lines[0]).toBe(
      'time,type,user,entity,cluster,namespace,pod,container,command,client_ip,user_agent,session_id,details',
    );
    expect(lines.length).toBeGreaterThan(2);
    const json = await api(
      'get',
      `/audit-events/export?format=json&type=connect`,
      AUDITOR,
    );
    const events = JSON.parse(json.text);
    expect(events.length).toBeGreaterThan(1);
    expect(events.every((e: any) => e.type === 'connect')).toBe(true);
  });

  it('lets an admin terminate a live session, and tells its user who did', async () => {
    const { client, sessionId } = await open(ALICE);
    const denied = await api('delete', `/sessions/${sessionId}`, AUDITOR);
    expect(denied.status).toBe(403);
    const res = await api(
      'delete',
      `/sessions/${sessionId}?reason=maintenance`,
      ADMIN,
    );
    expect(res.status).toBe(204);
    const closed = await client.waitForClose();
    expect(closed).toEqual({
      code: 4410,
      reason: `terminated by ${ADMIN}: maintenance`,
    });
    expect(client.message('terminated')).toEqual({
      type: 'terminated',
      by: ADMIN,
      reason: 'maintenance',
    });
    expect((await api('delete', `/sessions/${sessionId}`, ADMIN)).status).toBe(
      409,
    );
    const detail = await eventually(async () => {
      const r = await api('get', `/sessions/${sessionId}`, ADMIN);
      expect(r.body.events.map((e: any) => e.type)).toEqual(
        expect.arrayContaining(['connect', 'terminate', 'disconnect']),
      );
      return r.body;
    });
    expect(detail.session.status).toBe('terminated');
    expect(
      detail.events.find((e: any) => e.type === 'terminate').details,
    ).toEqual({
      by: ADMIN,
      reason: 'maintenance',
    });
    const deniedEvents = await eventually(async () => {
      const r = await api(
        'get',
        `/audit-events?type=denied&user=${encodeURIComponent(AUDITOR)}`,
        ADMIN,
      );
      expect(r.body.items.length).toBeGreaterThan(0);
      return r.body.items;
    });
    expect(deniedEvents[0].details).toMatchObject({ action: 'terminate' });
  });

  it('records a denied terminal', async () => {
    const res = await api('post', '/sessions', MALLORY).send({
      entityRef: 'component:default/demo-service',
      cluster: 'sandbox',
      namespace: 'demo',
      pod: DEMO_POD,
      container: 'app',
    });
    expect(res.status).toBe(403);
    const events = await eventually(async () => {
      const r = await api(
        'get',
        `/audit-events?type=denied&user=${encodeURIComponent(MALLORY)}`,
        AUDITOR,
      );
      expect(r.body.items).toHaveLength(1);
      return r.body.items;
    });
    expect(events[0]).toMatchObject({
      type: 'denied',
      entityRef: 'component:default/demo-service',
      pod: DEMO_POD,
      details: { permission: 'kubernetes.terminal.exec' },
    });
  });

  it('limits the sessions one user may have open', async () => {
    await open(CAROL);
    await open(CAROL);
    await eventually(async () => {
      const r = await api('get', '/sessions?status=active', CAROL);
      expect(r.body.items).toHaveLength(2);
    });
    const third = await api('post', '/sessions', CAROL).send({
      entityRef: 'component:default/demo-service',
      cluster: 'sandbox',
      namespace: 'demo',
      pod: DEMO_POD,
      container: 'app',
    });
    expect(third.status).toBe(409);
    expect(third.body.error.message).toMatch(/most allowed is 2/);
  });

  it.each([
    ['/sessions?limit=0', /limit/],
    ['/sessions?status=bogus', /status/],
    ['/sessions?from=yesterday', /from: must be an ISO 8601 date/],
    ['/sessions?cursor=garbage', /cursor/i],
    ['/sessions?unknown=1', /Unrecognized key/],
    ['/audit-events?type=shell', /type/],
    ['/audit-events/export?format=xml', /format: must be csv or json/],
    ['/sessions/not-a-uuid', /Invalid uuid/],
  ])('answers %s with 400 and a reason', async (url, reason) => {
    const res = await api('get', url, AUDITOR);
    expect(res.status).toBe(400);
    expect(res.body.error.message).toMatch(reason);
  });
});

describe('with audit.commands: false', () => {
  let env: TerminalTestEnv;

  beforeAll(async () => {
    env = await startTerminalTestEnv({
      decide,
      terminalConfig: { audit: { commands: false } },
    });
  });

  afterAll(() => env?.stop());

  it('records the session but no command', async () => {
    const res = await request(env.backend.server)
      .post('/api/kubernetes-terminal/sessions')
      .set('Authorization', mockCredentials.user.header(ALICE))
      .send({
        entityRef: 'component:default/demo-service',
        cluster: 'sandbox',
        namespace: 'demo',
        pod: DEMO_POD,
        container: 'app',
      });
    expect(res.status).toBe(201);
    const client = await TerminalClient.connect(
      `ws://127.0.0.1:${env.port}/api/kubernetes-terminal${res.body.streamPath}`,
      { ticket: res.body.ticket },
    );
    client.type('echo not-recorded\r');
    await client.waitForOutput(/[\r\n]not-recorded\r\n/);
    client.type('exit\r');
    await client.waitForClose();
    const detail = await eventually(async () => {
      const got = await request(env.backend.server)
        .get(`/api/kubernetes-terminal/sessions/${res.body.sessionId}`)
        .set('Authorization', mockCredentials.user.header(ALICE));
      expect(got.body.events.map((e: any) => e.type)).toContain('disconnect');
      return got.body;
    });
    const types = detail.events.map((e: any) => e.type);
    expect(types[0]).toBe('connect');
    expect(types).not.toContain('command_executed');
  });
});
