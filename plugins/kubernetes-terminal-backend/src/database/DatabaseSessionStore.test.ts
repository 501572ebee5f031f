import { resolvePackagePath } from '@backstage/backend-plugin-api';
import {
  mockServices,
  TestDatabaseId,
  TestDatabases,
} from '@backstage/backend-test-utils';
import { ConflictError, InputError, NotFoundError } from '@backstage/errors';
import { Knex } from 'knex';
import { DatabaseSessionStore } from './DatabaseSessionStore';
import { NewAuditEvent, NewTerminalSession } from './SessionStore';

jest.setTimeout(60_000);

const databases = TestDatabases.create({ ids: ['POSTGRES_15', 'SQLITE_3'] });

const migrationsDir = resolvePackagePath(
  '@kubernetes-terminal/backstage-plugin-kubernetes-terminal-backend',
  'migrations',
);

async function createStore(databaseId: TestDatabaseId) {
  const knex = await databases.init(databaseId);
  const database = mockServices.database({ knex, migrations: { skip: false } });
  return { knex, store: await DatabaseSessionStore.create({ database }) };
}

const alice = 'user:default/alice';
const bob = 'user:default/bob';
const t0 = new Date('2026-03-01T10:00:00.123Z');
const at = (ms: number) => new Date(t0.getTime() + ms);
const uuid = (n: number) =>
  `00000000-0000-4000-8000-${n.toString().padStart(12, '0')}`;

function session(
  n: number,
  fields: Partial<NewTerminalSession> = {},
): NewTerminalSession {
  return {
    id: uuid(n),
    userEntityRef: alice,
    entityRef: 'component:default/shop',
    cluster: 'dev',
    clusterType: 'private',
    namespace: 'shop',
    pod: 'shop-7d9f-abcde',
    container: 'app',
    kind: 'exec',
    status: 'active',
    createdAt: at(n * 1000),
    clientIp: '10.0.0.1',
    userAgent: 'jest',
    ...fields,
  };
}

function event(fields: Partial<NewAuditEvent> = {}): NewAuditEvent {
  return {
    sessionId: uuid(1),
    eventType: 'command_executed',
    userEntityRef: alice,
    entityRef: 'component:default/shop',
    cluster: 'dev',
    namespace: 'shop',
    pod: 'shop-7d9f-abcde',
    container: 'app',
    createdAt: t0,
    ...fields,
  };
}

describe('migrations', () => {
  it.each(databases.eachSupportedId())(
    'go up and down on %s',
    async databaseId => {
      const knex = await databases.init(databaseId);
      await knex.migrate.latest({ directory: migrationsDir });
      expect(await knex.schema.hasTable('kubernetes_terminal_sessions')).toBe(
        true,
      );
      expect(
        await knex.schema.hasTable('kubernetes_terminal_audit_events'),
      ).toBe(true);
      expect(await indexNames(knex, 'kubernetes_terminal_sessions')).toEqual(
        expect.arrayContaining([
          'kubernetes_terminal_sessions_status_idx',
          'kubernetes_terminal_sessions_user_entity_ref_idx',
          'kubernetes_terminal_sessions_entity_ref_idx',
          'kubernetes_terminal_sessions_created_at_idx',
        ]),
      );
      expect(
        await indexNames(knex, 'kubernetes_terminal_audit_events'),
      ).toEqual(
        expect.arrayContaining([
          'kubernetes_terminal_audit_events_created_at_idx',
          'kubernetes_terminal_audit_events_session_id_idx',
          'kubernetes_terminal_audit_events_user_entity_ref_idx',
          'kubernetes_terminal_audit_events_event_type_idx',
          'kubernetes_terminal_audit_events_cluster_idx',
        ]),
      );

      await knex.migrate.rollback({ directory: migrationsDir }, true);
      expect(await knex.schema.hasTable('kubernetes_terminal_sessions')).toBe(
        false,
      );
      expect(
        await knex.schema.hasTable('kubernetes_terminal_audit_events'),
      ).toBe(false);

      await knex.migrate.latest({ directory: migrationsDir });
      expect(await knex.schema.hasTable('kubernetes_terminal_sessions')).toBe(
        true,
      );
      await knex.destroy();
    },
  );
});

