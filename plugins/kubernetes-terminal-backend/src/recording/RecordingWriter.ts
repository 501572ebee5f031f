import type { LoggerService } from '@backstage/backend-plugin-api';
import { WriteQueue } from '../database/WriteQueue';
import type { AsciicastHeader } from '@kubernetes-terminal/backstage-plugin-kubernetes-terminal-common';
import {
  EVENT_HEADER_BYTES,
  type RecordedEventCode,
  writeEventHeader,
} from './recordingFormat';

/** The smallest buffer a chunk starts in. */
const MIN_CHUNK_BYTES = 4096;
import type {
  RecordingBatch,
  RecordingChunk,
  RecordingEnd,
  RecordingStart,
  RecordingStore,
} from './RecordingStore';

/** @internal */
export interface RecordingWriterOptions {
  store: RecordingStore;
  logger: LoggerService;
  /** Largest recording of one session, in bytes stored (output and events' framing); it stops there. */
  maxBytesPerSession: number;
  /**
   * End a session whose recording cannot be kept: its write failed, it reached the size cap, or the
   * writer fell too far behind. Otherwise the recording stops (marked truncated) and the session goes on.
   */
  failClosed: boolean;
  /** Bytes not yet written, over all sessions, beyond which recordings lose output. */
  maxUnsavedBytes?: number;
  /** A chunk is closed once it holds this much. */
  chunkBytes?: number;
  flushIntervalMs?: number;
  minRetryDelayMs?: number;
  maxRetryDelayMs?: number;
  /** Consecutive failed writes after which `flush` gives up and rejects. */
  flushAttempts?: number;
  now?: () => number;
}

/** What a session's recording tells its session. @internal */
export interface RecordingCallbacks {
  /** The recording cannot be kept and the portal is configured fail-closed: end the session. */
  onFail(reason: string): void;
}

/**
 * One session's recording: output and resizes as asciicast v2 events, and a marker per recorded
 * command. Every method is synchronous and only keeps the bytes it is given (the stream's hot path:
 * no decoding, no JSON); the {@link RecordingWriter} stores them in chunks.
 *
 * @internal
 */
export class SessionRecording {
  /** The chunk being filled: events are copied in as they come, so no output is held by reference. */
  private chunk?: Buffer;
  private used = 0;
  /** How full the last chunk got: the next one starts that big (a flood's fill up at once). */
  private lastUsed = 0;
  private seq = 0;
  private last = 0;
  private total = 0;
  private stopped = false;
  private ended = false;
  truncated = false;

  constructor(
    private readonly writer: RecordingWriter,
    readonly sessionId: string,
    private readonly startedAt: number,
    private readonly callbacks: RecordingCallbacks,
  ) {}

  /** The output as the container sent it; copied into the chunk being filled. */
  output(data: Uint8Array) {
    if (this.stopped || data.length === 0) return;
    this.add('o', data);
  }

  resize(cols: number, rows: number) {
    if (!this.stopped) this.add('r', Buffer.from(`${cols}x${rows}`));
  }

  /** A command was run: a marker for players to jump to. */
  marker(label: string) {
    if (!this.stopped) this.add('m', Buffer.from(label));
  }

  /** The session ended: whatever is pending is written, then the recording is closed. */
  end() {
    if (this.ended) return;
    this.ended = true;
    this.stopped = true;
    this.writer.finish(this);
  }

  /** The recording cannot go on: stops it, and ends the session if so configured. */
  fail(reason: string) {
    if (this.stopped) return;
    this.truncated = true;
    this.stopped = true;
    // Said in the recording as well, for whoever replays it.
    this.push('m', Buffer.from(`recording stopped: ${reason}`));
    this.writer.stopped(this, reason);
    if (this.writer.failClosed) this.callbacks.onFail(reason);
  }

