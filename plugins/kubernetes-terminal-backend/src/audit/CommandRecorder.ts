import { Terminal, type IBufferLine, type IMarker } from '@xterm/headless';

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

const DEFAULT_MAX_COMMAND_LENGTH = 4096;
const TRUNCATION_MARKER = ' …[truncated]';
/** Output not yet parsed beyond this is dropped by the recorder, never by the stream it watches. */
const MAX_UNPARSED_BYTES = 4 * 1024 * 1024;
/** xterm parses a write in one go; slices let it yield to the event loop between them. */
const SLICE_BYTES = 64 * 1024;
const MAX_QUEUED_LINES = 32;
/** Room for a prompt in front of the longest command we read back. */
const PROMPT_ALLOWANCE = 512;
const PROMPT_TAIL = /[$#%>]$/;
const PROMPT_HEAD = /^[^\n]{0,120}?[$#%>] /;
const PASTE_START = '\x1b[200~';
const PASTE_END = '\x1b[201~';
const EMPTY = new Uint8Array(0);

const HOME = new Set(['\x01', '\x1b[H', '\x1bOH', '\x1b[1~', '\x1b[7~']);
const END = new Set(['\x05', '\x1b[F', '\x1bOF', '\x1b[4~', '\x1b[8~']);
const LEFT = new Set(['\x02', '\x1b[D', '\x1bOD']);
const RIGHT = new Set(['\x06', '\x1b[C', '\x1bOC']);

const normalize = (text: string) =>
  text
    .split('\n')
    .map(line => line.trimEnd())
    .join('\n')
    .trim();

const isPrintable = (key: string) => {
  const code = key.codePointAt(0)!;
  return key[0] !== '\x1b' && code >= 0x20 && code !== 0x7f && (code < 0x80 || code > 0x9f);
};

/** How the kernel echoes a key in canonical mode with ECHOCTL: control characters as `^X`. */
const caret = (key: string) =>
  Array.from(key, c => {
    const code = c.charCodeAt(0);
    if (code === 0x7f) return '^?';
    return code < 0x20 ? `^${String.fromCharCode(code + 0x40)}` : c;
  });

/**
 * One line as the user typed it, replayed as a readline-style editor and as the kernel's canonical mode
 * would show it. The screen is what gets recorded; these predictions only tell an echo from other output,
 * which matters where nothing else marks where a line was typed (dash, busybox, old bash).
 */
class TypedLine {
  private edit: string[] = [];
  private cursor = 0;
  private canon: string[] = [];
  private editKnown = true;
  private canonKnown = true;

  constructor(private readonly limit: number) {}

  type(key: string, pasted: boolean) {
    if (pasted) {
      // Readline inserts a bracketed paste verbatim, its line breaks included, and executes nothing.
      this.canonKnown = false;
      if (key === '\r' || key === '\n') this.insert('\n');
      else if (isPrintable(key)) this.insert(key);
      else this.editKnown = false;
      return;
    }
    if (isPrintable(key)) {
      this.insert(key);
      this.pushCanon([key]);
    } else if (key === '\x7f' || key === '\b') {
      this.cut(this.cursor - 1, this.cursor);
      if (key === '\x7f') this.canon.pop();
      else this.pushCanon(caret(key));
    } else if (key === '\x15') {
      this.cut(0, this.cursor);
      this.canon = [];
    } else if (key === '\x17') {
      let from = this.cursor;
      while (from > 0 && /\s/.test(this.edit[from - 1])) from--;
      while (from > 0 && !/\s/.test(this.edit[from - 1])) from--;
      this.cut(from, this.cursor);
      // Linux's werase: skip anything but letters, digits and `_`, then erase a run of them.
      let word = false;
      while (this.canon.length > 0) {
        const isWord = /^[\p{L}\p{N}_]$/u.test(this.canon[this.canon.length - 1]);
        if (!isWord && word) break;
        word ||= isWord;
        this.canon.pop();
      }
    } else {
      if (HOME.has(key)) this.cursor = 0;
      else if (END.has(key)) this.cursor = this.edit.length;
      else if (LEFT.has(key)) this.cursor = Math.max(0, this.cursor - 1);
      else if (RIGHT.has(key)) this.cursor = Math.min(this.edit.length, this.cursor + 1);
      else if (key === '\x0b') this.cut(this.cursor, this.edit.length);
      else if (key === '\x1b[3~' || (key === '\x04' && this.edit.length > 0)) this.cut(this.cursor, this.cursor + 1);
      else this.editKnown = false;
      if (key === '\t' || key === '\x04' || key === '\x16' || key === '\x12') this.canonKnown = false;
      else this.pushCanon(caret(key));
    }
  }

  /** The echoes this line could have produced; none when it used keys whose effect we cannot know (Tab, history). */
  predictions(): string[] {
    const known = new Set<string>();
    if (this.editKnown) known.add(normalize(this.edit.join('')));
    if (this.canonKnown) known.add(normalize(this.canon.join('')));
    return [...known];
  }

  private insert(char: string) {
    if (this.edit.length >= this.limit) this.editKnown = false;
    else this.edit.splice(this.cursor++, 0, char);
  }

  private cut(from: number, to: number) {
    const start = Math.max(0, from);
    this.edit.splice(start, Math.max(0, Math.min(to, this.edit.length) - start));
    this.cursor = start;
  }

  private pushCanon(chars: string[]) {
    if (this.canon.length + chars.length > this.limit) this.canonKnown = false;
    else this.canon.push(...chars);
  }
}

interface SubmittedLine {
  /** Output chunks received before the Enter; only later output can carry its echo. */
  afterSeq: number;
  predictions: string[];
}

interface Anchor {
  marker?: IMarker;
  x: number;
  /** `prompt`: where the user started typing; `editor`: where a line editor began drawing its prompt; `line`: after a submitted line. */
  kind: 'prompt' | 'editor' | 'line';
}

interface Region {
  start: number;
  x: number;
  precise: boolean;
  /** The region begins where typing began, not at the start of whatever line the output ended. */
  anchored: boolean;
}

/**
 * Works out which commands a user ran in a terminal by following the container's output in a headless
 * terminal, as a screen reader would: a line is recorded as the shell shows it when it is submitted, so line
 * editing, completion and history recall need no modelling, and input the terminal did not echo never appears.
 *
 * Shells whose line editor brackets its work with bracketed-paste mode (bash ≥ 5.1, zsh, fish, anything on
 * readline ≥ 8.1) say exactly when a line is accepted. Elsewhere the line feed that follows an Enter marks it,
 * and the typed keys are replayed to check that what stands on screen is their echo and not other output.
 *
 * @internal
 */
export class CommandRecorder {
  private readonly terminal: Terminal;
  private readonly maxLength: number;
  private readonly now: () => Date;
  private readonly listeners = new Set<(command: RecordedCommand) => void>();
  private readonly flushes = new Set<() => void>();
  private readonly decoder = new TextDecoder();
  private disposed = false;
  // Input side.
  private escape = '';
  private pasting = false;
  private afterCR = false;
  private line?: TypedLine;
  private queue: SubmittedLine[] = [];
  // Output side.
  private seq = 0;
  private parsedSeq = 0;
  private unparsed = 0;
  private acceptSeq = Infinity;
  private editing = false;
  private redrawn = false;
  private anchor?: Anchor;
  private prompt = '';

  constructor(options: CommandRecorderOptions) {
    this.maxLength = options.maxCommandLength ?? DEFAULT_MAX_COMMAND_LENGTH;
    this.now = options.now ?? (() => new Date());
    this.terminal = new Terminal({
      cols: options.cols,
      rows: options.rows,
      scrollback: this.scrollbackFor(options.cols),
      allowProposedApi: true,
    });
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
      if (params[0] === 2 || params[0] === 3) this.redrawn = true;
      return false;
    });
    this.terminal.onLineFeed(() => this.onLineFeed());
  }

  input(data: Uint8Array): void {
    if (this.disposed) return;
    try {
      for (const char of this.decoder.decode(data, { stream: true })) {
        if (this.escape) {
          this.escape += char;
          if (this.escape.length > 32) this.escape = '';
          else if (isComplete(this.escape)) {
            const key = this.escape;
            this.escape = '';
            this.key(key);
          }
        } else if (char === '\x1b') this.escape = char;
        else this.key(char);
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
    const done = () => {
      this.parsedSeq = seq;
      this.unparsed -= data.length;
    };
    try {
      for (let offset = 0; offset < data.length; offset += SLICE_BYTES) {
        const end = Math.min(offset + SLICE_BYTES, data.length);
        // A copy, as the caller may reuse its buffer before xterm gets to it.
        this.terminal.write(new Uint8Array(data.subarray(offset, end)), end === data.length ? done : undefined);
      }
    } catch {
      done();
      this.lose();
    }
  }

  resize(cols: number, rows: number): void {
    if (this.disposed) return;
    // After the output that came before it, as that was drawn for the old size.
    this.terminal.write(EMPTY, () => {
      if (this.disposed) return;
      try {
        this.terminal.resize(cols, rows);
        this.terminal.options.scrollback = this.scrollbackFor(cols);
        // Shells redraw their line after a resize from wherever they think it starts; the anchor may be off.
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
    if (key === PASTE_START || key === PASTE_END) {
      this.pasting = key === PASTE_START;
    } else if (key === '\n' && this.afterCR) {
      this.afterCR = false;
      return;
    }
    this.afterCR = key === '\r';
    if (this.alternate()) {
      // Keys for a full-screen program are not commands; the shell's next line starts afresh.
      this.line = undefined;
      return;
    }
    if (key === '\x03' && !this.pasting) {
      this.line = undefined;
      return;
    }
    if (!this.line) {
      this.line = new TypedLine(this.maxLength);
      if (this.queue.length === 0) {
        // The prompt is whatever stands before the cursor once the output that came before this key is parsed.
        this.terminal.write(EMPTY, () => this.onTypingStarted());
      }
    }
    if (key === PASTE_START || key === PASTE_END) return;
    if (!this.pasting && (key === '\r' || key === '\n')) {
      this.queue.push({ afterSeq: this.seq, predictions: this.line.predictions() });
      if (this.queue.length > MAX_QUEUED_LINES) this.queue.shift();
      this.line = undefined;
      return;
    }
    this.line.type(key, this.pasting);
  }

  private onTypingStarted() {
    if (this.disposed || this.alternate()) return;
    const { cursorX } = this.buffer;
    const row = this.cursorRow;
    if (this.editing) {
      // Kept to find the prompt again where the anchor cannot be trusted: typed-ahead lines, redraws.
      const from = this.anchor?.kind === 'editor' && !this.redrawn ? this.anchor.marker?.line ?? -1 : -1;
      const prompt = normalize(
        from >= 0 && from <= row ? this.text(from, this.anchor!.x, row, cursorX) : this.text(row, 0, row, cursorX),
      );
      if (prompt) this.prompt = prompt;
      this.redrawn = false;
    }
    this.setAnchor('prompt', cursorX);
  }

  private onEditorStart() {
    if (this.alternate()) return;
    // Lines sent after the shell last took one, and not echoed since, went to whatever ran in between.
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
      // Accepting a line moves the cursor below it, so it ends on the row above.
      const end = this.cursorRow - 1;
      const region = this.region(end, true);
      this.settle(region.start > end ? '' : this.text(region.start, region.x, end), eligible, region, true);
    }
    this.setAnchor('line', this.buffer.cursorX);
  }

  private onLineFeed() {
    if (this.queue.length === 0 || this.editing || this.alternate()) return;
    const eligible = this.eligible();
    if (eligible === 0) return;
    const end = this.cursorRow - 1;
    const region = this.region(end, false);
    if (this.settle(this.text(region.start, region.x, end), eligible, region, false)) {
      this.setAnchor('line', 0);
    }
  }

  /** Records the region's text against the first matching submitted line; returns whether a line was used up. */
  private settle(raw: string, eligible: number, region: Region, editor: boolean): boolean {
    const text = normalize(raw);
    if (!text) {
      // Nothing echoed where the user started typing: an empty line, or one typed while echo was off.
      if (!editor && !region.precise) return false;
      this.queue.shift();
      return true;
    }
    for (let i = 0; i < eligible; i++) {
      for (const predicted of this.queue[i].predictions) {
        if (predicted === text || (predicted && text.endsWith(predicted) && this.isPromptLike(text.slice(0, -predicted.length)))) {
          this.queue.splice(0, i + 1);
          this.emit(predicted);
          return true;
        }
      }
    }
    // A line editor only draws what it was given, so its line is taken on trust; elsewhere only a line that
    // could not be predicted is, and only when it begins where the user started typing.
    if (editor || (this.queue[0].predictions.length === 0 && region.anchored)) {
      this.queue.shift();
      this.emit(region.precise ? text : this.stripPrompt(text));
      return true;
    }
    return false;
  }

  private region(end: number, editor: boolean): Region {
    const top = Math.max(0, end - this.rowLimit + 1);
    const anchorRow = this.anchor?.marker?.line ?? -1;
    const precise = this.anchor?.kind === 'prompt';
    if (editor) {
      const promptLine = this.prompt.slice(this.prompt.lastIndexOf('\n') + 1);
      if (this.redrawn && promptLine) {
        for (let y = end; y >= top; y--) {
          if (this.buffer.getLine(y)?.translateToString(false, 0, promptLine.length) === promptLine) {
            return { start: y, x: promptLine.length, precise: true, anchored: true };
          }
        }
      }
      if (anchorRow >= top) return { start: anchorRow, x: this.anchor!.x, precise, anchored: true };
      return { start: top, x: 0, precise: false, anchored: false };
    }
    let start = end;
    while (start > top && start > anchorRow && this.continues(start)) start--;
    if (anchorRow >= start && anchorRow <= end) return { start: anchorRow, x: this.anchor!.x, precise, anchored: true };
    return { start, x: 0, precise: false, anchored: false };
  }

  /** Text from column x of row start to the end of row end (or column endX), rows joined as the shell wrapped them. */
  private text(start: number, x: number, end: number, endX?: number): string {
    let out = '';
    let line = this.buffer.getLine(start);
    for (let y = start; y <= end && line; y++) {
      const next = y < end ? this.buffer.getLine(y + 1) : undefined;
      const joined = next !== undefined && (next.isWrapped || this.isFull(line));
      out += line.translateToString(!joined, y === start ? x : 0, y === end ? endX : undefined);
      if (next && !joined) out += '\n';
      line = next;
    }
    return out;
  }

  /** Whether row y carries on the line above: wrapped, or below a full row (a line feed into a row clears its wrap flag). */
  private continues(y: number): boolean {
    const line = this.buffer.getLine(y);
    const above = this.buffer.getLine(y - 1);
    return !!line && !!above && (line.isWrapped || this.isFull(above));
  }

  private isFull(line: IBufferLine): boolean {
    return (line.getCell(this.terminal.cols - 1)?.getChars() ?? '') !== '';
  }

  private isPromptLike(before: string): boolean {
    const trimmed = before.trimEnd();
    const promptLine = this.prompt.slice(this.prompt.lastIndexOf('\n') + 1);
    return before.endsWith('\n') || PROMPT_TAIL.test(trimmed) || (!!promptLine && trimmed.endsWith(promptLine));
  }

  private stripPrompt(text: string): string {
    if (this.prompt && text.startsWith(this.prompt)) return text.slice(this.prompt.length).trim();
    const match = PROMPT_HEAD.exec(text);
    return match ? text.slice(match[0].length).trim() : text;
  }

  private emit(text: string) {
    if (!text) return;
    const command = text.length > this.maxLength ? `${text.slice(0, this.maxLength)}${TRUNCATION_MARKER}` : text;
    const recorded = { command, at: this.now() };
    for (const listener of [...this.listeners]) {
      try {
        listener(recorded);
      } catch {
        // A failing listener must not stop the parser, nor the listeners after it.
      }
    }
  }

  private eligible(): number {
    const current = this.parsedSeq + 1;
    let count = 0;
    while (count < this.queue.length && this.queue[count].afterSeq < current) count++;
    return count;
  }

  private setAnchor(kind: Anchor['kind'], x: number) {
    this.anchor?.marker?.dispose();
    this.anchor = { marker: this.terminal.registerMarker(0), x, kind };
  }

  /** Forgets what was typed and where, after output or input the recorder could not follow. */
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
    return this.terminal.buffer.active;
  }

  private get cursorRow(): number {
    return this.buffer.baseY + this.buffer.cursorY;
  }

  /** Enough rows to read back the longest command we record, wherever its prompt began. */
  private get rowLimit(): number {
    return Math.ceil((this.maxLength + PROMPT_ALLOWANCE) / Math.max(1, this.terminal.cols)) + 1;
  }

  private scrollbackFor(cols: number): number {
    return Math.max(100, Math.ceil((this.maxLength + PROMPT_ALLOWANCE) / Math.max(1, cols)) + 1);
  }
}

function isComplete(sequence: string): boolean {
  if (sequence.length < 2) return false;
  if (sequence[1] === '[') {
    const last = sequence.charCodeAt(sequence.length - 1);
    return sequence.length > 2 && last >= 0x40 && last <= 0x7e;
  }
  return sequence[1] === 'O' ? sequence.length > 2 : true;
}
