import type { Terminal } from '@xterm/headless';

/** Output not parsed yet beyond this is dropped by the recorder, never by the stream it watches. */
const MAX_UNPARSED_BYTES = 4 * 1024 * 1024;
/** xterm parses a write in one go; slices let it yield to the event loop in between. */
const SLICE_BYTES = 64 * 1024;
/** Echo of a line being typed held back from the parser until Enter, at most. */
const MAX_DEFERRED_BYTES = 64 * 1024;
const EMPTY = new Uint8Array(0);

/**
 * Hands a terminal the output in turn, counting chunks: `parsedSeq` is the last chunk the parser has
 * got through, which tells what a line sent after chunk n can have been echoed by. The echo of a line
 * being typed may be held back and parsed in one go at Enter, rather than a parser run per key.
 *
 * @internal
 */
export class OutputFeed {
  private unparsed = 0;
  private deferred: Uint8Array[] = [];
  private deferredBytes = 0;
  private deferredSeq = 0;
  private closed = false;

  constructor(
    private readonly terminal: Terminal,
    /** The last chunk parsed. */
    public parsedSeq: number,
    /** Called when output is dropped: the parser is too far behind, or failed. */
    private readonly onLost: () => void,
  ) {}

  /** Holds chunk `seq` back; false (and nothing held) where the room for it is used up. */
  defer(data: Uint8Array, seq: number): boolean {
    if (this.deferredBytes + data.length > MAX_DEFERRED_BYTES) return false;
    // Copied, as the caller may reuse its buffer.
    this.deferred.push(new Uint8Array(data));
    this.deferredBytes += data.length;
    this.deferredSeq = seq;
    return true;
  }

  /** Hands what was held back to the parser. */
  release(): void {
    if (this.deferred.length === 0 || this.closed) return;
    const chunks = this.deferred;
    this.deferred = [];
    this.deferredBytes = 0;
    let data = chunks[0];
    if (chunks.length > 1) {
      data = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
      let offset = 0;
      for (const chunk of chunks) {
        data.set(chunk, offset);
        offset += chunk.length;
      }
    }
    this.feed(data, this.deferredSeq);
  }

  /** Hands chunk `seq` to the parser, after what was held back. */
  write(data: Uint8Array, seq: number): void {
    this.release();
    this.feed(data, seq);
  }

  /** Calls `done` once everything handed over so far is parsed (what was held back included). */
  afterParsed(done: () => void): void {
    this.release();
    this.terminal.write(EMPTY, done);
  }

  /** Nothing more is parsed for this feed's owner: callbacks still queued are ignored. */
  close(): void {
    this.closed = true;
    this.deferred = [];
    this.deferredBytes = 0;
  }

  private feed(data: Uint8Array, seq: number) {
    if (this.closed) return;
    if (this.unparsed + data.length > MAX_UNPARSED_BYTES) {
      this.onLost();
      return;
    }
    this.unparsed += data.length;
    const parsed = () => {
      if (this.closed) return;
      this.parsedSeq = seq;
      this.unparsed -= data.length;
    };
    try {
      for (let offset = 0; offset < data.length; offset += SLICE_BYTES) {
        const end = Math.min(offset + SLICE_BYTES, data.length);
        // Copied, as the caller may reuse its buffer before xterm gets to it.
        const slice = new Uint8Array(data.subarray(offset, end));
        this.terminal.write(slice, end === data.length ? parsed : undefined);
      }
    } catch {
      parsed();
      this.onLost();
    }
  }
}