describe('session pod expiry, recordings, audit event key, replica address and agent tunnel migrations', () => {
  it.each(databases.eachSupportedId())(
    'add and remove their tables and columns in turn on %s',
    async databaseId => {
      const knex = await databases.init(databaseId);
      await knex.migrate.latest({ directory: migrationsDir });
      expect(
        await knex.schema.hasColumn(
          'kubernetes_terminal_audit_events',
          'event_key',
        ),
      ).toBe(true);
      expect(
        await indexNames(knex, 'kubernetes_terminal_audit_events'),
      ).toContain('kubernetes_terminal_audit_events_key_idx');
      expect(
        await knex.schema.hasColumn(
          'kubernetes_terminal_sessions',
          'backend_address',
        ),
      ).toBe(true);
      expect(
        await knex.schema.hasTable('kubernetes_terminal_agent_tunnels'),
      ).toBe(true);
      // The last one first: down removes the agent tunnels, the replica address, the event key, then
      // the recordings, then the expiry column.
      await knex.migrate.down({ directory: migrationsDir });
      expect(
        await knex.schema.hasTable('kubernetes_terminal_agent_tunnels'),
      ).toBe(false);
      expect(
        await knex.schema.hasColumn(
          'kubernetes_terminal_sessions',
          'backend_address',
        ),
      ).toBe(true);
      await knex.migrate.down({ directory: migrationsDir });
      expect(
        await knex.schema.hasColumn(
          'kubernetes_terminal_sessions',
          'backend_address',
        ),
      ).toBe(false);
      expect(
        await knex.schema.hasColumn(
          'kubernetes_terminal_audit_events',
          'event_key',
        ),
      ).toBe(true);
      await knex.migrate.down({ directory: migrationsDir });
      expect(
        await knex.schema.hasColumn(
          'kubernetes_terminal_audit_events',
          'event_key',
        ),
      ).toBe(false);
      expect(
        await indexNames(knex, 'kubernetes_terminal_audit_events'),
      ).not.toContain('kubernetes_terminal_audit_events_key_idx');
      expect(await knex.schema.hasTable('kubernetes_terminal_recordings')).toBe(
        true,
      );
      expect(
        await knex.schema.hasColumn(
          'kubernetes_terminal_sessions',
          'max_expires_at',
        ),
      ).toBe(true);
      expect(await indexNames(knex, 'kubernetes_terminal_sessions')).toContain(
        'kubernetes_terminal_sessions_pod_idx',
      );
      await knex.migrate.down({ directory: migrationsDir });
      expect(await knex.schema.hasTable('kubernetes_terminal_recordings')).toBe(
        false,
      );
      expect(
        await knex.schema.hasTable('kubernetes_terminal_recording_chunks'),
      ).toBe(false);
      expect(
        await knex.schema.hasColumn(
          'kubernetes_terminal_sessions',
          'max_expires_at',
        ),
      ).toBe(true);
      await knex.migrate.down({ directory: migrationsDir });
      expect(
        await knex.schema.hasColumn(
          'kubernetes_terminal_sessions',
          'max_expires_at',
        ),
      ).toBe(false);
      expect(
        await indexNames(knex, 'kubernetes_terminal_sessions'),
      ).not.toContain('kubernetes_terminal_sessions_pod_idx');
      expect(await knex.schema.hasTable('kubernetes_terminal_sessions')).toBe(
        true,
      );
      await knex.migrate.latest({ directory: migrationsDir });
      await knex.destroy();
    },
  );
});

async function indexNames(knex: Knex, table: string): Promise<string[]> {
  if (knex.client.config.client.toString().includes('sqlite')) {
    const rows = await knex('sqlite_master')
      .where({ type: 'index', tbl_name: table })
      .select('name');
    return rows.map(r => r.name);
  }
  const rows = await knex('pg_indexes')
    .where({ tablename: table })
    .select('indexname');
  return rows.map(r => r.indexname);
}

