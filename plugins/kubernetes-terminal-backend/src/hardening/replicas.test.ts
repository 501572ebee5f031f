import { mockCredentials, TestDatabases } from '@backstage/backend-test-utils';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import type { SandboxCluster } from '@internal/kube-sandbox';
import knexFactory, { type Knex } from 'knex';
import request from 'supertest';
import { TerminalClient } from '../__testUtils__/TerminalClient';
import { eventually } from '../__testUtils__/eventually';
import {
  startDemoSandbox,
  startTerminalBackend,
  openTerminal,
} from '../__testUtils__/terminalBackend';

/*
 * Two backend replicas on one PostgreSQL database, each with its own connection pool: a session can be
 * opened on either, each replica's sessions page shows both, and when the stale-session task runs on
 * both at once for a replica that died, every session it served is ended — once, with one
 * `disconnect` each.
 */

jest.setTimeout(120_000);

const databases = TestDatabases.create({ ids: ['POSTGRES_15'] });
const BASE = '/api/kubernetes-terminal';
const ALICE = 'user:default/alice';
const BOB = 'user:default/bob';
const ADMIN = 'user:default/admin';

const decide = (permission: string, user: string) =>
  permission === 'kubernetes.terminal.exec' ||
  user === ADMIN ||
  permission === 'kubernetes.terminal.recording.read'
    ? AuthorizeResult.ALLOW
    : AuthorizeResult.DENY;

describe('two replicas on one PostgreSQL', () => {
  let sandbox: SandboxCluster;
  const knexes: Knex[] = [];
  const backends: Array<Awaited<ReturnType<typeof startTerminalBackend>>> = [];
  const clients: TerminalClient[] = [];

  beforeAll(async () => {
    sandbox = await startDemoSandbox();
    const first = await databases.init('POSTGRES_15');
    // The second replica gets a pool of its own on the same database.
    const second = knexFactory(first.client.config);
    knexes.push(first, second);
    for (const knex of knexes) {
      backends.push(
        await startTerminalBackend(sandbox, {
          decide,
          knex,
          skipTaskRunOnStartup: true,
        }),
      );
    }
  });

  afterAll(async () => {
    clients.forEach(c => c.close());
    for (const b of backends) await b.backend.stop();
    await knexes[1]?.destroy();
    await sandbox?.close();
  });

  const api = (
    replica: number,
    method: 'get' | 'post',
    path: string,
    user: string,
  ) =>
    request(backends[replica].backend.server)
      [method](`${BASE}${path}`)
      .set('Authorization', mockCredentials.user.header(user));

  async function open(replica: number, user: string) {
    const { client, sessionId } = await openTerminal(
      backends[replica].backend.server,
      user,
    );
    clients.push(client);
    return { client, id: sessionId };
  }

  it('opens sessions on either replica, and each shows both', async () => {
    const a = await open(0, ALICE);
    const b = await open(1, BOB);
    a.client.type('echo on-replica-a\r');
    b.client.type('echo on-replica-b\r');
    await a.client.waitForOutput(/[\r\n]on-replica-a\r\n/);
    await b.client.waitForOutput(/[\r\n]on-replica-b\r\n/);
    for (const replica of [0, 1]) {
      const res = await api(
        replica,
        'get',
        '/sessions?status=active&status=idle',
        ADMIN,
      );
      expect(res.body.items.map((s: any) => s.id).sort()).toEqual(
        [a.id, b.id].sort(),
      );
    }
    // Each replica's commands are in the one log, read from the other replica.
    await eventually(async () => {
      const events = await api(
        0,
        'get',
        `/audit-events?type=command_executed&sessionId=${b.id}`,
        ADMIN,
      );
      expect(events.body.items.map((e: any) => e.command)).toEqual([
        'echo on-replica-b',
      ]);
    });
    a.client.type('exit\r');
    b.client.type('exit\r');
    await a.client.waitForClose();
    await b.client.waitForClose();
  });

  it('ends a dead replica\u2019s sessions once when both run the stale-session task', async () => {
    const sessions = [await open(1, BOB), await open(1, BOB)];
    // Replica 1 stops heartbeating: as after a SIGKILL, its rows look abandoned.
    await knexes[0]('kubernetes_terminal_sessions')
      .whereIn(
        'id',
        sessions.map(s => s.id),
      )
      .update({ heartbeat_at: new Date(Date.now() - 10 * 60_000) });
    await Promise.all(
      backends.map(b =>
        b.scheduler.triggerTask('kubernetes-terminal-stale-sessions'),
      ),
    );
    await eventually(async () => {
      for (const { id } of sessions) {
        const detail = await api(0, 'get', `/sessions/${id}`, ADMIN);
        expect(detail.body.session.endReason).toBe(
          'the backend replica serving it stopped',
        );
        const disconnects = detail.body.events.filter(
          (e: any) => e.type === 'disconnect',
        );
        expect(disconnects).toHaveLength(1);
      }
    });
  });
});
