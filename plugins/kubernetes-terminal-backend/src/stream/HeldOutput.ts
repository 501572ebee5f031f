/**
 * The bytes held for detached sessions across the whole backend: past the cap, a detached session's
 * container is paused as soon as it writes more (its output waits in the cluster, nothing is dropped).
 *
 * @internal
 */
export class OutputBudget {
  private used = 0;

  constructor(readonly capBytes: number) {}

  take(bytes: number) {
    this.used += bytes;
  }

  give(bytes: number) {
    this.used -= bytes;
  }

  get usedBytes(): number {
    return this.used;
  }

  get exhausted(): boolean {
    return this.used >= this.capBytes;
  }
}

/** What a resumed socket is sent: the held output from `from` on. @internal */
export interface HeldSince {
  /** Offset of the first byte of `chunks`. */
  from: number;
  /** Bytes between the asked offset and `from` that were no longer held. */
  missed: number;
  chunks: Buffer[];
  bytes: number;
}

/**
 * A session's output numbered from byte 0, with every byte the browser has not acknowledged held, so
 * that a socket opened after the first was lost can be sent exactly what its terminal lacks: nothing
 * twice, nothing missing. The relay keeps what is held below the acknowledgement window by pausing
 * the container (flow control), so this never grows past about one window and one chunk.
 *
 * @internal
 */
export class HeldOutput {
  private chunks: Buffer[] = [];
  private head = 0;
  /** Offset of `chunks[head]`'s first byte. */
  private start = 0;
  private endOffset = 0;
  private ackedOffset = 0;

  constructor(private readonly budget?: OutputBudget) {}

  /** Offset one past the last byte of output. */
  get end(): number {
    return this.endOffset;
  }

  get acked(): number {
    return this.ackedOffset;
  }

  /** Bytes sent but not acknowledged. */
  get unacked(): number {
    return this.endOffset - this.ackedOffset;
  }

  /** Bytes kept in memory (whole chunks: the first may begin before the acknowledged offset). */
  get heldBytes(): number {
    return this.endOffset - this.start;
  }

  push(data: Buffer) {
    this.chunks.push(data);
    this.endOffset += data.length;
    this.budget?.take(data.length);
  }

  /** The browser processed `bytes` more; a claim past the end counts up to the end. */
  ack(bytes: number) {
    this.ackedOffset = Math.min(this.endOffset, this.ackedOffset + bytes);
    this.dropBefore(this.ackedOffset);
  }

  /**
   * The output from `offset` on, for a resumed socket: `offset` becomes the acknowledged point (the
   * terminal holds everything before it). An offset before what is held starts at what is held, and
   * says how much is missing; one past the end starts at the end.
   */
  since(offset: number): HeldSince {
    const from = Math.min(this.endOffset, Math.max(offset, this.start));
    const missed = Math.max(0, Math.min(this.start, this.endOffset) - offset);
    this.ackedOffset = from;
    this.dropBefore(from);
    const chunks: Buffer[] = [];
    let at = this.start;
    for (let i = this.head; i < this.chunks.length; i++) {
      const chunk = this.chunks[i];
      chunks.push(at < from ? chunk.subarray(from - at) : chunk);
      at += chunk.length;
    }
    return { from, missed, chunks, bytes: this.endOffset - from };
  }

  /** Lets go of everything (the session ended). */
  release() {
    this.budget?.give(this.endOffset - this.start);
    this.chunks = [];
    this.head = 0;
    this.start = this.endOffset;
  }

  private dropBefore(offset: number) {
    let given = 0;
    while (
      this.head < this.chunks.length &&
      this.start + this.chunks[this.head].length <= offset
    ) {
      const length = this.chunks[this.head].length;
      this.start += length;
      given += length;
      this.head++;
    }
    if (given > 0) this.budget?.give(given);
    if (this.head === this.chunks.length) {
      this.chunks = [];
      this.head = 0;
    } else if (this.head > 64 && this.head * 2 > this.chunks.length) {
      this.chunks = this.chunks.slice(this.head);
      this.head = 0;
    }
  }
}
