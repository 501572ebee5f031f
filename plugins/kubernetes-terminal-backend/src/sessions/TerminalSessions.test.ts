import { mockServices, TestDatabases } from '@backstage/backend-test-utils';
import { AuditWriter } from '../database/AuditWriter';
import { DatabaseSessionStore } from '../database/DatabaseSessionStore';
import {
  SessionRegistry,
  type TerminalSession,
} from '../service/SessionRegistry';
import type { TerminalRelay } from '../stream/TerminalRelay';
import { SessionAudit } from './SessionAudit';
import { TerminalSessions } from './TerminalSessions';
import { readTerminalConfig } from '../config';
import { ConfigReader } from '@backstage/config';
import { randomUUID } from 'node:crypto';
import { eventually } from '../__testUtils__/eventually';

jest.setTimeout(60_000);

const databases = TestDatabases.create({ ids: ['POSTGRES_15', 'SQLITE_3'] });

function fakeRelay() {
  const calls: string[] = [];
  let observer: any;
  const relay = {
    terminate: jest.fn((by: string) => {
      calls.push(`terminate:${by}`);
      observer?.onEnd(4410, `terminated by ${by}`);
    }),
    close: jest.fn((code: number, reason: string) => {
      calls.push(`close:${code}`);
      observer?.onEnd(code, reason);
    }),
    notify: jest.fn(),
  };
  return {
    relay: relay as unknown as TerminalRelay,
    calls,
    bind: (o: any) => {
      observer = o;
    },
  };
}

function liveSession(user = 'user:default/alice'): TerminalSession {
  return {
    id: randomUUID(),
    userEntityRef: user,
    entityRef: 'component:default/demo-service',
    cluster: 'sandbox',
    namespace: 'demo',
    pod: 'demo-service-7d9f8b6c5-abcde',
    container: 'app',
    state: 'connecting',
    createdAt: new Date(),
  };
}