  /** Closes the events gathered so far into a chunk; undefined if there are none. */
  takeChunk(): RecordingChunk | undefined {
    const chunk = this.chunk;
    if (!chunk || this.used === 0) return undefined;
    // A chunk mostly empty (a second of typing) is copied out, so that it does not hold its buffer.
    const data =
      this.used * 2 >= chunk.length
        ? chunk.subarray(0, this.used)
        : Buffer.from(chunk.subarray(0, this.used));
    this.lastUsed = this.used;
    this.chunk = undefined;
    this.used = 0;
    return { sessionId: this.sessionId, seq: this.seq++, data };
  }

  private add(code: RecordedEventCode, data: Uint8Array) {
    const bytes = EVENT_HEADER_BYTES + data.length;
    if (this.total + bytes > this.writer.maxBytesPerSession) {
      this.fail(
        `the recording reached its size limit of ${formatBytes(
          this.writer.maxBytesPerSession,
        )}`,
      );
      return;
    }
    if (!this.writer.reserve(bytes)) {
      this.fail('recordings could not be written fast enough');
      return;
    }
    this.total += bytes;
    this.push(code, data);
  }

  private push(code: RecordedEventCode, data: Uint8Array) {
    // Time never goes back, even where a command is stamped after output that came just ahead of it.
    const ms = Math.max(this.last, this.writer.now() - this.startedAt);
    this.last = ms;
    const bytes = EVENT_HEADER_BYTES + data.length;
    this.reserveRoom(bytes);
    const chunk = this.chunk!;
    writeEventHeader(chunk, this.used, code, ms, data.length);
    chunk.set(data, this.used + EVENT_HEADER_BYTES);
    this.used += bytes;
    if (this.used >= this.writer.chunkBytes) this.writer.ready(this);
  }

  /** Makes room for `bytes` more in the chunk being filled, growing it up to a full chunk. */
  private reserveRoom(bytes: number) {
    const full = this.writer.chunkBytes;
    const chunk = this.chunk;
    if (chunk && this.used + bytes <= chunk.length) return;
    const wanted = Math.max(
      this.used + bytes,
      Math.min(
        full,
        Math.max(MIN_CHUNK_BYTES, this.lastUsed, 2 * (chunk?.length ?? 0)),
      ),
    );
    const grown = Buffer.allocUnsafeSlow(wanted);
    if (chunk) chunk.copy(grown, 0, 0, this.used);
    this.chunk = grown;
  }
}

/** One item of the recordings' write queue. */
type RecordingWrite =
  | { start: RecordingStart }
  | { chunk: RecordingChunk }
  | { end: RecordingEnd };

/**
 * Writes the recordings of every session on this replica through a {@link WriteQueue} (the one the
 * audit log uses too): in batches, off the streams' path, in order per recording, retrying failed
 * writes with backoff. Memory is bounded: past `maxUnsavedBytes` of events not yet written (queued, or
 * in chunks still being filled), recordings stop (or their sessions end, fail-closed) rather than grow
 * it.
 *
 * @internal
 */
export class RecordingWriter {
  readonly maxBytesPerSession: number;
  readonly failClosed: boolean;
  readonly chunkBytes: number;
  readonly now: () => number;
  private readonly logger: LoggerService;
  private readonly queue: WriteQueue<RecordingWrite>;
  private readonly open = new Set<SessionRecording>();

  constructor(options: RecordingWriterOptions) {
    this.logger = options.logger;
    this.maxBytesPerSession = options.maxBytesPerSession;
    this.failClosed = options.failClosed;
    this.chunkBytes = options.chunkBytes ?? 256 * 1024;
    this.now = options.now ?? Date.now;
    const { store } = options;
    this.queue = new WriteQueue<RecordingWrite>({
      what: 'session recordings',
      write: items => store.write(toBatch(items)),
      logger: options.logger,
      maxWeight: options.maxUnsavedBytes ?? 64 * 1024 * 1024,
      weigh: item => ('chunk' in item ? item.chunk.data.length : 0),
      // Written a megabyte at a time during a flood: short writes, no long stall of the event loop.
      batchWeight: 4 * this.chunkBytes,
      collect: () => this.collect(),
      flushIntervalMs: options.flushIntervalMs,
      minRetryDelayMs: options.minRetryDelayMs ?? 500,
      maxRetryDelayMs: options.maxRetryDelayMs ?? 15_000,
      flushAttempts: options.flushAttempts,
      now: this.now,
      onFailure: items => this.onFailure(items),
    });
  }