describe.each(databases.eachSupportedId())(
  'DatabaseSessionStore (%s)',
  databaseId => {
    let store: DatabaseSessionStore;
    let knex: Knex;

    beforeAll(async () => {
      ({ store, knex } = await createStore(databaseId));
    });

    afterEach(async () => {
      await knex('kubernetes_terminal_audit_events').del();
      await knex('kubernetes_terminal_sessions').del();
    });

    describe('sessions', () => {
      it('stores and reads back a session with millisecond dates', async () => {
        await store.createSession(
          session(1, {
            expiresAt: at(3_600_000),
            shell: '/bin/sh',
            backendInstance: 'replica-a',
          }),
        );
        expect(await store.getSession(uuid(1))).toEqual({
          id: uuid(1),
          userEntityRef: alice,
          entityRef: 'component:default/shop',
          cluster: 'dev',
          clusterType: 'private',
          namespace: 'shop',
          pod: 'shop-7d9f-abcde',
          container: 'app',
          kind: 'exec',
          status: 'active',
          createdAt: at(1000),
          lastActivityAt: at(1000),
          expiresAt: at(3_600_000),
          endedAt: undefined,
          endReason: undefined,
          clientIp: '10.0.0.1',
          userAgent: 'jest',
          shell: '/bin/sh',
          backendInstance: 'replica-a',
          heartbeatAt: at(1000),
        });
        expect(await store.getSession(uuid(2))).toBeUndefined();
      });

      it('keeps the expiry of every live session on a session pod current', async () => {
        const pod = {
          kind: 'session-pod' as const,
          pod: 'kubectl-alice-1234567890',
          container: 'kubectl',
        };
        await store.createSession(
          session(1, {
            ...pod,
            expiresAt: at(60_000),
            maxExpiresAt: at(600_000),
          }),
        );
        await store.createSession(session(2, { ...pod, status: 'idle' }));
        await store.createSession(
          session(3, { ...pod, status: 'closed', expiresAt: at(60_000) }),
        );
        await store.createSession(session(4, { ...pod, namespace: 'other' }));
        await store.createSession(session(5));
        expect(await store.getSession(uuid(1))).toMatchObject({
          expiresAt: at(60_000),
          maxExpiresAt: at(600_000),
        });
        const updated = await store.updateSessionPodExpiry(
          { cluster: 'dev', namespace: 'shop', pod: pod.pod },
          { expiresAt: at(120_000), maxExpiresAt: at(600_000) },
        );
        expect(updated).toBe(2);
        for (const n of [1, 2]) {
          expect(await store.getSession(uuid(n))).toMatchObject({
            expiresAt: at(120_000),
            maxExpiresAt: at(600_000),
          });
        }
        expect((await store.getSession(uuid(3)))!.expiresAt).toEqual(
          at(60_000),
        );
        expect((await store.getSession(uuid(4)))!.expiresAt).toBeUndefined();
        const onPod = await store.listSessions({
          filter: { pod: pod.pod, namespace: 'shop' },
          limit: 10,
        });
        expect(onPod.items.map(s => s.id)).toEqual([3, 2, 1].map(uuid));
      });

      it('refuses a duplicate id', async () => {
        await store.createSession(session(1));
        await expect(store.createSession(session(1))).rejects.toThrow(
          ConflictError,
        );
      });

      it('updates a session and clears nullable fields', async () => {
        await store.createSession(session(1, { expiresAt: at(60_000) }));
        await store.updateSession(uuid(1), {
          status: 'idle',
          lastActivityAt: at(5000),
          shell: '/bin/bash',
        });
        await store.updateSession(uuid(1), { expiresAt: null });
        const stored = await store.getSession(uuid(1));
        expect(stored).toMatchObject({
          status: 'idle',
          lastActivityAt: at(5000),
          shell: '/bin/bash',
          expiresAt: undefined,
        });
        await store.updateSession(uuid(1), {});
      });

      it('reports an update of an unknown session', async () => {
        await expect(
          store.updateSession(uuid(9), { status: 'closed' }),
        ).rejects.toThrow(NotFoundError);
        await expect(store.updateSession(uuid(9), {})).rejects.toThrow(
          NotFoundError,
        );
      });

      it('lists newest first with filters and a total count', async () => {
        await store.createSession(session(1));
        await store.createSession(session(2, { userEntityRef: bob }));
        await store.createSession(session(3, { status: 'closed' }));
        await store.createSession(
          session(4, { kind: 'session-pod', cluster: 'prod' }),
        );
        await store.createSession(
          session(5, { namespace: 'other', entityRef: 'component:default/x' }),
        );

        const ids = async (filter: object) =>
          (await store.listSessions({ filter, limit: 10 })).items.map(
            s => s.id,
          );

        expect(await store.listSessions({ filter: {}, limit: 10 })).toEqual({
          items: expect.any(Array),
          nextCursor: undefined,
          totalCount: 5,
        });
        expect(await ids({})).toEqual([5, 4, 3, 2, 1].map(uuid));
        expect(await ids({ userEntityRef: bob })).toEqual([uuid(2)]);
        expect(await ids({ status: 'closed' })).toEqual([uuid(3)]);
        expect(await ids({ status: ['closed', 'idle'] })).toEqual([uuid(3)]);
        expect(await ids({ status: ['active', 'closed'] })).toEqual(
          [5, 4, 3, 2, 1].map(uuid),
        );
        expect(await ids({ kind: 'session-pod' })).toEqual([uuid(4)]);
        expect(await ids({ cluster: 'prod' })).toEqual([uuid(4)]);
        expect(await ids({ namespace: 'other' })).toEqual([uuid(5)]);
        expect(await ids({ entityRef: 'component:default/x' })).toEqual([
          uuid(5),
        ]);
        expect(await ids({ from: at(2000), to: at(4000) })).toEqual([
          uuid(3),
          uuid(2),
        ]);
        expect(await ids({ status: [] })).toEqual([]);
        expect(
          (
            await store.listSessions({
              filter: {},
              limit: 10,
              includeTotalCount: false,
            })
          ).totalCount,
        ).toBeUndefined();
      });

      it('pages with a keyset cursor that is stable under inserts', async () => {
        // Equal timestamps make the id the tie-breaker.
        for (let n = 1; n <= 7; n++) {
          await store.createSession(
            session(n, { createdAt: n <= 4 ? at(0) : at(n * 1000) }),
          );
        }
        const page1 = await store.listSessions({ filter: {}, limit: 3 });
        expect(page1.items.map(s => s.id)).toEqual([7, 6, 5].map(uuid));
        expect(page1.totalCount).toBe(7);
        expect(page1.nextCursor).toMatch(/^[A-Za-z0-9_-]+$/);

        await store.createSession(session(8, { createdAt: at(60_000) }));

        const page2 = await store.listSessions({
          filter: {},
          limit: 3,
          cursor: page1.nextCursor,
        });
        expect(page2.items.map(s => s.id)).toEqual([4, 3, 2].map(uuid));
        const page3 = await store.listSessions({
          filter: {},
          limit: 3,
          cursor: page2.nextCursor,
        });
        expect(page3.items.map(s => s.id)).toEqual([uuid(1)]);
        expect(page3.nextCursor).toBeUndefined();
      });

      it('refuses invalid cursors and limits', async () => {
        await expect(
          store.listSessions({ filter: {}, limit: 3, cursor: 'not a cursor' }),
        ).rejects.toThrow(InputError);
        await expect(
          store.listSessions({ filter: {}, limit: 3, cursor: 'eyJ2IjoxfQ' }),
        ).rejects.toThrow(/Invalid cursor/);
        await expect(
          store.listSessions({ filter: {}, limit: 0 }),
        ).rejects.toThrow(InputError);

        await store.appendEvents([event(), event()]);
        const { nextCursor } = await store.listEvents({ filter: {}, limit: 1 });
        await expect(
          store.listSessions({ filter: {}, limit: 3, cursor: nextCursor }),
        ).rejects.toThrow(/listing of events/);
      });
    });

    describe('liveness', () => {
      it('finds sessions whose heartbeat stopped, and ends each once', async () => {
        await store.createSession(session(1));
        await store.createSession(session(2));
        await store.createSession(session(3, { status: 'idle' }));
        await store.createSession(session(4, { status: 'closed' }));

        await store.heartbeat('replica-a', [uuid(1), uuid(4)], at(100_000));

        expect((await store.getSession(uuid(1)))?.backendInstance).toBe(
          'replica-a',
        );
        // a heartbeat does not revive an ended session
        expect((await store.getSession(uuid(4)))?.heartbeatAt).toEqual(
          at(4000),
        );

        expect(
          (await store.getSessions([uuid(4), uuid(1), uuid(9)]))
            .map(s => s.id)
            .sort(),
        ).toEqual([uuid(1), uuid(4)]);
        expect(await store.getSessions([])).toEqual([]);

        const stale = await store.findStaleSessions(at(50_000));
        expect(stale.map(s => s.id)).toEqual([uuid(2), uuid(3)]);

        const end = {
          status: 'terminated' as const,
          endReason: 'replica lost',
          endedAt: at(120_000),
        };
        expect(
          (await store.endSessions([uuid(2), uuid(3), uuid(4)], end)).sort(),
        ).toEqual([uuid(2), uuid(3)]);
        expect(await store.endSessions([uuid(2), uuid(3)], end)).toEqual([]);
        expect(await store.getSession(uuid(3))).toMatchObject({
          status: 'terminated',
          endReason: 'replica lost',
          endedAt: at(120_000),
        });
        expect(await store.findStaleSessions(at(50_000))).toEqual([]);
        await expect(
          store.endSessions([uuid(1)], { ...end, status: 'active' as any }),
        ).rejects.toThrow(InputError);
      });
    });

    describe('audit events', () => {
      it('appends and lists events newest first with every field', async () => {
        await store.appendEvents([
          event({
            eventType: 'connect',
            createdAt: at(1),
            clientIp: '10.0.0.1',
            userAgent: 'jest',
            details: { cols: 80, rows: 24 },
          }),
          event({ command: 'ls -la', createdAt: at(2) }),
          event({
            sessionId: undefined,
            eventType: 'denied',
            createdAt: at(2),
            userEntityRef: bob,
            pod: undefined,
            container: undefined,
          }),
        ]);
        const { items, nextCursor } = await store.listEvents({
          filter: {},
          limit: 10,
        });
        expect(nextCursor).toBeUndefined();
        expect(items.map(e => e.eventType)).toEqual([
          'denied',
          'command_executed',
          'connect',
        ]);
        expect(items[0]).toEqual({
          id: expect.stringMatching(/^\d+$/),
          sessionId: undefined,
          eventType: 'denied',
          userEntityRef: bob,
          entityRef: 'component:default/shop',
          cluster: 'dev',
          namespace: 'shop',
          pod: undefined,
          container: undefined,
          command: undefined,
          clientIp: undefined,
          userAgent: undefined,
          createdAt: at(2),
          details: undefined,
        });
        expect(items[2]).toMatchObject({
          createdAt: at(1),
          clientIp: '10.0.0.1',
          userAgent: 'jest',
          details: { cols: 80, rows: 24 },
        });
      });

      it('filters events', async () => {
        await store.appendEvents([
          event({ eventType: 'connect', createdAt: at(0) }),
          event({ command: 'cat /etc/PASSWD', createdAt: at(1000) }),
          event({ command: 'echo 100%_done', createdAt: at(2000) }),
          event({ command: 'echo 100 percent', createdAt: at(3000) }),
          event({ command: 'type C:\\temp\\x', createdAt: at(3500) }),
          event({
            sessionId: uuid(2),
            userEntityRef: bob,
            cluster: 'prod',
            namespace: 'other',
            entityRef: 'component:default/x',
            eventType: 'resize',
            createdAt: at(4000),
          }),
        ]);
        const commands = async (filter: object) =>
          (await store.listEvents({ filter, limit: 10 })).items.map(
            e => e.command ?? e.eventType,
          );

        expect(await commands({ text: 'passwd' })).toEqual(['cat /etc/PASSWD']);
        expect(await commands({ text: 'ETC/pass' })).toEqual([
          'cat /etc/PASSWD',
        ]);
        // wildcards in the search text are literal
        expect(await commands({ text: '%_' })).toEqual(['echo 100%_done']);
        expect(await commands({ text: '100_p' })).toEqual([]);
        expect(await commands({ text: '100%' })).toEqual(['echo 100%_done']);
        expect(await commands({ text: 'back\\slash' })).toEqual([]);
        expect(await commands({ text: ':\\TEMP\\' })).toEqual([
          'type C:\\temp\\x',
        ]);
        expect(await commands({ sessionId: uuid(2) })).toEqual(['resize']);
        expect(await commands({ userEntityRef: bob })).toEqual(['resize']);
        expect(await commands({ cluster: 'prod' })).toEqual(['resize']);
        expect(await commands({ namespace: 'other' })).toEqual(['resize']);
        expect(await commands({ entityRef: 'component:default/x' })).toEqual([
          'resize',
        ]);
        expect(await commands({ eventType: ['connect', 'resize'] })).toEqual([
          'resize',
          'connect',
        ]);
        expect(await commands({ eventType: 'connect' })).toEqual(['connect']);
        expect(await commands({ from: at(1000), to: at(3000) })).toEqual([
          'echo 100%_done',
          'cat /etc/PASSWD',
        ]);
        const counted = await store.listEvents({
          filter: { eventType: 'command_executed' },
          limit: 1,
          includeTotalCount: true,
        });
        expect(counted.totalCount).toBe(4);
        expect(counted.items).toHaveLength(1);
      });

      it('pages events with equal timestamps by id', async () => {
        const batch = Array.from({ length: 25 }, (_, i) =>
          event({ command: `cmd ${i}`, createdAt: at(i < 20 ? 0 : i) }),
        );
        await store.appendEvents(batch);
        const seen: string[] = [];
        let cursor: string | undefined;
        let pages = 0;
        do {
          const page = await store.listEvents({
            filter: {},
            limit: 4,
            cursor,
          });
          seen.push(...page.items.map(e => e.command!));
          cursor = page.nextCursor;
          pages += 1;
          if (pages === 2) {
            await store.appendEvents([
              event({ command: 'late', createdAt: at(100) }),
            ]);
          }
        } while (cursor);
        expect(pages).toBe(7);
        expect(seen).toEqual(
          Array.from({ length: 25 }, (_, i) => `cmd ${24 - i}`),
        );
      });

      it('writes large batches in chunks, all or nothing', async () => {
        const batch = Array.from({ length: 1234 }, (_, i) =>
          event({ command: `cmd ${i}`, createdAt: at(i) }),
        );
        await store.appendEvents(batch);
        const { items, totalCount } = await store.listEvents({
          filter: {},
          limit: 2000,
          includeTotalCount: true,
        });
        expect(totalCount).toBe(1234);
        expect(items[0].command).toBe('cmd 1233');
        expect(items[1233].command).toBe('cmd 0');

        await expect(
          store.appendEvents([event(), event({ eventType: 'nope' as any })]),
        ).rejects.toThrow(InputError);
        expect(
          (
            await store.listEvents({
              filter: {},
              limit: 1,
              includeTotalCount: true,
            })
          ).totalCount,
        ).toBe(1234);
      });

      it('stores a keyed event once, however often its batch is written', async () => {
        // A retry after a commit whose answer was lost gives the same batch again.
        const batch = [
          event({ command: 'once', key: 'k-1', createdAt: at(1) }),
          event({ command: 'twice', key: 'k-2', createdAt: at(2) }),
        ];
        await store.appendEvents(batch);
        await store.appendEvents([
          ...batch,
          event({ command: 'new', key: 'k-3', createdAt: at(3) }),
        ]);
        // Events without a key (written by something else than the writer) are not deduplicated.
        await store.appendEvents([event({ command: 'unkeyed' })]);
        await store.appendEvents([event({ command: 'unkeyed' })]);
        const { items } = await store.listEvents({ filter: {}, limit: 10 });
        expect(items.map(e => e.command).sort()).toEqual([
          'new',
          'once',
          'twice',
          'unkeyed',
          'unkeyed',
        ]);
        await expect(
          store.appendEvents([event({ key: 'x'.repeat(37) })]),
        ).rejects.toThrow(/key must be a string of 1 to 36 characters/);
      });

      it('stores what PostgreSQL text refuses and over-long values', async () => {
        await store.appendEvents([
          event({ command: 'a\u0000b', clientIp: 'x'.repeat(300) }),
        ]);
        const [stored] = (await store.listEvents({ filter: {}, limit: 1 }))
          .items;
        expect(stored.command).toBe('ab');
        expect(stored.clientIp).toHaveLength(255);
      });

      it('stamps events without a time', async () => {
        const before = Date.now();
        await store.appendEvents([event({ createdAt: undefined })]);
        const [stored] = (await store.listEvents({ filter: {}, limit: 1 }))
          .items;
        expect(stored.createdAt.getTime()).toBeGreaterThanOrEqual(before);
        expect(stored.createdAt.getTime()).toBeLessThanOrEqual(Date.now());
      });
    });

    describe('retention', () => {
      it('deletes events and ended sessions older than the cutoff', async () => {
        await store.createSession(session(1));
        await store.createSession(session(2));
        await store.createSession(session(3));
        await store.createSession(session(4, { status: 'closed' }));
        await store.endSessions([uuid(1)], {
          status: 'closed',
          endReason: 'user',
          endedAt: at(10_000),
        });
        await store.endSessions([uuid(2)], {
          status: 'expired',
          endReason: 'ttl',
          endedAt: at(30_000),
        });
        await store.appendEvents([
          event({ createdAt: at(5_000) }),
          event({ createdAt: at(15_000) }),
          event({ createdAt: at(25_000) }),
        ]);

        expect(await store.deleteOlderThan(at(20_000))).toEqual({
          sessions: 2,
          events: 2,
        });
        const left = await store.listSessions({ filter: {}, limit: 10 });
        expect(left.items.map(s => s.id)).toEqual([uuid(3), uuid(2)]);
        const events = await store.listEvents({ filter: {}, limit: 10 });
        expect(events.items.map(e => e.createdAt)).toEqual([at(25_000)]);
      });
    });
  },
);
