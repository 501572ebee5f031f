import { mockCredentials } from '@backstage/backend-test-utils';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import {
  TERMINAL_TICKET_PROTOCOL_PREFIX,
  TERMINAL_WS_PROTOCOL,
  TerminalCloseCode,
} from '@kubernetes-terminal/backstage-plugin-kubernetes-terminal-common';
import request from 'supertest';
import WebSocket from 'ws';
import { TerminalClient } from '../__testUtils__/TerminalClient';
import { eventually } from '../__testUtils__/eventually';
import {
  startTerminalTestEnv,
  type TerminalTestEnv,
  DEMO_TARGET,
} from '../__testUtils__/terminalBackend';

/*
 * Who may do what, case by case: every route and the WebSocket, for the unauthenticated, a guest,
 * service-to-service callers, users without permission, owners and non-owners, auditors and
 * admins, with tickets replayed, expired, or presented for another session. Zero bypasses: each case
 * asserts the refusal (or the allowance) and, where the plugin audits refusals, the `denied` event.
 */

jest.setTimeout(120_000);

const BASE = '/api/kubernetes-terminal';
const DEMO = 'component:default/demo-service';
const ALICE = 'user:default/alice'; // owns demo-service (the policy's condition, decided)
const BOB = 'user:default/bob'; // a user who owns nothing
const GUEST = 'user:development/guest';
const AUDITOR = 'user:default/auditor'; // audit.read
const ADMIN = 'user:default/admin'; // audit.read, terminate, recording.read
const revoked = new Set<string>();

function decide(
  permission: string,
  user: string | undefined,
  resourceRef?: string,
): AuthorizeResult.ALLOW | AuthorizeResult.DENY {
  const allow = (() => {
    if (!user || revoked.has(user)) return false;
    switch (permission) {
      case 'kubernetes.terminal.exec':
      case 'kubernetes.terminal.sessionPod.create':
        return resourceRef === DEMO && (user === ALICE || user === ADMIN);
      case 'kubernetes.terminal.audit.read':
        return user === AUDITOR || user === ADMIN;
      case 'kubernetes.terminal.session.terminate':
      case 'kubernetes.terminal.recording.read':
        return user === ADMIN;
      default:
        return false;
    }
  })();
  return allow ? AuthorizeResult.ALLOW : AuthorizeResult.DENY;
}

const sessionBody = DEMO_TARGET;

