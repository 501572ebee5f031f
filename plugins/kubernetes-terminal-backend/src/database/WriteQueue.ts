import type { LoggerService } from '@backstage/backend-plugin-api';
import { describeStorageError } from './errors';

/** @internal */
export interface WriteQueueOptions<T> {
  /** What the items are, for log lines: `audit events`, `session recordings`. */
  what: string;
  /** Writes items in the order given; a rejection leaves all of them queued. */
  write(items: T[]): Promise<void>;
  logger: LoggerService;
  /**
   * Weight held at most: queued items plus what the owner reserved. Past it, offers are refused
   * rather than let memory grow.
   */
  maxWeight: number;
  /** An item's weight (1 when not given): a count, or bytes. */
  weigh?: (item: T) => number;
  /** A write takes the items at the head up to this weight (at least one). Reaching it starts one. */
  batchWeight: number;
  /** Runs before every timed write and every flush: the owner queues what it has gathered. */
  collect?: () => void;
  /** How often what is queued is written when less than a batch waits. Defaults to 1 s. */
  flushIntervalMs?: number;
  /** First wait after a failed write; doubles per consecutive failure up to `maxRetryDelayMs`. */
  minRetryDelayMs?: number;
  maxRetryDelayMs?: number;
  /** Consecutive failed writes after which `flush` gives up and rejects. Defaults to 5. */
  flushAttempts?: number;
  /** A write failed (its items stay at the head, for the next try): for owners that fail closed. */
  onFailure?: (items: T[], error: unknown) => void;
  now?: () => number;
}

const COMPACT_AFTER = 1024;

/**
 * Items to be written to a store, off the terminal streams' path: `offer` never waits. The audit
 * log's events and the session recordings' chunks both go through one.
 *
 * - Ordered: one write at a time, from the head; a failed write's items stay at the head and are
 *   retried with exponential backoff, so an outage loses nothing while there is room and the process
 *   lives.
 * - Batched: a write takes up to `batchWeight`; a timer writes what waits less than that.
 * - Bounded: past `maxWeight` (queued and reserved), `offer` refuses and counts what it drops; the
 *   owner decides what that means (the audit log drops the event, a recording stops or its session
 *   ends).
 * - Observable: `healthy`, `lastError`, `droppedCount`, `pendingWeight`.
 *
 * @internal
 */
export class WriteQueue<T> {
  readonly #options: WriteQueueOptions<T>;
  readonly #weigh: (item: T) => number;
  readonly #minRetryDelayMs: number;
  readonly #maxRetryDelayMs: number;
  readonly #flushAttempts: number;
  readonly #now: () => number;
  readonly #timer: ReturnType<typeof setInterval>;

  /** Pending items are `#items[#head..]`; advancing `#head` keeps taking from the head O(1). */
  #items: T[] = [];
  #head = 0;
  #queuedWeight = 0;
  #reservedWeight = 0;
  #offered = 0;
  #written = 0;
  #dropped = 0;
  #dropping = false;
  #healthy = true;
  #lastError?: string;
  #failures = 0;
  #retryAt = 0;
  /** The last write started (settled or not): the next one waits for it. */
  #chain: Promise<void> = Promise.resolve();
  #draining = false;
  #kickScheduled = false;
  #closed = false;