describe.each(databases.eachSupportedId())(
  'TerminalSessions on %p',
  databaseId => {
    async function replica(
      store: DatabaseSessionStore,
      overrides: Record<string, unknown> = {},
    ) {
      const logger = mockServices.logger.mock();
      const writer = new AuditWriter({ store, logger, flushIntervalMs: 50 });
      const audit = new SessionAudit(
        writer,
        mockServices.auditor.mock(),
        logger,
      );
      const config = readTerminalConfig(
        new ConfigReader({
          app: { baseUrl: 'http://localhost:3000' },
          kubernetesTerminal: { maxSessionsPerUser: 2, ...overrides },
        }),
      );
      return {
        sessions: new TerminalSessions({
          registry: new SessionRegistry(),
          store,
          audit,
          config,
          logger,
        }),
        writer,
      };
    }

    async function createStore() {
      const knex = await databases.init(databaseId);
      return DatabaseSessionStore.create({
        database: mockServices.database({ knex, migrations: { skip: false } }),
      });
    }

    it('closes on one replica a session terminated through another', async () => {
      const store = await createStore();
      const a = await replica(store);
      const b = await replica(store);
      const session = liveSession();
      const fake = fakeRelay();
      fake.bind(a.sessions.track(session, fake.relay));
      await eventually(async () =>
        expect((await store.getSession(session.id))?.status).toBe('active'),
      );

      expect(
        await b.sessions.terminate(
          session.id,
          'user:default/admin',
          'rotation',
        ),
      ).toBe(true);
      expect(fake.calls).toEqual([]);
      await a.sessions.heartbeat();
      expect(fake.calls).toEqual(['terminate:user:default/admin: rotation']);
      expect((await store.getSession(session.id))?.status).toBe('terminated');
      await a.writer.flush();
      await b.writer.flush();
      const events = await store.listEvents({
        filter: { sessionId: session.id },
        limit: 10,
      });
      expect(events.items.map(e => e.eventType).sort()).toEqual([
        'connect',
        'disconnect',
        'terminate',
      ]);
    });

    it('ends the sessions of a replica that stopped sending heartbeats', async () => {
      const store = await createStore();
      const dead = await replica(store);
      const janitor = await replica(store);
      const session = liveSession();
      dead.sessions.track(session, fakeRelay().relay);
      await eventually(async () =>
        expect((await store.getSession(session.id))?.status).toBe('active'),
      );

      expect(
        await janitor.sessions.reapStale(new Date(Date.now() - 60_000)),
      ).toBe(0);
      expect(
        await janitor.sessions.reapStale(new Date(Date.now() + 1000)),
      ).toBe(1);
      expect(
        await janitor.sessions.reapStale(new Date(Date.now() + 1000)),
      ).toBe(0);
      const stored = await store.getSession(session.id);
      expect(stored).toMatchObject({
        status: 'closed',
        endReason: 'the backend replica serving it stopped',
      });
      await janitor.writer.flush();
      const events = await store.listEvents({
        filter: { sessionId: session.id, eventType: 'disconnect' },
        limit: 10,
      });
      expect(events.items).toHaveLength(1);
    });

    it('closes a session reaped as stale while its replica was merely slow', async () => {
      const store = await createStore();
      const slow = await replica(store);
      const janitor = await replica(store);
      const session = liveSession();
      const fake = fakeRelay();
      fake.bind(slow.sessions.track(session, fake.relay));
      await eventually(async () =>
        expect((await store.getSession(session.id))?.status).toBe('active'),
      );
      // The janitor takes the slow replica for dead...
      expect(
        await janitor.sessions.reapStale(new Date(Date.now() + 1000)),
      ).toBe(1);
      expect(fake.calls).toEqual([]);

      // ...and at its next heartbeat the slow replica ends the session instead of going on unlogged.
      await slow.sessions.heartbeat();
      expect(fake.calls).toEqual(['close:1001']);
      expect(fake.relay.close).toHaveBeenCalledWith(
        1001,
        'the session was ended while this portal replica did not answer (the backend replica serving it stopped); reconnect to go on',
      );
      const stored = await store.getSession(session.id);
      expect(stored).toMatchObject({
        status: 'closed',
        endReason: 'the backend replica serving it stopped',
      });
    });

    it('refuses new sessions while the audit log cannot be written (fail closed)', async () => {
      const store = await createStore();
      const failing = Object.create(store) as DatabaseSessionStore;
      failing.appendEvents = async () => {
        throw new Error('database is down');
      };
      const { sessions, writer } = await replica(failing);
      await expect(
        sessions.assertCanOpen('user:default/alice'),
      ).resolves.toBeUndefined();
      sessions.record({
        eventType: 'denied',
        userEntityRef: 'user:default/alice',
      });
      await eventually(() => expect(writer.healthy).toBe(false));
      await expect(
        sessions.assertCanOpen('user:default/alice'),
      ).rejects.toThrow(
        'terminal sessions are refused while the audit log cannot be written',
      );
      const open = await replica(failing, { audit: { failClosed: false } });
      open.sessions.record({
        eventType: 'denied',
        userEntityRef: 'user:default/alice',
      });
      await eventually(() => expect(open.writer.healthy).toBe(false));
      await expect(
        open.sessions.assertCanOpen('user:default/alice'),
      ).resolves.toBeUndefined();
      // The events stay queued until the database is back.
      expect(writer.pendingCount).toBe(1);
      failing.appendEvents = store.appendEvents.bind(store);
      await writer.flush();
      expect(writer.healthy).toBe(true);
    });

    it('closes its sessions and writes every event on shutdown', async () => {
      const store = await createStore();
      const { sessions } = await replica(store);
      const session = liveSession();
      const fake = fakeRelay();
      fake.bind(sessions.track(session, fake.relay));
      await sessions.close();
      expect(fake.calls).toEqual(['close:1001']);
      expect((await store.getSession(session.id))?.status).toBe('closed');
      const events = await store.listEvents({
        filter: { sessionId: session.id },
        limit: 10,
      });
      expect(events.items.map(e => e.eventType).sort()).toEqual([
        'connect',
        'disconnect',
      ]);
    });
  },
);
