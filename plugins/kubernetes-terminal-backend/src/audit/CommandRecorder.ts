import {
  Terminal,
  type IBufferCell,
  type IBufferLine,
  type IBufferNamespace,
  type IMarker,
} from '@xterm/headless';
import { TypedLine, isComplete, normalize } from './TypedLine';

/** @internal */
export interface RecordedCommand {
  command: string;
  at: Date;
}

/** @internal */
export interface CommandRecorderOptions {
  cols: number;
  rows: number;
  /** Longer commands are cut here and end in a truncation marker. Defaults to 4096. */
  maxCommandLength?: number;
  now?: () => Date;
}

const TRUNCATION_MARKER = ' …[truncated]';
/** Output not parsed yet beyond this is dropped by the recorder, never by the stream it watches. */
const MAX_UNPARSED_BYTES = 4 * 1024 * 1024;
/** xterm parses a write in one go; slices let it yield to the event loop in between. */
const SLICE_BYTES = 64 * 1024;
const MAX_QUEUED_LINES = 32;
/** Room for a prompt in front of the longest command we read back. */
const PROMPT_ALLOWANCE = 512;
const PROMPT_TAIL = /[$#%>]$/;
const PROMPT_HEAD = /^[^\n]{0,120}?[$#%>] /;
const PASTE_START = '\x1b[200~';
const PASTE_END = '\x1b[201~';
const EMPTY = new Uint8Array(0);
interface SubmittedLine {
  /** Output chunks that had arrived when Enter was pressed; only later ones can carry its echo. */
  afterSeq: number;
  predictions: string[];
}

interface Anchor {
  marker?: IMarker;
  x: number;
  /** Where the user began typing, where a line editor began drawing, or below a submitted line. */
  kind: 'typing' | 'editor' | 'line';
}

interface Region {
  start: number;
  x: number;
  precise: boolean;
  /** Whether it starts at the anchor rather than at the start of the last line of output. */
  anchored: boolean;
}

/**
 * Works out which commands a user ran by following the container's output in a headless terminal:
 * a line is recorded as the terminal shows it when it is submitted, so line editing, completion and
 * history recall need no modelling, and what the terminal does not echo (passwords) is never seen.
 *
 * Line editors that turn bracketed-paste mode on while they read a line (bash ≥ 5.1, zsh, fish,
 * readline ≥ 8.1) tell exactly when a line is taken. Elsewhere the line feed after an Enter marks
 * it, and the typed keys, replayed, tell its echo from other output.
 *
 * @internal
 */
export class CommandRecorder {
  private readonly terminal: Terminal;
  private readonly buffers: IBufferNamespace;
  private readonly cell: IBufferCell;
  private readonly maxLength: number;
  private readonly now: () => Date;
  private readonly listeners = new Set<(command: RecordedCommand) => void>();
  private readonly flushes = new Set<() => void>();
  private readonly decoder = new TextDecoder();
  private disposed = false;
  // What was typed.
  private escape = '';
  private pasting = false;
  private afterCR = false;
  private line?: TypedLine;
  private queue: SubmittedLine[] = [];
  // What the output showed.
  private seq = 0;
  private parsedSeq = 0;
  private unparsed = 0;
  private acceptSeq = Infinity;
  private editing = false;
  private redrawn = false;
  private anchor?: Anchor;
  private prompt = '';

  constructor(options: CommandRecorderOptions) {
    this.maxLength = options.maxCommandLength ?? 4096;
    this.now = options.now ?? (() => new Date());
    // The headless build counts buffer, parser and markers as proposed API.
    this.terminal = new Terminal({
      cols: options.cols,
      rows: options.rows,
      scrollback: this.rowsFor(options.cols),
      allowProposedApi: true,
    });
    // Held on to, as each read of terminal.buffer checks the options first.
    this.buffers = this.terminal.buffer;
    this.cell = this.buffers.normal.getNullCell();
    const { parser } = this.terminal;
    parser.registerCsiHandler({ prefix: '?', final: 'h' }, params => {
      if (params.includes(2004)) this.onEditorStart();
      return false;
    });
    parser.registerCsiHandler({ prefix: '?', final: 'l' }, params => {
      if (params.includes(2004)) this.onEditorEnd();
      return false;
    });
    parser.registerCsiHandler({ final: 'J' }, params => {
      this.redrawn ||= params[0] === 2 || params[0] === 3;
      return false;
    });
    this.terminal.onLineFeed(() => this.onLineFeed());
  }

  input(data: Uint8Array): void {
    if (this.disposed) return;
    try {
      for (const char of this.decoder.decode(data, { stream: true })) {
        if (!this.escape && char !== '\x1b') {
          this.key(char);
          continue;
        }
        this.escape += char;
        if (this.escape.length > 32) this.escape = '';
        else if (isComplete(this.escape)) {
          const key = this.escape;
          this.escape = '';
          this.key(key);
        }
      }
    } catch {
      this.lose();
    }
  }

  output(data: Uint8Array): void {
    if (this.disposed || data.length === 0) return;
    const seq = ++this.seq;
    if (this.unparsed + data.length > MAX_UNPARSED_BYTES) {
      this.lose();
      return;
    }
    this.unparsed += data.length;
    const parsed = () => {
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
      this.lose();
    }
  }

  resize(cols: number, rows: number): void {
    if (this.disposed) return;
    // In turn with the output, which was drawn for the old size up to here.
    this.terminal.write(EMPTY, () => {
      if (this.disposed) return;
      try {
        this.terminal.resize(cols, rows);
        this.terminal.options.scrollback = this.rowsFor(cols);
        // Shells redraw their line from where they think it starts, which reflow may have moved.
        this.redrawn = true;
      } catch {
        this.lose();
      }
    });
  }

  onCommand(listener: (command: RecordedCommand) => void): { dispose(): void } {
    this.listeners.add(listener);
    return { dispose: () => this.listeners.delete(listener) };
  }

  flush(): Promise<void> {
    return new Promise(resolve => {
      if (this.disposed) {
        resolve();
        return;
      }
      const done = () => {
        this.flushes.delete(done);
        resolve();
      };
      this.flushes.add(done);
      this.terminal.write(EMPTY, done);
    });
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.listeners.clear();
    this.terminal.dispose();
    for (const done of [...this.flushes]) done();
  }

  private key(key: string) {
    if (key === '\n' && this.afterCR) {
      this.afterCR = false;
      return;
    }
    this.afterCR = key === '\r';
    const paste = key === PASTE_START || key === PASTE_END;
    if (paste) this.pasting = key === PASTE_START;
    if (this.alternate() || (key === '\x03' && !this.pasting)) {
      // Keys for a full-screen program are no command, and Ctrl-C abandons the line.
      this.line = undefined;
      return;
    }
    if (!this.line) {
      this.line = new TypedLine(this.maxLength);
      if (this.queue.length === 0)
        this.terminal.write(EMPTY, () => this.onTypingStarted());
    }
    if (paste) return;
    if (this.pasting || (key !== '\r' && key !== '\n')) {
      this.line.type(key, this.pasting);
      return;
    }
    this.queue.push({
      afterSeq: this.seq,
      predictions: this.line.predictions(),
    });
    if (this.queue.length > MAX_QUEUED_LINES) this.queue.shift();
    this.line = undefined;
  }

  /** Runs once the output that came before a line's first key is parsed: typing begins here. */
  private onTypingStarted() {
    if (this.disposed || this.alternate()) return;
    const { cursorX } = this.buffer;
    const row = this.cursorRow;
    if (this.editing) {
      // Kept to find the prompt where the anchor is no guide: lines typed ahead, redraws.
      const editorRow =
        this.anchor?.kind === 'editor' && !this.redrawn ? this.anchorRow : -1;
      const prompt = normalize(
        editorRow >= 0 && editorRow <= row
          ? this.text(editorRow, this.anchor!.x, row, cursorX)
          : this.text(row, 0, row, cursorX),
      );
      if (prompt) this.prompt = prompt;
      this.redrawn = false;
    }
    this.setAnchor('typing', cursorX);
  }

  private onEditorStart() {
    if (this.alternate()) return;
    // Lines sent after the shell last took one, and not echoed since, went to what ran in between.
    this.queue = this.queue.filter(line => line.afterSeq < this.acceptSeq);
    this.editing = true;
    this.redrawn = false;
    this.setAnchor('editor', this.buffer.cursorX);
  }

  private onEditorEnd() {
    if (!this.editing || this.alternate()) return;
    this.editing = false;
    this.acceptSeq = this.parsedSeq + 1;
    const eligible = this.eligible();
    if (eligible > 0) {
      // Bash moves to a new row before it leaves the mode; editors that leave it first have not yet.
      const end = this.cursorRow - (this.buffer.cursorX === 0 ? 1 : 0);
      const region = this.editorRegion(end);
      const text =
        region.start > end ? '' : this.text(region.start, region.x, end);
      this.settle(text, eligible, region, true);
    }
    this.setAnchor('line', this.buffer.cursorX);
  }

  private onLineFeed() {
    if (this.queue.length === 0 || this.editing || this.alternate()) return;
    const eligible = this.eligible();
    if (eligible === 0) return;
    const end = this.cursorRow - 1;
    const region = this.lineRegion(end);
    // Most line feeds while a line is pending end other output, which its last character tells.
    const last = this.lastChar(end);
    const mayBeEcho = (line: SubmittedLine, index: number) =>
      index < eligible && line.predictions.some(text => text.endsWith(last));
    if (!region.anchored && !this.queue.some(mayBeEcho)) return;
    const text = this.text(region.start, region.x, end);
    if (this.settle(text, eligible, region, false)) this.setAnchor('line', 0);
  }

  /** Records the text as the first pending line it can be the echo of; true if a line was used up. */
  private settle(
    raw: string,
    eligible: number,
    region: Region,
    editor: boolean,
  ): boolean {
    const text = normalize(raw);
    if (!text) {
      // Nothing shown where typing began: an empty line, or one typed while echo was off.
      if (!editor && !region.precise) return false;
      this.queue.shift();
      return true;
    }
    for (let i = 0; i < eligible; i++) {
      for (const predicted of this.queue[i].predictions) {
        const before = text.slice(0, text.length - predicted.length);
        if (
          predicted === text ||
          (predicted && text.endsWith(predicted) && this.isPrompt(before))
        ) {
          this.queue.splice(0, i + 1);
          this.emit(predicted);
          return true;
        }
      }
    }
    // A line editor draws nothing but its line, so that is taken on trust; elsewhere only a line
    // that could not be predicted is, and only where its typing began.
    if (!editor && (this.queue[0].predictions.length > 0 || !region.anchored))
      return false;
    this.queue.shift();
    this.emit(region.precise ? text : this.stripPrompt(text));
    return true;
  }

  private editorRegion(end: number): Region {
    const top = Math.max(0, end - this.rowsFor(this.terminal.cols) + 1);
    const promptLine = this.prompt.slice(this.prompt.lastIndexOf('\n') + 1);
    for (let y = end; this.redrawn && promptLine && y >= top; y--) {
      const line = this.buffer.getLine(y);
      if (line?.translateToString(false, 0, promptLine.length) === promptLine) {
        return {
          start: y,
          x: promptLine.length,
          precise: true,
          anchored: true,
        };
      }
    }
    if (this.anchorRow < top)
      return { start: top, x: 0, precise: false, anchored: false };
    return this.anchorRegion();
  }

  /** The line of output a line feed just ended, from the anchor if that lies on it. */
  private lineRegion(end: number): Region {
    const top = Math.max(0, end - this.rowsFor(this.terminal.cols) + 1);
    let start = end;
    while (start > top && start > this.anchorRow && this.continues(start))
      start--;
    if (this.anchorRow < start || this.anchorRow > end) {
      return { start, x: 0, precise: false, anchored: false };
    }
    return this.anchorRegion();
  }

  private anchorRegion(): Region {
    const { x, kind } = this.anchor!;
    return {
      start: this.anchorRow,
      x,
      precise: kind === 'typing',
      anchored: true,
    };
  }

  /** From column x of row start to the end of row end (or column endX), joined as shells wrap. */
  private text(start: number, x: number, end: number, endX?: number): string {
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

  /** Whether row y carries on the row above: wrapped, or below a full row (a line feed unwraps). */
  private continues(y: number): boolean {
    const line = this.buffer.getLine(y);
    const above = this.buffer.getLine(y - 1);
    return !!line && !!above && (line.isWrapped || this.isFull(above));
  }

  private isFull(line: IBufferLine): boolean {
    return (
      (line.getCell(this.terminal.cols - 1, this.cell)?.getChars() ?? '') !== ''
    );
  }

  private lastChar(y: number): string {
    return (this.buffer.getLine(y)?.translateToString(true) ?? '')
      .trimEnd()
      .slice(-1);
  }

  private isPrompt(text: string): boolean {
    const trimmed = text.trimEnd();
    const promptLine = this.prompt.slice(this.prompt.lastIndexOf('\n') + 1);
    return (
      text.endsWith('\n') ||
      PROMPT_TAIL.test(trimmed) ||
      (!!promptLine && trimmed.endsWith(promptLine))
    );
  }

  private stripPrompt(text: string): string {
    if (this.prompt && text.startsWith(this.prompt))
      return text.slice(this.prompt.length).trim();
    const match = PROMPT_HEAD.exec(text);
    return match ? text.slice(match[0].length).trim() : text;
  }

  private emit(text: string) {
    if (!text) return;
    const command =
      text.length > this.maxLength
        ? `${text.slice(0, this.maxLength)}${TRUNCATION_MARKER}`
        : text;
    const recorded = { command, at: this.now() };
    for (const listener of [...this.listeners]) {
      try {
        listener(recorded);
      } catch {
        // A failing listener must stop neither the parser nor the listeners after it.
      }
    }
  }

  /** How many pending lines, oldest first, were sent before the output being parsed arrived. */
  private eligible(): number {
    const later = this.queue.findIndex(line => line.afterSeq > this.parsedSeq);
    return later < 0 ? this.queue.length : later;
  }

  private setAnchor(kind: Anchor['kind'], x: number) {
    this.anchor?.marker?.dispose();
    this.anchor = { marker: this.terminal.registerMarker(0), x, kind };
  }

  /** Forgets what was typed and where, after input or output the recorder could not follow. */
  private lose() {
    this.queue = [];
    this.line = undefined;
    this.escape = '';
    this.pasting = false;
    this.editing = false;
    this.anchor?.marker?.dispose();
    this.anchor = undefined;
  }

  private alternate(): boolean {
    return this.buffer.type === 'alternate';
  }

  private get buffer() {
    return this.buffers.active;
  }

  private get cursorRow(): number {
    return this.buffer.baseY + this.buffer.cursorY;
  }

  /** -1 once the anchor's row has left the scrollback, or if there is none. */
  private get anchorRow(): number {
    return this.anchor?.marker?.line ?? -1;
  }

  /** Rows to read back the longest command we record with its prompt; as many kept in scrollback. */
  private rowsFor(cols: number): number {
    return Math.max(
      100,
      Math.ceil((this.maxLength + PROMPT_ALLOWANCE) / Math.max(1, cols)) + 1,
    );
  }
}
