import { LoggerService } from '@backstage/backend-plugin-api';
import { randomUUID } from 'node:crypto';
import { describeStorageError } from './errors';
import {
  NewAuditEvent,
  SessionStore,
  validateAuditEvent,
} from './SessionStore';

/** @internal */
export interface AuditWriterOptions {
  store: Pick<SessionStore, 'appendEvents'>;
  logger: LoggerService;
  /** Events held in memory at most, including the batch being written. */
  maxQueue?: number;
  /** Events per write. */
  batchSize?: number;
  /** How often queued events are written when fewer than a batch are waiting. */
  flushIntervalMs?: number;
  /** First wait after a failed write; doubles per consecutive failure up to `maxRetryDelayMs`. */
  minRetryDelayMs?: number;
  maxRetryDelayMs?: number;
  /** Consecutive failed writes after which `flush` gives up and rejects. */
  flushAttempts?: number;
}

const COMPACT_AFTER = 1024;

/**
 * Queues audit events in memory and writes them in order, in batches, off the terminal streams'
 * path: `enqueue` never waits for the database.
 *
 * An accepted event (`enqueue` returned true) stays queued until a write of it succeeds: a failed
 * batch remains at the head and is retried with exponential backoff, so an outage of the database
 * loses nothing as long as the queue has room and the process lives. Once `maxQueue` events wait,
 * new events are refused (`enqueue` returns false and `droppedCount` grows) rather than letting
 * memory grow without bound.
 *
 * @internal
 */
export class AuditWriter {
  readonly #store: Pick<SessionStore, 'appendEvents'>;
  readonly #logger: LoggerService;
  readonly #maxQueue: number;
  readonly #batchSize: number;
  readonly #minRetryDelayMs: number;
  readonly #maxRetryDelayMs: number;
  readonly #flushAttempts: number;
  readonly #timer: ReturnType<typeof setInterval>;

  /** Pending events are `#queue[#head..]`; advancing `#head` keeps dequeuing O(1). */
  #queue: NewAuditEvent[] = [];
  #head = 0;
  #enqueued = 0;
  #written = 0;
  #dropped = 0;
  #dropping = false;
  #healthy = true;
  #failures = 0;
  #retryAt = 0;
  #writing: Promise<void> | undefined;
  #draining = false;
  #kickScheduled = false;
  #closed = false;