  /** False from a failed write until the next successful one. */
  get healthy(): boolean {
    return this.queue.healthy;
  }

  /** Bytes of events held in memory, not yet written. */
  get unsavedBytes(): number {
    return this.queue.pendingWeight;
  }

  /** Starts a session's recording; its header is written at once, so a store that is down shows. */
  begin(
    session: {
      id: string;
      cols: number;
      rows: number;
      title: string;
      shell?: string;
    },
    callbacks: RecordingCallbacks,
  ): SessionRecording {
    const startedAt = this.now();
    const header: AsciicastHeader = {
      version: 2,
      width: session.cols,
      height: session.rows,
      timestamp: Math.floor(startedAt / 1000),
      title: session.title,
      env: {
        TERM: 'xterm-256color',
        ...(session.shell && { SHELL: session.shell }),
      },
    };
    const recording = new SessionRecording(
      this,
      session.id,
      startedAt,
      callbacks,
    );
    this.queue.offer({
      start: {
        sessionId: session.id,
        startedAt: new Date(startedAt),
        header: JSON.stringify(header),
      },
    });
    this.open.add(recording);
    this.queue.kick();
    return recording;
  }

  /** @internal Counts bytes a recording is about to hold; false if memory is at its bound. */
  reserve(bytes: number): boolean {
    return this.queue.reserve(bytes);
  }

  /** @internal A recording's chunk is full: it is queued. */
  ready(recording: SessionRecording) {
    const chunk = recording.takeChunk();
    if (chunk) this.queue.offer({ chunk }, { reserved: true });
  }

  /** @internal A recording stopped early. */
  stopped(recording: SessionRecording, reason: string) {
    this.logger.warn(
      `recording of terminal session ${recording.sessionId} stopped: ${reason}`,
    );
  }

  /** @internal A recording ended: its last events and its end are written next. */
  finish(recording: SessionRecording) {
    this.ready(recording);
    this.open.delete(recording);
    this.queue.offer({
      end: {
        sessionId: recording.sessionId,
        endedAt: new Date(this.now()),
        truncated: recording.truncated,
      },
    });
    this.queue.kick();
  }

  /** Writes everything recorded so far; rejects if the store keeps failing. */
  flush(): Promise<void> {
    return this.queue.flush();
  }

  /** Ends every open recording and writes what is left (shutdown). */
  async close(): Promise<void> {
    for (const recording of [...this.open]) recording.end();
    try {
      await this.queue.close();
    } catch (error) {
      this.logger.error(
        `session recordings could not be written at shutdown: ${
          (error as Error).message
        }`,
      );
    }
  }

  /** Queues the events every open recording holds (the timer's, and before a flush). */
  private collect() {
    for (const recording of this.open) this.ready(recording);
  }

  /** Fail-closed: the sessions whose events a failed write held end. */
  private onFailure(items: RecordingWrite[]) {
    if (!this.failClosed) return;
    const affected = new Set(items.map(sessionOf));
    for (const recording of this.open) {
      if (affected.has(recording.sessionId)) {
        recording.fail('its recording could not be written');
      }
    }
  }
}

function sessionOf(item: RecordingWrite): string {
  if ('start' in item) return item.start.sessionId;
  if ('chunk' in item) return item.chunk.sessionId;
  return item.end.sessionId;
}

/** The queue's items as one store write: new recordings, then chunks, then ends (each in order). */
function toBatch(items: RecordingWrite[]): RecordingBatch {
  const batch: RecordingBatch = { starts: [], chunks: [], ends: [] };
  for (const item of items) {
    if ('start' in item) batch.starts.push(item.start);
    else if ('chunk' in item) batch.chunks.push(item.chunk);
    else batch.ends.push(item.end);
  }
  return batch;
}

function formatBytes(bytes: number): string {
  return bytes >= 1024 * 1024
    ? `${Math.round((bytes / 1024 / 1024) * 10) / 10} MiB`
    : `${Math.round(bytes / 1024)} KiB`;
}