  constructor(options: WriteQueueOptions<T>) {
    if (options.maxWeight <= 0 || options.batchWeight <= 0) {
      throw new TypeError('WriteQueue needs maxWeight and batchWeight > 0');
    }
    this.#options = options;
    this.#weigh = options.weigh ?? (() => 1);
    this.#minRetryDelayMs = options.minRetryDelayMs ?? 1000;
    this.#maxRetryDelayMs = options.maxRetryDelayMs ?? 30_000;
    this.#flushAttempts = options.flushAttempts ?? 5;
    this.#now = options.now ?? Date.now;
    this.#timer = setInterval(() => {
      this.#options.collect?.();
      this.#drainInBackground();
    }, options.flushIntervalMs ?? 1000);
    // The owner's shutdown flushes; the timer alone must not keep the process alive.
    this.#timer.unref?.();
  }

  /** Items offered and not yet written. */
  get pendingCount(): number {
    return this.#items.length - this.#head;
  }

  /** Weight held: queued items and reservations. */
  get pendingWeight(): number {
    return this.#queuedWeight + this.#reservedWeight;
  }

  /** False from a failed write until the next successful one. */
  get healthy(): boolean {
    return this.#healthy;
  }

  /** Why the last write failed. */
  get lastError(): string | undefined {
    return this.#lastError;
  }

  /** Items (and reservations) refused because the queue was full or closed. */
  get droppedCount(): number {
    return this.#dropped;
  }

  /**
   * Holds `weight` for items the owner gathers before it offers them (a recording's chunk being
   * filled); false, and nothing held, where that would pass `maxWeight`.
   */
  reserve(weight: number): boolean {
    if (!this.#admits(weight)) return false;
    this.#reservedWeight += weight;
    return true;
  }

  /**
   * Queues `item` without waiting. `reserved`: its weight was reserved before. Returns false, and
   * drops the item, when the queue is full or closed.
   */
  offer(item: T, options: { reserved?: boolean } = {}): boolean {
    const weight = this.#weigh(item);
    if (options.reserved) {
      this.#reservedWeight = Math.max(0, this.#reservedWeight - weight);
    } else if (!this.#admits(weight)) {
      return false;
    }
    this.#items.push(item);
    this.#queuedWeight += weight;
    this.#offered += 1;
    if (this.#queuedWeight >= this.#options.batchWeight) this.kick();
    return true;
  }

  /** Starts a write soon (after the current I/O), whatever is queued. */
  kick(): void {
    if (this.#kickScheduled) return;
    this.#kickScheduled = true;
    setImmediate(() => {
      this.#kickScheduled = false;
      this.#drainInBackground();
    });
  }

  /**
   * Resolves once everything offered before the call (and what `collect` then adds) is written,
   * retrying failed writes with backoff; rejects with the last error after `flushAttempts`
   * consecutive failures, leaving the items queued.
   */
  async flush(): Promise<void> {
    this.#options.collect?.();
    const target = this.#offered;
    let failures = 0;
    while (this.#written < target) {
      try {
        await this.#writeOne();
        failures = 0;
      } catch (error) {
        failures += 1;
        if (failures >= this.#flushAttempts) throw error;
        const delay = this.#retryDelay(failures);
        await new Promise(resolve => setTimeout(resolve, delay));
      }
    }
  }

  /** Refuses further items (but for reserved ones), stops the timer and writes what is queued. */
  async close(): Promise<void> {
    this.#closed = true;
    clearInterval(this.#timer);
    await this.flush();
  }

  #admits(weight: number): boolean {
    const full =
      this.#closed || this.pendingWeight + weight > this.#options.maxWeight;
    const { logger, what } = this.#options;
    if (full) {
      this.#dropped += 1;
      if (!this.#dropping) {
        this.#dropping = true;
        logger.error(
          this.#closed
            ? `The ${what} writer is closed, dropping ${what}`
            : `The ${what} queue is full (${this.pendingCount} pending, ${
                this.pendingWeight
              } of ${this.#options.maxWeight} held), dropping ${what}`,
        );
      }
      return false;
    }
    if (this.#dropping) {
      this.#dropping = false;
      logger.warn(
        `The ${what} queue accepts again; ${this.#dropped} dropped so far`,
      );
    }
    return true;
  }

  #retryDelay(failures: number): number {
    return Math.min(
      this.#maxRetryDelayMs,
      this.#minRetryDelayMs * 2 ** Math.min(failures - 1, 30),
    );
  }

  #drainInBackground(): void {
    if (
      this.#draining ||
      this.pendingCount === 0 ||
      this.#now() < this.#retryAt
    ) {
      return;
    }
    this.#draining = true;
    void (async () => {
      try {
        while (this.pendingCount > 0 && this.#now() >= this.#retryAt) {
          await this.#writeOne();
        }
      } catch {
        // Logged by #writeOne; the timer tries again once the backoff has passed.
      } finally {
        this.#draining = false;
      }
    })();
  }

  /** The items at the head, up to a batch's weight (at least one). */
  #nextBatch(): { items: T[]; weight: number } {
    const end = this.#items.length;
    let i = this.#head;
    let weight = 0;
    do {
      weight += this.#weigh(this.#items[i]);
      i += 1;
    } while (
      i < end &&
      weight + this.#weigh(this.#items[i]) <= this.#options.batchWeight
    );
    return { items: this.#items.slice(this.#head, i), weight };
  }

  /**
   * Writes the batch at the head. Calls are chained: each runs once the one before has settled, and
   * takes its batch only then, so that two writes never run at once and order is kept.
   */
  #writeOne(): Promise<void> {
    const run = this.#chain.then(() => this.#writeHead());
    this.#chain = run.catch(() => {});
    return run;
  }

  async #writeHead(): Promise<void> {
    if (this.pendingCount === 0) return;
    const batch = this.#nextBatch();
    try {
      await this.#options.write(batch.items);
    } catch (error) {
      this.#onFailed(batch.items, error);
      throw error;
    }
    this.#onWritten(batch.items.length, batch.weight);
  }

  #onWritten(count: number, weight: number) {
    this.#head += count;
    this.#written += count;
    this.#queuedWeight -= weight;
    if (this.#head === this.#items.length) {
      this.#items = [];
      this.#head = 0;
      this.#queuedWeight = 0;
    } else if (
      this.#head >= COMPACT_AFTER &&
      this.#head * 2 >= this.#items.length
    ) {
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    }
    if (!this.#healthy) {
      this.#options.logger.info(
        `${capitalize(this.#options.what)} are written again after ${
          this.#failures
        } failed attempts; ${this.pendingCount} pending`,
      );
    }
    this.#healthy = true;
    this.#lastError = undefined;
    this.#failures = 0;
    this.#retryAt = 0;
  }

  #onFailed(items: T[], error: unknown) {
    this.#healthy = false;
    this.#lastError = describeStorageError(error);
    this.#failures += 1;
    const delay = this.#retryDelay(this.#failures);
    this.#retryAt = this.#now() + delay;
    this.#options.logger.warn(
      `Failed to write ${items.length} ${this.#options.what} (attempt ${
        this.#failures
      }), retrying in ${delay} ms; ${this.pendingCount} pending: ${
        this.#lastError
      }`,
    );
    this.#options.onFailure?.(items, error);
  }
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
