import type { LoggerService } from '@backstage/backend-plugin-api';
import { randomUUID } from 'node:crypto';
import {
  type NewAuditEvent,
  type SessionStore,
  validateAuditEvent,
} from './SessionStore';
import { WriteQueue } from './WriteQueue';

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

/**
 * Queues audit events in memory and writes them in order, in batches, off the terminal streams'
 * path: `enqueue` never waits for the database.
 *
 * An accepted event (`enqueue` returned true) stays queued until a write of it succeeds: a failed
 * batch remains at the head and is retried with exponential backoff, so an outage of the database
 * loses nothing as long as the queue has room and the process lives. Once `maxQueue` events wait,
 * new events are refused (`enqueue` returns false and `droppedCount` grows) rather than letting
 * memory grow without bound. The queue is the {@link WriteQueue} the session recordings use too.
 *
 * @internal
 */
export class AuditWriter {
  readonly #queue: WriteQueue<NewAuditEvent>;

  constructor(options: AuditWriterOptions) {
    const maxQueue = options.maxQueue ?? 10_000;
    const batchSize = options.batchSize ?? 500;
    if (maxQueue < 1 || batchSize < 1) {
      throw new TypeError('AuditWriter needs maxQueue and batchSize >= 1');
    }
    this.#queue = new WriteQueue({
      what: 'audit events',
      write: events => options.store.appendEvents(events),
      logger: options.logger,
      maxWeight: maxQueue,
      batchWeight: batchSize,
      flushIntervalMs: options.flushIntervalMs,
      minRetryDelayMs: options.minRetryDelayMs ?? 1000,
      maxRetryDelayMs: options.maxRetryDelayMs ?? 30_000,
      flushAttempts: options.flushAttempts,
    });
  }

  /** Events accepted and not yet written. */
  get pendingCount(): number {
    return this.#queue.pendingCount;
  }

  /** False from a failed write until the next successful one. */
  get healthy(): boolean {
    return this.#queue.healthy;
  }

  /** Events refused because the queue was full or the writer closed. */
  get droppedCount(): number {
    return this.#queue.droppedCount;
  }

  /**
   * Queues an event without waiting; stamps `createdAt` with the current time if absent. Returns
   * false, and drops the event, when the queue is full or the writer is closed. Throws `InputError`
   * on an event the store would refuse, so that it can never block a batch.
   */
  enqueue(event: NewAuditEvent): boolean {
    validateAuditEvent(event);
    return this.#queue.offer({
      ...event,
      createdAt: event.createdAt ?? new Date(),
      key: event.key ?? randomUUID(),
    });
  }

  /**
   * Resolves once every event accepted before the call is written, retrying failed writes with
   * backoff; rejects with the last error after `flushAttempts` consecutive failures, leaving the
   * events queued.
   */
  flush(): Promise<void> {
    return this.#queue.flush();
  }

  /** Refuses further events, stops the timer and flushes what is queued. */
  close(): Promise<void> {
    return this.#queue.close();
  }
}
