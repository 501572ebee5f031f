import { mockCredentials } from '@backstage/backend-test-utils';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import request from 'supertest';
import { CapturedLogs } from '../__testUtils__/capturingLogger';
import {
  HOSTILE_STRINGS,
  HOSTILE_VALUES,
  Random,
  casesFromEnv,
  seedFromEnv,
} from '../__testUtils__/fuzz';
import {
  startTerminalTestEnv,
  type TerminalTestEnv,
  DEMO_TARGET,
} from '../__testUtils__/terminalBackend';

/*
 * Bad input on every REST route, seeded: whatever is sent, the answer is a 4xx with a reason (or a
 * success for input that happens to be valid), never a 5xx, the backend stays up, no session is left
 * open, and no token or ticket reaches the logs. CI runs the default number of cases; the full run
 * (scripts/hardening.sh) sets HARDENING_REST_CASES.
 */

const CASES = casesFromEnv('REST_CASES', 1500);
const SEED = seedFromEnv(20261130);
jest.setTimeout(Math.max(120_000, CASES * 100));

const USER = 'user:default/fuzzer';
const BASE = '/api/kubernetes-terminal';
const VALID_SESSION = { ...DEMO_TARGET, cols: 80, rows: 24 };
const FIELDS = [
  'entityRef',
  'cluster',
  'namespace',
  'pod',
  'container',
  'cols',
  'rows',
  'tty',
  'kind',
  'shell',
  'command',
  'auth',
];
const QUERY_KEYS = [
  'user',
  'entityRef',
  'cluster',
  'namespace',
  'status',
  'kind',
  'from',
  'to',
  'cursor',
  'limit',
  'sessionId',
  'type',
  'q',
  'format',
  'download',
  '__proto__[polluted]',
  'constructor[prototype][polluted]',
  'status[]',
  'limit[$gt]',
];
const LIST_ROUTES = [
  '/clusters',
  '/sessions',
  '/audit-events',
  '/audit-events/export',
  '/targets',
];

type Case = {
  method: 'get' | 'post' | 'delete';
  path: string;
  body?: unknown;
  raw?: { type: string; data: string | Buffer };
};

/** Percent-encodes every byte of the UTF-8 (a lone surrogate becomes U+FFFD, as a browser sends it). */
function encode(value: string): string {
  return [...Buffer.from(value, 'utf8')]
    .map(b =>
      /[A-Za-z0-9_.~-]/.test(String.fromCharCode(b))
        ? String.fromCharCode(b)
        : `%${b.toString(16).toUpperCase().padStart(2, '0')}`,
    )
    .join('');
}

function hostileValue(random: Random): unknown {
  return random.chance(0.2) ? random.text(40) : random.pick(HOSTILE_VALUES);
}

function hostileString(random: Random): string {
  return random.chance(0.2) ? random.text(40) : random.pick(HOSTILE_STRINGS);
}

