/** Terminal modes that change how the recorder reads the screen, as set by the output so far. */
interface Modes {
  /** A full-screen program (vi, less, top) has switched to the alternate screen. */
  alternate: boolean;
  /** A line editor is reading a line (bracketed-paste mode is on). */
  bracketedPaste: boolean;
  /** A shell has marked when its editor reads (bracketed paste on, or a cursor position query). */
  signalled: boolean;
  asks: number;
}

const ESC = 0x1b;
const LEFT_BRACKET = 0x5b;
const QUESTION_MARK = 0x3f;
const DIGIT_SIX = 0x36;
const LOWER_N = 0x6e;
const ALTERNATE_SCREEN_MODES = new Set([47, 1047, 1049]);
const BRACKETED_PASTE_MODE = 2004;
const MAX_SEQUENCE = 32;
const INITIAL_CAPACITY = 1024;

/**
 * The last bytes of a terminal's output, with the modes in force where they begin: enough to draw the
 * screen again (the prompt and what is above it) without having parsed everything that came before.
 * Holds between `limit` and twice that in one buffer of its own, grown as needed and then reused, so
 * output costs a copy and a scan for ESC, not an allocation per chunk.
 *
 * @internal
 */
export class OutputTail {
  private buffer = new Uint8Array(0);
  private length = 0;
  /** Modes where the kept bytes begin. */
  private start: Modes = {
    alternate: false,
    bracketedPaste: false,
    signalled: false,
    asks: 0,
  };
  /** Modes after the last byte. */
  private readonly end: Modes = {
    alternate: false,
    bracketedPaste: false,
    signalled: false,
    asks: 0,
  };

  constructor(private readonly limit: number) {}

  get alternate(): boolean {
    return this.end.alternate;
  }

  /** Whether a line editor reads a line, by bracketed paste (bash); busybox's is the recorder's to tell. */
  get bracketedPaste(): boolean {
    return this.end.bracketedPaste;
  }

  /** Cursor queries outside the alternate screen so far (busybox asks at each prompt). */
  get asks(): number {
    return this.end.asks;
  }

  /** Sticky: once a shell has marked its editor's reads, it is known to. */
  get signalled(): boolean {
    return this.end.signalled;
  }

  append(data: Uint8Array): void {
    if (data.length >= this.limit) {
      const cut = data.length - this.limit;
      // A sequence across the cut counts before it; its remains hold no ESC to be counted again.
      scanModes(data, this.end, 0, cut);
      this.start = { ...this.end };
      this.length = 0;
      this.push(data.subarray(cut));
      return;
    }
    if (this.length + data.length > 2 * this.limit) this.dropFront();
    this.push(data);
  }

  /** What to write to a fresh terminal to bring it where this output left the screen. */
  replay(): Uint8Array {
    const prefix =
      (this.start.alternate ? '\x1b[?1049h' : '') +
      (this.start.bracketedPaste ? '\x1b[?2004h' : '');
    const head = Buffer.from(prefix, 'latin1');
    const out = new Uint8Array(head.length + this.length);
    out.set(head);
    out.set(this.buffer.subarray(0, this.length), head.length);
    return out;
  }

  private push(data: Uint8Array) {
    scanModes(data, this.end, 0, data.length);
    const needed = this.length + data.length;
    if (needed > this.buffer.length) {
      const grown = new Uint8Array(
        Math.min(
          2 * this.limit,
          Math.max(needed, INITIAL_CAPACITY, 2 * this.buffer.length),
        ),
      );
      grown.set(this.buffer.subarray(0, this.length));
      this.buffer = grown;
    }
    this.buffer.set(data, this.length);
    this.length = needed;
  }

  /** Keeps the last `limit` bytes; the modes where they begin follow from what is dropped. */
  private dropFront() {
    const cut = this.length - this.limit;
    scanModes(this.buffer.subarray(0, this.length), this.start, 0, cut);
    this.buffer.copyWithin(0, cut, this.length);
    this.length -= cut;
  }
}

/**
 * Follows `CSI ? Pm h` / `CSI ? Pm l` for the modes the recorder needs, and `CSI 6 n` (a line
 * editor's cursor query), for sequences that begin in
 * [from, to). A sequence split across two chunks is missed, which at worst makes the recorder skip or
 * misread one command line.
 */
function scanModes(bytes: Uint8Array, modes: Modes, from: number, to: number) {
  // Buffer's indexOf is memchr; a typed array's is a plain loop.
  const data = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
  for (
    let i = data.indexOf(ESC, from);
    i >= 0 && i < to;
    i = data.indexOf(ESC, i + 1)
  ) {
    if (data[i + 1] !== LEFT_BRACKET) continue;
    if (data[i + 2] === DIGIT_SIX && data[i + 3] === LOWER_N) {
      // Full-screen programs (vim) ask too, and turn bracketed paste on: no shell's sign.
      modes.signalled ||= !modes.alternate;
      if (!modes.alternate) modes.asks += 1;
      continue;
    }
    if (data[i + 2] !== QUESTION_MARK) continue;
    let j = i + 3;
    const params: number[] = [];
    let value = 0;
    for (; j < data.length && j < i + MAX_SEQUENCE; j++) {
      const c = data[j];
      if (c >= 0x30 && c <= 0x39) value = value * 10 + (c - 0x30);
      else if (c === 0x3b) {
        params.push(value);
        value = 0;
      } else break;
    }
    const final = data[j];
    if (final !== 0x68 && final !== 0x6c) continue;
    params.push(value);
    const on = final === 0x68;
    for (const param of params) {
      if (ALTERNATE_SCREEN_MODES.has(param)) modes.alternate = on;
      else if (param === BRACKETED_PASTE_MODE) {
        modes.bracketedPaste = on;
        modes.signalled ||= on && !modes.alternate;
      }
    }
    i = j;
  }
}