describe('authorization', () => {
  let env: TerminalTestEnv;
  /** A live session of Alice's, and an ended one. */
  let live: { id: string; client: TerminalClient };
  let ended: string;
  const clients: TerminalClient[] = [];
  const results: string[] = [];

  const api = (
    method: 'get' | 'post' | 'delete',
    path: string,
    as?: string | 'service',
  ) => {
    const req = request(env.backend.server)[method](`${BASE}${path}`);
    if (as === 'service')
      return req.set('Authorization', mockCredentials.service.header());
    return as ? req.set('Authorization', mockCredentials.user.header(as)) : req;
  };

  async function create(user: string) {
    const res = await api('post', '/sessions', user).send(sessionBody);
    expect(res.status).toBe(201);
    return res.body as {
      sessionId: string;
      ticket: string;
      streamPath: string;
    };
  }

  function connect(
    streamPath: string,
    protocols: string[],
    origin = 'http://localhost:3000',
  ) {
    return new Promise<{ client?: TerminalClient; status?: number }>(
      resolve => {
        const ws = new WebSocket(
          `ws://127.0.0.1:${env.port}${BASE}${streamPath}`,
          protocols,
          { headers: origin ? { origin } : {} },
        );
        ws.once('open', () => {
          const client = new TerminalClient(ws, true);
          clients.push(client);
          resolve({ client });
        });
        ws.once('unexpected-response', (_req, res) =>
          resolve({ status: res.statusCode }),
        );
        ws.once('error', () => resolve({}));
      },
    );
  }

  const ticketed = (ticket: string) => [
    TERMINAL_WS_PROTOCOL,
    `${TERMINAL_TICKET_PROTOCOL_PREFIX}${ticket}`,
  ];

  async function deniedEvents(user: string) {
    const res = await api(
      'get',
      `/audit-events?type=denied&user=${user}`,
      ADMIN,
    );
    return res.body.items as Array<{ details?: Record<string, unknown> }>;
  }

  beforeAll(async () => {
    env = await startTerminalTestEnv({
      decide,
      terminalConfig: { ticketTtl: { seconds: 2 }, maxSessionsPerUser: 100 },
    });
    const a = await create(ALICE);
    const opened = await connect(a.streamPath, ticketed(a.ticket));
    await opened.client!.waitFor(
      () => !!opened.client!.message('connected'),
      'connected',
    );
    live = { id: a.sessionId, client: opened.client! };
    const b = await create(ALICE);
    const other = await connect(b.streamPath, ticketed(b.ticket));
    await other.client!.waitFor(
      () => !!other.client!.message('connected'),
      'connected',
    );
    other.client!.type('exit\r');
    await other.client!.waitForClose();
    ended = b.sessionId;
  });

  afterAll(async () => {
    clients.forEach(c => c.close());
    // eslint-disable-next-line no-console
    console.log(`authorization: ${results.length} cases, all as expected`);
    await env?.stop();
  });

  const id = () => live.id;
  // [name, method, path, caller, expected status]
  const rest: Array<
    [
      string,
      'get' | 'post' | 'delete',
      () => string,
      string | undefined,
      number,
    ]
  > = [
    [
      'unauthenticated: targets',
      'get',
      () => `/targets?entityRef=${DEMO}`,
      undefined,
      401,
    ],
    [
      'unauthenticated: open a session',
      'post',
      () => '/sessions',
      undefined,
      401,
    ],
    [
      'unauthenticated: list sessions',
      'get',
      () => '/sessions',
      undefined,
      401,
    ],
    [
      'unauthenticated: a session',
      'get',
      () => `/sessions/${id()}`,
      undefined,
      401,
    ],
    [
      'unauthenticated: terminate',
      'delete',
      () => `/sessions/${id()}`,
      undefined,
      401,
    ],
    [
      'unauthenticated: extend',
      'post',
      () => `/sessions/${id()}/extend`,
      undefined,
      401,
    ],
    [
      'unauthenticated: recording',
      'get',
      () => `/sessions/${id()}/recording`,
      undefined,
      401,
    ],
    [
      'unauthenticated: audit log',
      'get',
      () => '/audit-events',
      undefined,
      401,
    ],
    [
      'unauthenticated: export',
      'get',
      () => '/audit-events/export',
      undefined,
      401,
    ],
    ['unauthenticated: unknown route', 'get', () => '/admin', undefined, 401],
    [
      'service credentials: open a session',
      'post',
      () => '/sessions',
      'service',
      403,
    ],
    [
      'service credentials: targets',
      'get',
      () => `/targets?entityRef=${DEMO}`,
      'service',
      403,
    ],
    [
      'service credentials: list sessions',
      'get',
      () => '/sessions',
      'service',
      403,
    ],
    [
      'service credentials: audit log',
      'get',
      () => '/audit-events',
      'service',
      403,
    ],
    [
      'service credentials: terminate',
      'delete',
      () => `/sessions/${id()}`,
      'service',
      403,
    ],
    [
      'service credentials: recording',
      'get',
      () => `/sessions/${id()}/recording`,
      'service',
      403,
    ],
    ['guest: open a session', 'post', () => '/sessions', GUEST, 403],
    ['no permission: open a session', 'post', () => '/sessions', BOB, 403],
    [
      'another user: read a session',
      'get',
      () => `/sessions/${id()}`,
      BOB,
      404,
    ],
    [
      'another user: terminate a session',
      'delete',
      () => `/sessions/${id()}`,
      BOB,
      404,
    ],
    [
      'another user: extend a session',
      'post',
      () => `/sessions/${id()}/extend`,
      BOB,
      404,
    ],
    [
      'another user: replay a session',
      'get',
      () => `/sessions/${id()}/recording`,
      BOB,
      404,
    ],
    [
      'another user: list someone else\u2019s sessions',
      'get',
      () => `/sessions?user=${ALICE}`,
      BOB,
      403,
    ],
    [
      'another user: someone else\u2019s events',
      'get',
      () => `/audit-events?user=${ALICE}`,
      BOB,
      403,
    ],
    [
      'another user: export someone else\u2019s events',
      'get',
      () => `/audit-events/export?user=${ALICE}`,
      BOB,
      403,
    ],
    [
      'auditor: terminate without session.terminate',
      'delete',
      () => `/sessions/${id()}`,
      AUDITOR,
      403,
    ],
    [
      'auditor: replay without recording.read',
      'get',
      () => `/sessions/${id()}/recording`,
      AUDITOR,
      403,
    ],
    [
      'auditor: read anyone\u2019s session',
      'get',
      () => `/sessions/${id()}`,
      AUDITOR,
      200,
    ],
    [
      'auditor: read anyone\u2019s events',
      'get',
      () => `/audit-events?user=${ALICE}`,
      AUDITOR,
      200,
    ],
    [
      'owner: replay one\u2019s own session without recording.read',
      'get',
      () => `/sessions/${ended}/recording`,
      ALICE,
      403,
    ],
    [
      'admin: replay anyone\u2019s session',
      'get',
      () => `/sessions/${ended}/recording`,
      ADMIN,
      200,
    ],
    [
      'owner: extend an exec session (only session pods extend)',
      'post',
      () => `/sessions/${id()}/extend`,
      ALICE,
      409,
    ],
  ];

  it.each(rest)('%s', async (name, method, path, caller, status) => {
    const req = api(method, path(), caller);
    const res = await (method === 'post' && path() === '/sessions'
      ? req.send(sessionBody)
      : req);
    expect({ name, status: res.status }).toEqual({ name, status });
    // A refusal always says why.
    expect(status < 400 || Boolean(res.body.error?.message)).toBe(true);
    results.push(name);
  });

  it('guest and non-owner refusals are audited as denied', async () => {
    await eventually(async () => {
      expect(await deniedEvents(BOB)).toContainEqual(
        expect.objectContaining({
          details: expect.objectContaining({
            permission: 'kubernetes.terminal.exec',
          }),
        }),
      );
      expect((await deniedEvents(GUEST)).length).toBeGreaterThan(0);
      expect(await deniedEvents(AUDITOR)).toEqual(
        expect.arrayContaining([
          expect.objectContaining({
            details: expect.objectContaining({ action: 'terminate' }),
          }),
          expect.objectContaining({
            details: expect.objectContaining({ action: 'recording.read' }),
          }),
        ]),
      );
    });
    results.push('refusals audited');
  });

  it('conditional exec: the owner sees canExec, a non-owner does not', async () => {
    const owner = await api('get', `/targets?entityRef=${DEMO}`, ALICE);
    const other = await api('get', `/targets?entityRef=${DEMO}`, BOB);
    expect([owner.status, owner.body.canExec]).toEqual([200, true]);
    expect([other.status, other.body.canExec]).toEqual([200, false]);
    results.push('targets: owner', 'targets: not owner');
  });

  it('a user sees only their own sessions and events', async () => {
    const sessions = await api('get', '/sessions', BOB);
    expect(sessions.status).toBe(200);
    expect(sessions.body.items.map((s: any) => s.userEntityRef)).not.toContain(
      ALICE,
    );
    const events = await api('get', '/audit-events', BOB);
    expect(events.body.items.every((e: any) => e.userEntityRef === BOB)).toBe(
      true,
    );
    results.push('own sessions only', 'own events only');
  });

  it('refuses a cross-origin WebSocket, and one without an Origin', async () => {
    const s = await create(ALICE);
    expect(
      (await connect(s.streamPath, ticketed(s.ticket), 'https://evil.example'))
        .status,
    ).toBe(403);
    expect((await connect(s.streamPath, ticketed(s.ticket), '')).status).toBe(
      403,
    );
    results.push('cross-origin WebSocket', 'WebSocket without Origin');
  });

  it('refuses a replayed ticket, an expired one, one for another session, and none', async () => {
    const s = await create(ALICE);
    const first = await connect(s.streamPath, ticketed(s.ticket));
    await first.client!.waitFor(
      () => !!first.client!.message('connected'),
      'connected',
    );
    const replay = await connect(s.streamPath, ticketed(s.ticket));
    await replay.client!.waitForClose();
    expect(replay.client!.closed?.code).toBe(TerminalCloseCode.Unauthorized);
    first.client!.close();

    const late = await create(ALICE);
    await new Promise(r => setTimeout(r, 2500));
    const expired = await connect(late.streamPath, ticketed(late.ticket));
    await expired.client!.waitForClose();
    expect(expired.client!.closed?.code).toBe(TerminalCloseCode.Unauthorized);

    // Bob's ticket on Alice's stream (attaching to another user's session) is burnt and refused.
    const mine = await create(ALICE);
    const admins = await create(ADMIN);
    const stolen = await connect(mine.streamPath, ticketed(admins.ticket));
    await stolen.client!.waitForClose();
    expect(stolen.client!.closed?.code).toBe(TerminalCloseCode.Unauthorized);
    const burnt = await connect(admins.streamPath, ticketed(admins.ticket));
    await burnt.client!.waitForClose();
    expect(burnt.client!.closed?.code).toBe(TerminalCloseCode.Unauthorized);

    // Without a ticket the upgrade itself is refused.
    const none = await connect(mine.streamPath, [TERMINAL_WS_PROTOCOL]);
    await none.client?.waitForClose();
    expect(none.status ?? none.client?.closed?.code).toBe(400);
    const garbage = await connect(mine.streamPath, ticketed('x'.repeat(43)));
    await garbage.client!.waitForClose();
    expect(garbage.client!.closed?.code).toBe(TerminalCloseCode.Unauthorized);
    results.push(
      'ticket replay',
      'ticket expiry',
      'ticket for another session',
      'ticket burnt after misuse',
      'no ticket',
      'forged ticket',
    );
  });

  it('lets an admin terminate another user\u2019s session, and its user end their own', async () => {
    const s = await create(ALICE);
    const c = await connect(s.streamPath, ticketed(s.ticket));
    await c.client!.waitFor(
      () => !!c.client!.message('connected'),
      'connected',
    );
    expect(
      (await api('delete', `/sessions/${s.sessionId}`, ADMIN)).status,
    ).toBe(204);
    await c.client!.waitForClose();
    expect(c.client!.closed?.code).toBe(TerminalCloseCode.Terminated);

    const own = await create(ALICE);
    const o = await connect(own.streamPath, ticketed(own.ticket));
    await o.client!.waitFor(
      () => !!o.client!.message('connected'),
      'connected',
    );
    expect(
      (await api('delete', `/sessions/${own.sessionId}`, ALICE)).status,
    ).toBe(204);
    await o.client!.waitForClose();
    results.push('admin terminates', 'user ends own');
  });

  it('revoking exec refuses new sessions; an open one runs on until it ends or is terminated', async () => {
    revoked.add(ALICE);
    try {
      const res = await api('post', '/sessions', ALICE).send(sessionBody);
      expect(res.status).toBe(403);
      // Documented: authorization is checked when a session opens; an admin ends one that must stop.
      live.client.type('echo still-$((1+1))\r');
      await live.client.waitForOutput(/still-2\r\n/);
      expect((await api('delete', `/sessions/${live.id}`, ADMIN)).status).toBe(
        204,
      );
      await live.client.waitForClose();
      expect(live.client.closed?.code).toBe(TerminalCloseCode.Terminated);
    } finally {
      revoked.delete(ALICE);
    }
    results.push(
      'revoked: new session refused',
      'revoked: open session until terminated',
    );
  });
});
