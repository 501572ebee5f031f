import { mockServices, TestDatabases } from '@backstage/backend-test-utils';
import { InputError } from '@backstage/errors';
import { AuditWriter } from './AuditWriter';
import { DatabaseSessionStore } from './DatabaseSessionStore';
import { NewAuditEvent } from './SessionStore';

const event = (n: number): NewAuditEvent => ({
  sessionId: '00000000-0000-4000-8000-000000000001',
  eventType: 'command_executed',
  userEntityRef: 'user:default/alice',
  command: `cmd ${n}`,
  createdAt: new Date(1_700_000_000_000 + n),
});

const commands = (events: NewAuditEvent[]) => events.map(e => e.command);
const range = (from: number, to: number) =>
  Array.from({ length: to - from }, (_, i) => `cmd ${from + i}`);

/** A store that records the batches it wrote and fails while `failing` is positive. */
class FakeStore {
  batches: NewAuditEvent[][] = [];
  attempts = 0;
  failing = 0;

  /** Every attempt's events, failed ones included. */
  tried: NewAuditEvent[][] = [];

  async appendEvents(events: NewAuditEvent[]) {
    this.attempts += 1;
    this.tried.push([...events]);
    if (this.failing > 0) {
      this.failing -= 1;
      throw new Error('database is down');
    }
    this.batches.push([...events]);
  }

  get written() {
    return this.batches.flat();
  }
}

describe('AuditWriter', () => {
  let store: FakeStore;
  let logger: ReturnType<typeof mockServices.logger.mock>;
  let writer: AuditWriter | undefined;

  beforeEach(() => {
    jest.useFakeTimers();
    store = new FakeStore();
    logger = mockServices.logger.mock();
  });

  afterEach(async () => {
    store.failing = 0;
    await writer?.close();
    writer = undefined;
    jest.useRealTimers();
  });

  function create(
    options: Partial<ConstructorParameters<typeof AuditWriter>[0]> = {},
  ) {
    writer = new AuditWriter({
      store,
      logger,
      batchSize: 3,
      flushIntervalMs: 1000,
      minRetryDelayMs: 1000,
      maxRetryDelayMs: 8000,
      ...options,
    });
    return writer;
  }

  it('writes on the timer, in order, in batches', async () => {
    const w = create();
    for (let n = 0; n < 2; n++) {
      expect(w.enqueue(event(n))).toBe(true);
    }
    await jest.advanceTimersByTimeAsync(999);
    expect(store.batches).toEqual([]);
    expect(w.pendingCount).toBe(2);

    await jest.advanceTimersByTimeAsync(1);
    expect(store.batches.map(commands)).toEqual([range(0, 2)]);
    expect(w.pendingCount).toBe(0);

    for (let n = 2; n < 9; n++) {
      w.enqueue(event(n));
    }
    // a full batch is written without waiting for the timer
    await jest.advanceTimersByTimeAsync(0);
    expect(store.batches.map(commands)).toEqual([
      range(0, 2),
      range(2, 5),
      range(5, 8),
      range(8, 9),
    ]);
    expect(w.healthy).toBe(true);
  });

  it('stamps events that have no time when they are queued', async () => {
    jest.setSystemTime(new Date('2026-01-01T00:00:00.000Z'));
    const w = create();
    w.enqueue({ ...event(0), createdAt: undefined });
    jest.setSystemTime(new Date('2026-01-01T00:00:05.000Z'));
    await w.flush();
    expect(store.written[0].createdAt).toEqual(
      new Date('2026-01-01T00:00:00.000Z'),
    );
  });

  it('refuses an invalid event synchronously', () => {
    const w = create();
    expect(() =>
      w.enqueue({ ...event(0), eventType: 'reboot' as any }),
    ).toThrow(InputError);
    expect(() => w.enqueue({ ...event(0), userEntityRef: '' })).toThrow(
      InputError,
    );
    expect(w.pendingCount).toBe(0);
  });

  it('keeps a failed batch at the head and retries with backoff until the store recovers', async () => {
    const w = create();
    store.failing = 3;
    for (let n = 0; n < 4; n++) {
      w.enqueue(event(n));
    }
    await jest.advanceTimersByTimeAsync(0);
    expect(store.attempts).toBe(1);
    expect(w.healthy).toBe(false);
    expect(w.pendingCount).toBe(4);
    expect(logger.warn).toHaveBeenCalledWith(
      expect.stringMatching(
        /^Failed to write 3 audit events \(attempt 1\), .* pending: database is down$/,
      ),
    );

    // events keep being accepted while the store is down
    for (let n = 4; n < 6; n++) {
      expect(w.enqueue(event(n))).toBe(true);
    }

    // retries after 1 s, then 2 s, then 4 s
    await jest.advanceTimersByTimeAsync(1000);
    expect(store.attempts).toBe(2);
    await jest.advanceTimersByTimeAsync(1000);
    expect(store.attempts).toBe(2);
    await jest.advanceTimersByTimeAsync(1000);
    expect(store.attempts).toBe(3);
    await jest.advanceTimersByTimeAsync(3000);
    expect(store.attempts).toBe(3);
    expect(w.healthy).toBe(false);
    await jest.advanceTimersByTimeAsync(1000);

    expect(w.healthy).toBe(true);
    expect(w.pendingCount).toBe(0);
    expect(store.batches.map(commands)).toEqual([range(0, 3), range(3, 6)]);
    // Each try of a batch carries the same keys, each event its own: a store that had in fact
    // committed a failed try keeps one copy.
    const keys = (events: NewAuditEvent[]) => events.map(e => e.key);
    expect(store.tried.slice(0, 4).map(keys)).toEqual(
      Array(4).fill(keys(store.batches[0])),
    );
    const all = store.written.map(e => e.key);
    expect(new Set(all).size).toBe(6);
    expect(all.every(k => /^[0-9a-f-]{36}$/.test(k!))).toBe(true);
    expect(logger.info).toHaveBeenCalledWith(
      expect.stringContaining('written again after 3 failed attempts'),
    );
  });

  it('bounds the queue and reports what it drops', async () => {
    const w = create({ maxQueue: 5 });
    store.failing = Infinity;
    for (let n = 0; n < 5; n++) {
      expect(w.enqueue(event(n))).toBe(true);
    }
    expect(w.enqueue(event(5))).toBe(false);
    expect(w.enqueue(event(6))).toBe(false);
    expect(w.pendingCount).toBe(5);
    expect(w.droppedCount).toBe(2);
    expect(logger.error).toHaveBeenCalledTimes(1);
    expect(logger.error).toHaveBeenCalledWith(
      expect.stringContaining('The audit events queue is full'),
    );

    store.failing = 0;
    await jest.advanceTimersByTimeAsync(1000);
    expect(w.pendingCount).toBe(0);
    expect(w.enqueue(event(7))).toBe(true);
    await w.flush();
    expect(commands(store.written)).toEqual([...range(0, 5), 'cmd 7']);
  });

  it('flushes everything queued before the call', async () => {
    const w = create({ batchSize: 500 });
    for (let n = 0; n < 1234; n++) {
      w.enqueue(event(n));
    }
    await w.flush();
    expect(w.pendingCount).toBe(0);
    expect(store.batches.map(b => b.length)).toEqual([500, 500, 234]);
    expect(commands(store.written)).toEqual(range(0, 1234));
  });

  it('retries within flush and rejects, keeping the events, when the store stays down', async () => {
    const w = create({ flushAttempts: 3 });
    w.enqueue(event(0));
    store.failing = 2;
    const recovered = w.flush();
    await jest.advanceTimersByTimeAsync(3000);
    await expect(recovered).resolves.toBeUndefined();
    expect(commands(store.written)).toEqual(['cmd 0']);

    w.enqueue(event(1));
    store.failing = Infinity;
    const failed = w.flush();
    const outcome = failed.then(
      () => undefined,
      (error: Error) => error,
    );
    await jest.advanceTimersByTimeAsync(10_000);
    expect((await outcome)?.message).toContain('database is down');
    expect(w.pendingCount).toBe(1);
    expect(w.healthy).toBe(false);

    store.failing = 0;
    await w.flush();
    expect(commands(store.written)).toEqual(['cmd 0', 'cmd 1']);
  });

  it('flushes on close and refuses events afterwards', async () => {
    const w = create();
    w.enqueue(event(0));
    w.enqueue(event(1));
    await w.close();
    expect(commands(store.written)).toEqual(range(0, 2));
    expect(w.enqueue(event(2))).toBe(false);
    expect(w.droppedCount).toBe(1);
    expect(logger.error).toHaveBeenCalledWith(
      expect.stringContaining('closed'),
    );
  });

  it('never writes two batches at once, whoever starts them', async () => {
    let inFlight = 0;
    let maxInFlight = 0;
    const slow = {
      batches: [] as NewAuditEvent[][],
      async appendEvents(events: NewAuditEvent[]) {
        inFlight += 1;
        maxInFlight = Math.max(maxInFlight, inFlight);
        await new Promise(resolve => setTimeout(resolve, 50));
        slow.batches.push([...events]);
        inFlight -= 1;
      },
    };
    const w = create({ store: slow });
    for (let n = 0; n < 10; n++) {
      w.enqueue(event(n));
    }
    const flushed = w.flush();
    await jest.advanceTimersByTimeAsync(2000);
    await flushed;
    expect(maxInFlight).toBe(1);
    expect(commands(slow.batches.flat())).toEqual(range(0, 10));
  });
});

