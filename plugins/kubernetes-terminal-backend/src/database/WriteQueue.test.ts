import { mockServices } from '@backstage/backend-test-utils';
import { WriteQueue, type WriteQueueOptions } from './WriteQueue';

/** Items are strings; an item's weight is its length. The store fails while `failing` > 0. */
class Store {
  writes: string[][] = [];
  tried: string[][] = [];
  failing = 0;
  async write(items: string[]) {
    this.tried.push([...items]);
    if (this.failing > 0) {
      this.failing -= 1;
      throw new Error('database is down');
    }
    this.writes.push([...items]);
  }
  get written() {
    return this.writes.flat();
  }
}

describe('WriteQueue', () => {
  let store: Store;
  let logger: ReturnType<typeof mockServices.logger.mock>;
  let queue: WriteQueue<string> | undefined;

  beforeEach(() => {
    jest.useFakeTimers();
    store = new Store();
    logger = mockServices.logger.mock();
  });

  afterEach(async () => {
    store.failing = 0;
    await queue?.close();
    queue = undefined;
    jest.useRealTimers();
  });

  function create(options: Partial<WriteQueueOptions<string>> = {}) {
    queue = new WriteQueue<string>({
      what: 'test items',
      write: items => store.write(items),
      logger,
      maxWeight: 100,
      weigh: item => item.length,
      batchWeight: 10,
      flushIntervalMs: 1000,
      minRetryDelayMs: 1000,
      maxRetryDelayMs: 4000,
      ...options,
    });
    return queue;
  }

  it('writes in order, in batches of at most batchWeight (an item heavier than that alone)', async () => {
    const q = create();
    for (const item of ['aaaa', 'bbbb', 'cc', 'dddddddddddd', 'e'])
      q.offer(item);
    await q.flush();
    expect(store.writes).toEqual([
      ['aaaa', 'bbbb', 'cc'],
      ['dddddddddddd'],
      ['e'],
    ]);
    expect(q.pendingCount).toBe(0);
    expect(q.pendingWeight).toBe(0);
  });

  it('starts a write once a batch waits, and writes less than that on the timer', async () => {
    const q = create();
    q.offer('aaa');
    await jest.advanceTimersByTimeAsync(10);
    expect(store.writes).toEqual([]);
    q.offer('bbbbbbb');
    await jest.advanceTimersByTimeAsync(10);
    expect(store.writes).toEqual([['aaa', 'bbbbbbb']]);
    q.offer('c');
    await jest.advanceTimersByTimeAsync(1000);
    expect(store.written).toEqual(['aaa', 'bbbbbbb', 'c']);
  });

  it('keeps a failed batch at the head, backs off, tells onFailure, and writes it once the store is back', async () => {
    const failed: string[][] = [];
    const q = create({ onFailure: items => failed.push(items) });
    store.failing = 2;
    q.offer('one');
    q.offer('two');
    await jest.advanceTimersByTimeAsync(1000);
    expect(q.healthy).toBe(false);
    expect(q.lastError).toContain('database is down');
    q.offer('six');
    // The backoff (1 s, then 2 s) holds the next tries back.
    await jest.advanceTimersByTimeAsync(1000);
    expect(store.tried.length).toBe(2);
    await jest.advanceTimersByTimeAsync(3000);
    expect(store.written).toEqual(['one', 'two', 'six']);
    expect(failed).toEqual([
      ['one', 'two'],
      ['one', 'two', 'six'],
    ]);
    expect(q.healthy).toBe(true);
    expect(logger.info).toHaveBeenCalledWith(
      expect.stringContaining(
        'Test items are written again after 2 failed attempts',
      ),
    );
  });

  it('bounds what it holds, reservations included, and logs a run of drops once', async () => {
    const q = create({ maxWeight: 10 });
    store.failing = 100;
    expect(q.reserve(4)).toBe(true);
    expect(q.offer('aaaaa')).toBe(true);
    expect(q.offer('bb')).toBe(false);
    expect(q.reserve(2)).toBe(false);
    expect(q.offer('c')).toBe(true);
    expect(q.pendingWeight).toBe(10);
    // A reserved item takes its reservation's place, even with the queue full.
    expect(q.offer('dddd', { reserved: true })).toBe(true);
    expect(q.pendingWeight).toBe(10);
    expect(q.droppedCount).toBe(2);
    expect(logger.error).toHaveBeenCalledTimes(1);
    expect(logger.error).toHaveBeenCalledWith(
      expect.stringContaining('The test items queue is full'),
    );
    store.failing = 0;
    await q.flush();
    expect(store.written).toEqual(['aaaaa', 'c', 'dddd']);
    expect(q.offer('e')).toBe(true);
    expect(logger.warn).toHaveBeenCalledWith(
      'The test items queue accepts again; 2 dropped so far',
    );
  });

  it('lets its owner queue what it gathered before each timed write and each flush', async () => {
    const gathered = ['x', 'y'];
    const q = create({
      collect: () => {
        for (const item of gathered.splice(0)) q.offer(item);
      },
    });
    await q.flush();
    expect(store.written).toEqual(['x', 'y']);
    gathered.push('z');
    await jest.advanceTimersByTimeAsync(1000);
    expect(store.written).toEqual(['x', 'y', 'z']);
  });

  it('retries within flush and rejects after flushAttempts, keeping the items', async () => {
    const q = create({ flushAttempts: 3 });
    q.offer('kept');
    store.failing = 10;
    const flushed = q.flush().then(
      () => 'resolved',
      (error: Error) => error.message,
    );
    await jest.advanceTimersByTimeAsync(10_000);
    expect(await flushed).toContain('database is down');
    // Three in the flush; the timer may have tried as well.
    expect(store.tried.length).toBeGreaterThanOrEqual(3);
    expect(q.pendingCount).toBe(1);
  });

  it('never writes two batches at once, however writes are started', async () => {
    let inFlight = 0;
    let most = 0;
    const q = create({
      maxWeight: 1000,
      write: async items => {
        inFlight += 1;
        most = Math.max(most, inFlight);
        await new Promise(r => setTimeout(r, 5));
        inFlight -= 1;
        store.writes.push(items);
      },
    });
    for (let i = 0; i < 30; i++) q.offer(`item ${i}`);
    const flushes = [q.flush(), q.flush()];
    await jest.advanceTimersByTimeAsync(2000);
    await Promise.all(flushes);
    expect(most).toBe(1);
    expect(store.written).toEqual(
      Array.from({ length: 30 }, (_, i) => `item ${i}`),
    );
  });

  it('writes what is queued on close and refuses items afterwards', async () => {
    const q = create();
    q.offer('last');
    await q.close();
    expect(store.written).toEqual(['last']);
    expect(q.offer('late')).toBe(false);
    expect(logger.error).toHaveBeenCalledWith(
      'The test items writer is closed, dropping test items',
    );
  });
});