  constructor(options: AuditWriterOptions) {
    this.#store = options.store;
    this.#logger = options.logger;
    this.#maxQueue = options.maxQueue ?? 10_000;
    this.#batchSize = options.batchSize ?? 500;
    this.#minRetryDelayMs = options.minRetryDelayMs ?? 1000;
    this.#maxRetryDelayMs = options.maxRetryDelayMs ?? 30_000;
    this.#flushAttempts = options.flushAttempts ?? 5;
    if (this.#maxQueue < 1 || this.#batchSize < 1) {
      throw new TypeError('AuditWriter needs maxQueue and batchSize >= 1');
    }
    this.#timer = setInterval(
      () => this.#drainInBackground(),
      options.flushIntervalMs ?? 1000,
    );
    // The shutdown hook flushes; the timer alone must not keep the process alive.
    this.#timer.unref?.();
  }

  /** Events accepted and not yet written. */
  get pendingCount(): number {
    return this.#queue.length - this.#head;
  }

  /** False from a failed write until the next successful one. */
  get healthy(): boolean {
    return this.#healthy;
  }

  /** Events refused because the queue was full or the writer closed. */
  get droppedCount(): number {
    return this.#dropped;
  }

  /**
   * Queues an event without waiting; stamps `createdAt` with the current time if absent. Returns
   * false, and drops the event, when the queue is full or the writer is closed. Throws `InputError`
   * on an event the store would refuse, so that it can never block a batch.
   */
  enqueue(event: NewAuditEvent): boolean {
    validateAuditEvent(event);
    if (this.#closed || this.pendingCount >= this.#maxQueue) {
      this.#dropped += 1;
      if (!this.#dropping) {
        this.#dropping = true;
        this.#logger.error(
          this.#closed
            ? 'Audit writer is closed, dropping audit events'
            : `Audit queue is full (${
                this.#maxQueue
              } events pending), dropping audit events`,
        );
      }
      return false;
    }
    if (this.#dropping) {
      this.#dropping = false;
      this.#logger.warn(
        `Audit queue accepts events again; ${this.#dropped} dropped so far`,
      );
    }
    this.#queue.push({
      ...event,
      createdAt: event.createdAt ?? new Date(),
      key: event.key ?? randomUUID(),
    });
    this.#enqueued += 1;
    if (this.pendingCount >= this.#batchSize && !this.#kickScheduled) {
      this.#kickScheduled = true;
      setImmediate(() => {
        this.#kickScheduled = false;
        this.#drainInBackground();
      });
    }
    return true;
  }

  /**
   * Resolves once every event accepted before the call is written, retrying failed writes with
   * backoff; rejects with the last error after `flushAttempts` consecutive failures, leaving the
   * events queued.
   */
  async flush(): Promise<void> {
    const target = this.#enqueued;
    let failures = 0;
    while (this.#written < target) {
      try {
        await this.#writeOne();
        failures = 0;
      } catch (error) {
        failures += 1;
        if (failures >= this.#flushAttempts) {
          throw error;
        }
        const delay = this.#retryDelay(failures);
        await new Promise(resolve => setTimeout(resolve, delay));
      }
    }
  }

  /** Refuses further events, stops the timer and flushes what is queued. */
  async close(): Promise<void> {
    this.#closed = true;
    clearInterval(this.#timer);
    await this.flush();
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
      Date.now() < this.#retryAt
    ) {
      return;
    }
    this.#draining = true;
    void (async () => {
      try {
        while (this.pendingCount > 0 && Date.now() >= this.#retryAt) {
          await this.#writeOne();
        }
      } catch {
        // Recorded by #writeOne; the timer tries again once the backoff has passed.
      } finally {
        this.#draining = false;
      }
    })();
  }

  /** Writes the batch at the head of the queue; one write at a time, so order is kept. */
  async #writeOne(): Promise<void> {
    while (this.#writing) {
      await this.#writing.catch(() => {});
    }
    if (this.pendingCount === 0) {
      return;
    }
    const batch = this.#queue.slice(this.#head, this.#head + this.#batchSize);
    const write = this.#store.appendEvents(batch).then(
      () => this.#onWritten(batch.length),
      error => {
        this.#onFailed(batch.length, error);
        throw error;
      },
    );
    this.#writing = write;
    try {
      await write;
    } finally {
      this.#writing = undefined;
    }
  }

  #onWritten(count: number) {
    this.#head += count;
    this.#written += count;
    if (this.#head === this.#queue.length) {
      this.#queue = [];
      this.#head = 0;
    } else if (
      this.#head >= COMPACT_AFTER &&
      this.#head * 2 >= this.#queue.length
    ) {
      this.#queue = this.#queue.slice(this.#head);
      this.#head = 0;
    }
    if (!this.#healthy) {
      this.#logger.info(
        `Audit events are written again after ${
          this.#failures
        } failed attempts; ${this.pendingCount} pending`,
      );
    }
    this.#healthy = true;
    this.#failures = 0;
    this.#retryAt = 0;
  }

  #onFailed(count: number, error: unknown) {
    this.#healthy = false;
    this.#failures += 1;
    const delay = this.#retryDelay(this.#failures);
    this.#retryAt = Date.now() + delay;
    this.#logger.warn(
      `Failed to write ${count} audit events (attempt ${
        this.#failures
      }), retrying in ${delay} ms; ${
        this.pendingCount
      } pending: ${describeStorageError(error)}`,
    );
  }
}
