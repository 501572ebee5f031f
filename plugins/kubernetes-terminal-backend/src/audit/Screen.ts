import type {
  IBufferCell,
  IBufferLine,
  IBufferNamespace,
  Terminal,
} from '@xterm/headless';

/** Room for a prompt in front of the longest command read back. */
const PROMPT_ALLOWANCE = 512;

/** Rows that hold the longest command recorded with its prompt at `cols` columns; as many are kept in scrollback. @internal */
export function readbackRows(maxCommandLength: number, cols: number): number {
  return Math.max(
    100,
    Math.ceil((maxCommandLength + PROMPT_ALLOWANCE) / Math.max(1, cols)) + 1,
  );
}

/** Where a line stands on the screen. @internal */
export interface Region {
  /** Its first row, and the column it begins at there. */
  start: number;
  x: number;
  /** Whether it begins exactly where the line does (rather than at the start of a row with a prompt on it). */
  precise: boolean;
  /** Whether it was found from a known place (where typing began, a prompt) rather than from a row's start. */
  anchored: boolean;
}

/**
 * Reads a headless terminal's screen as a shell's user sees it: rows joined where a line wrapped,
 * the cursor's row counted from the top of the scrollback.
 *
 * @internal
 */
export class Screen {
  private readonly buffers: IBufferNamespace;
  private readonly cell: IBufferCell;

  constructor(
    private readonly terminal: Terminal,
    private readonly maxCommandLength: number,
  ) {
    // Held on to, as each read of terminal.buffer checks the options first.
    this.buffers = terminal.buffer;
    this.cell = this.buffers.normal.getNullCell();
  }

  get alternate(): boolean {
    return this.buffer.type === 'alternate';
  }

  get cursorX(): number {
    return this.buffer.cursorX;
  }

  get cursorRow(): number {
    return this.buffer.baseY + this.buffer.cursorY;
  }

  /** The highest row a line ending at row `end` can begin on. */
  top(end: number): number {
    return Math.max(
      0,
      end - readbackRows(this.maxCommandLength, this.terminal.cols) + 1,
    );
  }

  /** Row y from column `from` up to (not including) column `to`, trailing blanks kept. */
  row(y: number, from = 0, to?: number): string {
    return this.buffer.getLine(y)?.translateToString(false, from, to) ?? '';
  }

  /** From column x of row start to the end of row end (or column endX), joined as shells wrap. */
  text(start: number, x: number, end: number, endX?: number): string {
    let out = '';
    for (let y = start, line = this.buffer.getLine(y); y <= end && line; y++) {
      const next = y < end ? this.buffer.getLine(y + 1) : undefined;
      const joined = next !== undefined && this.continues(y + 1);
      out += line.translateToString(
        !joined,
        y === start ? x : 0,
        y === end ? endX : undefined,
      );
      if (next && !joined) out += '\n';
      line = next;
    }
    return out;
  }

  /** Whether rows start to end are one line, wrapped. */
  joined(start: number, end: number): boolean {
    for (let y = start + 1; y <= end; y++) if (!this.continues(y)) return false;
    return true;
  }

  /** Whether row y carries on the row above: wrapped, or below a full row (a line feed unwraps). */
  continues(y: number): boolean {
    const line = this.buffer.getLine(y);
    const above = this.buffer.getLine(y - 1);
    return !!line && !!above && (line.isWrapped || this.isFull(above));
  }

  /** Whether row y is filled to its last column: a line drawn on to the next row carries on there. */
  full(y: number): boolean {
    const line = this.buffer.getLine(y);
    return !!line && this.isFull(line);
  }

  /** The first row of the line (rows joined as shells wrap) that row `end` is part of. */
  lineStart(end: number): number {
    const top = this.top(end);
    let start = end;
    while (start > top && this.continues(start)) start--;
    return start;
  }

  /** The last character shown on row y, blanks aside. */
  lastChar(y: number): string {
    return (this.buffer.getLine(y)?.translateToString(true) ?? '')
      .trimEnd()
      .slice(-1);
  }

  /**
   * The lowest row from `end` up to `lowest` that starts with `prompt`: where a line editor drew its
   * line last (below a list of completions, after a clear).
   */
  promptRegion(
    end: number,
    prompt: string,
    lowest = this.top(end),
  ): Region | undefined {
    if (!prompt.trim()) return undefined;
    for (let y = end; y >= lowest; y--) {
      if (this.row(y, 0, prompt.length) === prompt)
        return { start: y, x: prompt.length, precise: true, anchored: true };
    }
    return undefined;
  }

  private isFull(line: IBufferLine): boolean {
    return (
      (line.getCell(this.terminal.cols - 1, this.cell)?.getChars() ?? '') !== ''
    );
  }

  private get buffer() {
    return this.buffers.active;
  }
}