function makeCase(random: Random): Case {
  const kind = random.int(0, 9);
  if (kind <= 2) {
    // A valid session request with some fields replaced, removed or added.
    const body: Record<string, unknown> = random.chance(0.15)
      ? { kind: 'session-pod', ...VALID_SESSION }
      : { ...VALID_SESSION };
    for (let i = random.int(1, 3); i > 0; i--) {
      const field = random.pick(FIELDS);
      if (random.chance(0.15)) delete body[field];
      else body[field] = hostileValue(random);
    }
    // The same hostile bodies at POST /targets, which reads `entityRef` and `auth` only.
    return {
      method: 'post',
      path: random.chance(0.2) ? '/targets' : '/sessions',
      body,
    };
  }
  if (kind === 3) {
    const raws: Array<Case['raw']> = [
      { type: 'application/json', data: '{' },
      { type: 'application/json', data: '{"entityRef":' },
      { type: 'application/json', data: 'null' },
      { type: 'application/json', data: '[]' },
      { type: 'application/json', data: '"string"' },
      { type: 'application/json', data: random.bytes(random.int(1, 200)) },
      {
        type: 'application/json',
        data: `{"pod":"${'a'.repeat(random.int(100_000, 300_000))}"}`,
      },
      {
        type: 'application/json',
        data: `${'['.repeat(5000)}${']'.repeat(5000)}`,
      },
      { type: 'text/plain', data: JSON.stringify(VALID_SESSION) },
      { type: 'application/x-www-form-urlencoded', data: 'pod=a&pod=b' },
      { type: 'application/json; charset=utf-16', data: '{}' },
    ];
    return { method: 'post', path: '/sessions', raw: random.pick(raws) };
  }
  if (kind <= 6) {
    const route = random.pick(LIST_ROUTES);
    const params: string[] = [];
    for (let i = random.int(0, 4); i > 0; i--) {
      const key = random.pick(QUERY_KEYS);
      const value = hostileString(random);
      params.push(`${key}=${encode(value)}`);
    }
    if (random.chance(0.1)) params.push(`q=${'x'.repeat(5000)}`);
    return {
      method: 'get',
      path: `${route}${params.length ? `?${params.join('&')}` : ''}`,
    };
  }
  // A session's own routes, with a hostile id.
  const id = random.chance(0.5)
    ? encode(hostileString(random))
    : random.pick([
        '00000000-0000-4000-8000-000000000000',
        '..%2f..%2fsessions',
        '%2e%2e',
        'not-a-uuid',
        `${'0'.repeat(8)}-0000-0000-0000-${'0'.repeat(12)}`,
      ]);
  const route = random.pick([
    { method: 'get' as const, path: `/sessions/${id}` },
    { method: 'delete' as const, path: `/sessions/${id}` },
    { method: 'post' as const, path: `/sessions/${id}/extend` },
    { method: 'get' as const, path: `/sessions/${id}/recording` },
    { method: 'get' as const, path: `/sessions/${id}/recording?download=1` },
  ]);
  return route;
}

describe(`REST bad input (${CASES} cases, seed ${SEED})`, () => {
  let env: TerminalTestEnv;
  const logs = new CapturedLogs();
  const secrets: string[] = [
    'sandbox-portal-token',
    mockCredentials.user.header(USER),
  ];

  beforeAll(async () => {
    env = await startTerminalTestEnv({
      decide: () => AuthorizeResult.ALLOW,
      features: logs.factories(),
      terminalConfig: { maxSessionsPerUser: 1000 },
    });
  });
  afterAll(async () => {
    await env?.stop();
  });

  it('answers every case with a reason, never a 5xx, and leaks nothing', async () => {
    const random = new Random(SEED);
    const statuses = new Map<number, number>();
    const failures: string[] = [];
    for (let n = 0; n < CASES; n++) {
      const c = makeCase(random);
      let req = request(env.backend.server)
        [c.method](`${BASE}${c.path}`)
        .set('Authorization', mockCredentials.user.header(USER));
      if (c.raw) {
        req = req.set('Content-Type', c.raw.type).send(c.raw.data);
      } else if (c.body !== undefined) {
        req = req.send(c.body as object);
      }
      const res = await req;
      statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
      if (res.body?.ticket) secrets.push(res.body.ticket);
      const reason = res.body?.error?.message;
      const described = `#${n} ${c.method.toUpperCase()} ${c.path.slice(
        0,
        120,
      )} ${JSON.stringify(c.body ?? c.raw?.data ?? '').slice(0, 120)} -> ${
        res.status
      } ${String(reason ?? '').slice(0, 200)}`;
      if (res.status >= 500) failures.push(described);
      else if (res.status >= 400 && (typeof reason !== 'string' || !reason))
        failures.push(`${described} (no reason given)`);
    }
    // eslint-disable-next-line no-console
    console.log(
      `REST bad input: ${CASES} cases, seed ${SEED}; statuses ${JSON.stringify(
        Object.fromEntries([...statuses].sort((a, b) => a[0] - b[0])),
      )}`,
    );
    expect(failures).toEqual([]);

    // Still up, nothing left open, no secret in any log line.
    const health = await request(env.backend.server).get(`${BASE}/health`);
    expect(health.status).toBe(200);
    const live = await request(env.backend.server)
      .get(`${BASE}/sessions?status=active&status=idle`)
      .set('Authorization', mockCredentials.user.header(USER));
    expect(live.body.items).toEqual([]);
    expect(logs.containing(secrets)).toEqual([]);
    expect(logs.lines.length).toBeGreaterThan(0);
  });
});