const databases = TestDatabases.create({ ids: ['POSTGRES_15', 'SQLITE_3'] });

describe.each(databases.eachSupportedId())(
  'AuditWriter with DatabaseSessionStore (%s)',
  databaseId => {
    jest.setTimeout(60_000);

    it('writes every accepted event, in order, through an outage', async () => {
      const knex = await databases.init(databaseId);
      const real = await DatabaseSessionStore.create({
        database: mockServices.database({ knex, migrations: { skip: false } }),
      });
      let down = false;
      const writer = new AuditWriter({
        store: {
          appendEvents: events =>
            down
              ? Promise.reject(new Error('connection refused'))
              : real.appendEvents(events),
        },
        logger: mockServices.logger.mock(),
        batchSize: 100,
        flushIntervalMs: 10,
        minRetryDelayMs: 10,
        maxRetryDelayMs: 20,
      });

      for (let n = 0; n < 250; n++) {
        expect(writer.enqueue(event(n))).toBe(true);
      }
      down = true;
      for (let n = 250; n < 600; n++) {
        expect(writer.enqueue(event(n))).toBe(true);
      }
      await new Promise(resolve => setTimeout(resolve, 100));
      expect(writer.healthy).toBe(false);
      down = false;
      await writer.close();
      expect(writer.healthy).toBe(true);

      const { items, totalCount } = await real.listEvents({
        filter: {},
        limit: 1000,
        includeTotalCount: true,
      });
      expect(totalCount).toBe(600);
      expect(items.map(e => e.command)).toEqual(range(0, 600).reverse());
      // ids follow the order of writing
      const ids = items.map(e => BigInt(e.id));
      expect(ids.every((id, i) => i === 0 || id < ids[i - 1])).toBe(true);
      await knex.destroy();
    });
  },
);
