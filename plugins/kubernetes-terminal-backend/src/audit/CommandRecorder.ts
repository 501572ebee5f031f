import {
  type IDisposable,
  type Terminal,
  type IBufferCell,
  type IBufferLine,
  type IBufferNamespace,
  type IMarker,
} from '@xterm/headless';
import { CommandListeners, type RecordedCommand } from './CommandListeners';
import { OutputTail } from './OutputTail';

export type { RecordedCommand } from './CommandListeners';
import { TerminalPool, defaultTerminalPool } from './TerminalPool';
import { TypedLine, isComplete, normalize } from './TypedLine';

/** @internal */
export interface CommandRecorderOptions {
  cols: number;
  rows: number;
  /** Longer commands are cut here and end in a truncation marker. Defaults to 4096. */
  maxCommandLength?: number;
  now?: () => Date;
  /** Where terminals are borrowed from while a line is typed. Defaults to one shared by the process. */
  pool?: TerminalPool;
}

/** Output not parsed yet beyond this is dropped by the recorder, never by the stream it watches. */
const MAX_UNPARSED_BYTES = 4 * 1024 * 1024;
/** xterm parses a write in one go; slices let it yield to the event loop in between. */
const SLICE_BYTES = 64 * 1024;
const MAX_QUEUED_LINES = 32;
/** Echo of a line being typed held back from the parser until Enter, at most. */
const MAX_DEFERRED_BYTES = 64 * 1024;
/** Output kept to draw the screen again when typing begins: the prompt and well above it. */
const TAIL_BYTES = 16 * 1024;
/** Room for a prompt in front of the longest command we read back. */
const PROMPT_ALLOWANCE = 512;
const PROMPT_TAIL = /[$#%>]$/;
const PROMPT_HEAD = /^[^\n]{0,120}?[$#%>] /;
const PASTE_START = '\x1b[200~';
const PASTE_END = '\x1b[201~';
/** The terminal's answer to a cursor position query (busybox's line editor asks at every prompt). */
const isCursorReport = (key: string) =>
  key.startsWith('\x1b[') &&
  key.endsWith('R') &&
  /^\d+;\d+$/.test(key.slice(2, -1));
const EMPTY = new Uint8Array(0);
/**
 * Whether a line editor showed `typed` as `shown`: busybox built without Unicode support draws each
 * character it cannot show as `?`.
 */
function shownAs(typed: string, shown: string): boolean {
  if (!shown.includes('?')) return false;
  const a = [...typed];
  const b = [...shown];
  return (
    a.length === b.length &&
    a.some(c => c.codePointAt(0)! > 0xff) &&
    a.every((c, i) => c === b[i] || (b[i] === '?' && c.codePointAt(0)! > 0xff))
  );
}
/** How long lines that may have gone to a command wait for the prompt's editor to echo them. */
const STALE_GRACE_MS = 1000;
interface SubmittedLine {
  /** Output chunks that had arrived when Enter was pressed; only later ones can carry its echo. */
  afterSeq: number;
  predictions: string[];
  /**
   * Sent while a command ran, and not echoed: it went to that command (a password), or waits in the
   * shell's input for the prompt that came now. Kept for that prompt's line only.
   */
  stale?: boolean;
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
 * The terminal exists only while a line is being typed or its echo awaited. In between (an idle
 * prompt, a command's bulk output) the recorder keeps just the tail of the output and the modes in
 * force, and draws that tail into a new terminal at the next key: idle sessions hold no emulator and
 * output nobody is typing against is never parsed.
 *
 * @internal
 */
export class CommandRecorder {
  /** Undefined while dormant. */
  private terminal?: Terminal;
  private handlers: IDisposable[] = [];
  /** Echo of the line being typed, not parsed yet (see `output`). */
  private deferred: Uint8Array[] = [];
  private deferredBytes = 0;
  private deferredSeq = 0;
  private readonly pool: TerminalPool;
  private buffers!: IBufferNamespace;
  private cell!: IBufferCell;
  private readonly tail = new OutputTail(TAIL_BYTES);
  private cols: number;
  private rows: number;
  private readonly maxLength: number;
  private readonly listeners: CommandListeners;
  private readonly flushes = new Set<() => void>();
  private readonly decoder = new TextDecoder();
  private disposed = false;
  /** The tail is being drawn: history, against which no line typed since can be settled. */
  private replaying = false;
  private sleepScheduled = false;
  private staleTimer?: ReturnType<typeof setTimeout>;
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
  /** Busybox's line editor asked where the cursor is: the next line submitted is read by it. */
  private asked = false;
  /** The count of cursor queries parsed when a line was last settled as read by busybox's editor. */
  private asksTaken = 0;
  /**
   * Cursor queries parsed so far (the tail's count at wake, then each one the parser meets): the tail
   * counts output as it arrives, ahead of the parser, so its count may include a prompt still to come.
   */
  private asksParsed = 0;
  private redrawn = false;
  private anchor?: Anchor;
  private prompt = '';
  /** What stood before the cursor when busybox's editor last asked where it is: its prompt's last row. */
  private askedPrompt = '';

  constructor(options: CommandRecorderOptions) {
    this.maxLength = options.maxCommandLength ?? 4096;
    this.listeners = new CommandListeners(
      this.maxLength,
      options.now ?? (() => new Date()),
    );
    this.cols = options.cols;
    this.rows = options.rows;
    this.pool = options.pool ?? defaultTerminalPool;
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
    this.tail.append(data);
    if (this.queue.length === 0 && !this.line) this.sleep();
    if (!this.terminal) return;
    const seq = ++this.seq;
    if (
      this.line &&
      this.queue.length === 0 &&
      this.deferredBytes + data.length <= MAX_DEFERRED_BYTES
    ) {
      // The echo of a line being typed is only read once the line is submitted: parsed then, in one go,
      // rather than a parser run (and a timer) per keystroke.
      this.deferred.push(new Uint8Array(data));
      this.deferredBytes += data.length;
      this.deferredSeq = seq;
      return;
    }
    this.writeDeferred();
    this.feed(data, seq);
  }

  /** Hands output to the terminal; `seq` counts as parsed once it is. */
  private feed(data: Uint8Array, seq: number) {
    const terminal = this.terminal!;
    if (this.unparsed + data.length > MAX_UNPARSED_BYTES) {
      this.lose();
      return;
    }
    this.unparsed += data.length;
    const parsed = () => {
      if (terminal !== this.terminal) return;
      this.parsedSeq = seq;
      this.unparsed -= data.length;
    };
    try {
      for (let offset = 0; offset < data.length; offset += SLICE_BYTES) {
        const end = Math.min(offset + SLICE_BYTES, data.length);
        // Copied, as the caller may reuse its buffer before xterm gets to it.
        const slice = new Uint8Array(data.subarray(offset, end));
        terminal.write(slice, end === data.length ? parsed : undefined);
      }
    } catch {
      parsed();
      this.lose();
    }
  }

  resize(cols: number, rows: number): void {
    if (this.disposed) return;
    this.cols = cols;
    this.rows = rows;
    const terminal = this.terminal;
    if (!terminal) return;
    this.writeDeferred();
    // In turn with the output, which was drawn for the old size up to here.
    terminal.write(EMPTY, () => {
      if (terminal !== this.terminal) return;
      try {
        terminal.resize(cols, rows);
        terminal.options.scrollback = this.rowsFor(cols);
        // Shells redraw their line from where they think it starts, which reflow may have moved.
        this.redrawn = true;
      } catch {
        this.lose();
      }
    });
  }

  onCommand(listener: (command: RecordedCommand) => void): { dispose(): void } {
    return this.listeners.add(listener);
  }

  flush(): Promise<void> {
    return new Promise(resolve => {
      if (this.disposed || !this.terminal) {
        resolve();
        return;
      }
      const done = () => {
        this.flushes.delete(done);
        resolve();
      };
      this.flushes.add(done);
      this.writeDeferred();
      this.terminal.write(EMPTY, done);
    });
  }

  /** Whether a terminal emulator is alive (a line is being typed or its echo awaited). */
  get awake(): boolean {
    return this.terminal !== undefined;
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.listeners.clear();
    this.sleep();
  }

  /** Creates the terminal and draws the tail of the output into it, before any key is looked at. */
  private wake(): Terminal {
    if (this.terminal) return this.terminal;
    const terminal = this.pool.acquire({
      cols: this.cols,
      rows: this.rows,
      scrollback: this.rowsFor(this.cols),
    });
    this.terminal = terminal;
    // Held on to, as each read of terminal.buffer checks the options first.
    this.buffers = terminal.buffer;
    this.cell = this.buffers.normal.getNullCell();
    const live = () => terminal === this.terminal;
    const { parser } = terminal;
    this.handlers = [
      parser.registerCsiHandler({ prefix: '?', final: 'h' }, params => {
        if (live() && params.includes(2004)) this.onEditorStart();
        return false;
      }),
      parser.registerCsiHandler({ prefix: '?', final: 'l' }, params => {
        if (live() && params.includes(2004)) this.onEditorEnd();
        return false;
      }),
      parser.registerCsiHandler({ final: 'n' }, params => {
        if (live() && params[0] === 6) this.onLineEditorAsked();
        return false;
      }),
      parser.registerCsiHandler({ final: 'J' }, params => {
        this.redrawn ||= live() && (params[0] === 2 || params[0] === 3);
        return false;
      }),
      terminal.onLineFeed(() => live() && this.onLineFeed()),
    ];
    // The tail counts as one chunk of output that lines typed from now on come after.
    const seq = ++this.seq;
    this.replaying = true;
    // Kept over sleep as the tail's count: a prompt may have asked while no terminal was there.
    this.asksParsed = this.tail.asks;
    this.asked = this.asksParsed > this.asksTaken;
    // Lines typed from now on come after the shell took its last line, unless its editor reads.
    this.acceptSeq = this.tail.bracketedPaste || this.asked ? Infinity : seq;
    terminal.write(this.tail.replay(), () => {
      if (!live()) return;
      this.replaying = false;
      this.parsedSeq = seq;
    });
    return terminal;
  }

  /** Drops the terminal; the output's tail is all that is kept until typing begins again. */
  private sleep() {
    clearTimeout(this.staleTimer);
    const terminal = this.terminal;
    if (!terminal) return;
    this.terminal = undefined;
    for (const handler of this.handlers) handler.dispose();
    this.handlers = [];
    this.anchor?.marker?.dispose();
    this.anchor = undefined;
    this.editing = false;
    this.redrawn = false;
    this.replaying = false;
    this.sleepScheduled = false;
    this.unparsed = 0;
    this.parsedSeq = this.seq;
    this.deferred = [];
    this.deferredBytes = 0;
    // What it still has queued is parsed without our handlers; then it is reset for the next user. A
    // callback queued before now has run by then, so none reaches us if we get the same one back.
    this.pool.release(terminal);
    for (const done of [...this.flushes]) done();
  }

  private key(key: string) {
    if (isCursorReport(key)) return;
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
      const terminal = this.wake();
      this.line = new TypedLine(this.maxLength);
      if (this.queue.length === 0)
        terminal.write(EMPTY, () => {
          if (terminal === this.terminal) this.onTypingStarted();
        });
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
    this.writeDeferred();
  }

  private writeDeferred() {
    if (this.deferred.length === 0 || !this.terminal) return;
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
    // Lines sent after the shell last took one, and not echoed since, went to what ran in between,
    // or wait in the shell's input and are echoed by this prompt's editor: they are kept for its line
    // only. Those sent after this prompt arrived are simply for it.
    this.markStale();
    this.editing = true;
    this.redrawn = false;
    this.setAnchor('editor', this.buffer.cursorX);
    this.sleepWhenSettled();
  }

  /**
   * Busybox ash (as Debian builds it) asks for the cursor position right after each prompt, before its
   * line editor reads: the signal bash gives with bracketed-paste mode. Its line ends at the line feed.
   */
  private onLineEditorAsked() {
    if (this.alternate()) return;
    const { cursorX } = this.buffer;
    this.askedPrompt =
      this.buffer
        .getLine(this.cursorRow)
        ?.translateToString(false, 0, cursorX) ?? '';
    // The tail's prompts are history: whether one still waits was settled in wake().
    if (this.replaying) return;
    this.asksParsed += 1;
    this.markStale();
    this.asked = true;
    this.setAnchor('typing', cursorX);
    this.sleepWhenSettled();
  }

  /**
   * Lines sent after the shell last took one, and not echoed since, went to what ran in between, or
   * wait in the shell's input and are echoed by this prompt's editor: they are kept for its line only.
   * Those sent after this prompt arrived are simply for it.
   */
  private markStale() {
    if (this.replaying) return;
    this.queue = this.queue.filter(line => !line.stale);
    for (const line of this.queue) {
      if (line.afterSeq >= this.acceptSeq && line.afterSeq <= this.parsedSeq)
        line.stale = true;
    }
  }

  private onEditorEnd() {
    if (!this.editing || this.alternate()) return;
    this.editing = false;
    if (!this.replaying) this.acceptSeq = this.parsedSeq + 1;
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
    this.sleepWhenSettled();
  }

  private onLineFeed() {
    if (this.queue.length === 0 || this.editing || this.alternate()) return;
    const eligible = this.eligible();
    if (eligible === 0) return;
    const end = this.cursorRow - 1;
    if (this.asked) {
      // Busybox's editor said it reads this line: taken from its prompt, as bash's is.
      const region = this.promptRegion(end, this.askedPrompt);
      if (region) {
        this.settle(
          this.text(region.start, region.x, end),
          eligible,
          region,
          true,
        );
        this.onSettled();
        return;
      }
    } else if (this.signalled) {
      // Where a shell says when its editor reads, a line it did not read went to a program (`cat`,
      // `read`, a REPL): never a command, and it stays queued, as the shell may still read it later.
      // Busybox does not ask while input waits (typed ahead, pasted): such a line counts where it
      // stands right after that shell's prompt and is the line that was typed.
      const region = this.promptRegion(end, this.askedPrompt);
      if (
        region &&
        this.joined(region.start, end) &&
        this.settle(
          this.text(region.start, region.x, end),
          eligible,
          region,
          false,
          true,
        )
      )
        this.onSettled();
      return;
    }
    const region = this.lineRegion(end);
    // Most line feeds while a line is pending end other output, which its last character tells.
    const last = this.lastChar(end);
    const mayBeEcho = (line: SubmittedLine, index: number) =>
      index < eligible && line.predictions.some(text => text.endsWith(last));
    if (!region.anchored && !this.queue.some(mayBeEcho)) return;
    const text = this.text(region.start, region.x, end);
    if (this.settle(text, eligible, region, false)) this.onSettled();
  }

  /** After a line feed ended a submitted line. */
  private onSettled() {
    if (this.asked && !this.replaying) {
      this.acceptSeq = this.parsedSeq + 1;
      this.asksTaken = this.asksParsed;
    }
    this.asked = false;
    this.setAnchor('line', 0);
    this.sleepWhenSettled();
  }

  /** The lowest row at or above `end` that starts with `prompt`: where the editor drew its line last. */
  private promptRegion(
    end: number,
    prompt: string,
    lowest = Math.max(0, end - this.rowsFor(this.terminal!.cols) + 1),
  ): Region | undefined {
    if (!prompt.trim()) return undefined;
    for (let y = end; y >= lowest; y--) {
      if (
        this.buffer.getLine(y)?.translateToString(false, 0, prompt.length) ===
        prompt
      )
        return { start: y, x: prompt.length, precise: true, anchored: true };
    }
    return undefined;
  }

  /**
   * Once every submitted line is settled and none is being typed, the terminal is dropped after what
   * it has been given is parsed (not from inside its parser), so an idle session keeps none.
   */
  private sleepWhenSettled() {
    const terminal = this.terminal;
    if (!terminal || this.sleepScheduled || this.line) return;
    if (this.queue.length > 0 && this.queue.every(line => line.stale)) {
      // Such lines are echoed (if at all) right after the prompt; a moment later they are history.
      clearTimeout(this.staleTimer);
      this.staleTimer = setTimeout(() => {
        if (terminal !== this.terminal) return;
        terminal.write(EMPTY, () => {
          if (terminal !== this.terminal || this.line) return;
          this.queue = this.queue.filter(line => !line.stale);
          this.sleepWhenSettled();
        });
      }, STALE_GRACE_MS);
      this.staleTimer.unref?.();
      return;
    }
    if (this.queue.length) return;
    this.sleepScheduled = true;
    terminal.write(EMPTY, () => {
      if (terminal !== this.terminal) return;
      this.sleepScheduled = false;
      if (this.queue.length === 0 && !this.line) this.sleep();
    });
  }

  /** Records the text as the first pending line it can be the echo of; true if a line was used up. */
  private settle(
    raw: string,
    eligible: number,
    region: Region,
    editor: boolean,
    afterPrompt = false,
  ): boolean {
    const text = normalize(raw);
    if (!text) {
      // Nothing shown where typing began: an empty line, or one typed while echo was off.
      if (!editor && !region.precise) return false;
      this.dropStale();
      this.queue.shift();
      return true;
    }
    for (let i = 0; i < eligible; i++) {
      for (const predicted of this.queue[i].predictions) {
        const before = text.slice(0, text.length - predicted.length);
        if (
          predicted === text ||
          shownAs(predicted, text) ||
          (!afterPrompt &&
            predicted &&
            text.endsWith(predicted) &&
            this.isPrompt(before))
        ) {
          this.queue.splice(0, i + 1);
          this.emit(predicted, editor || afterPrompt);
          return true;
        }
      }
    }
    if (afterPrompt) return false;
    // A line editor draws nothing but its line, so that is taken on trust; elsewhere only a line
    // that could not be predicted is, and only where its typing began.
    if (!editor && (this.queue[0].predictions.length > 0 || !region.anchored))
      return false;
    this.dropStale();
    this.queue.shift();
    this.emit(region.precise ? text : this.stripPrompt(text), editor);
    return true;
  }

  /** Before a line is taken on trust: those that may have gone to a command are not it, if another is. */
  private dropStale() {
    const fresh = this.queue.findIndex(line => !line.stale);
    if (fresh > 0) this.queue.splice(0, fresh);
  }

  private editorRegion(end: number): Region {
    const top = Math.max(0, end - this.rowsFor(this.terminal!.cols) + 1);
    const promptLine = this.prompt.slice(this.prompt.lastIndexOf('\n') + 1);
    // After a clear the anchor is no guide; after a list of completions the editor drew its prompt
    // and line again below the list: the line starts at the last prompt.
    const lowest = this.redrawn ? top : Math.max(top, this.anchorRow + 1);
    const redrawn = this.promptRegion(end, promptLine, lowest);
    if (redrawn) return redrawn;
    if (this.anchorRow < top)
      return { start: top, x: 0, precise: false, anchored: false };
    return this.anchorRegion();
  }

  /** The line of output a line feed just ended, from the anchor if that lies on it. */
  private lineRegion(end: number): Region {
    const top = Math.max(0, end - this.rowsFor(this.terminal!.cols) + 1);
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

  /** Whether rows start to end are one line, wrapped. */
  private joined(start: number, end: number): boolean {
    for (let y = start + 1; y <= end; y++) if (!this.continues(y)) return false;
    return true;
  }

  /** Whether row y carries on the row above: wrapped, or below a full row (a line feed unwraps). */
  private continues(y: number): boolean {
    const line = this.buffer.getLine(y);
    const above = this.buffer.getLine(y - 1);
    return !!line && !!above && (line.isWrapped || this.isFull(above));
  }

  private isFull(line: IBufferLine): boolean {
    return (
      (line.getCell(this.terminal!.cols - 1, this.cell)?.getChars() ?? '') !==
      ''
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

  /**
   * A line read by a shell's editor that said so (bash's bracketed paste, busybox's cursor query) is a
   * command. Where no shell of the session has ever said so (dash, bash without bracketed paste), the
   * line is only inferred from its echo and a prompt before it, and is recorded marked uncertain.
   */
  private emit(text: string, certain: boolean) {
    this.listeners.emit(text, !(certain || this.asked));
  }

  /** Whether a shell of this session has said when its editor reads a line. */
  private get signalled(): boolean {
    return this.tail.signalled;
  }

  /** How many pending lines, oldest first, were sent before the output being parsed arrived. */
  private eligible(): number {
    const later = this.queue.findIndex(line => line.afterSeq > this.parsedSeq);
    return later < 0 ? this.queue.length : later;
  }

  private setAnchor(kind: Anchor['kind'], x: number) {
    this.anchor?.marker?.dispose();
    this.anchor = { marker: this.terminal!.registerMarker(0), x, kind };
  }

  /** Forgets what was typed and where, after input or output the recorder could not follow. */
  private lose() {
    this.queue = [];
    this.line = undefined;
    this.escape = '';
    this.pasting = false;
    this.editing = false;
    this.asked = false;
    this.asksTaken = this.asksParsed = Math.max(
      this.asksParsed,
      this.tail.asks,
    );
    this.anchor?.marker?.dispose();
    this.anchor = undefined;
  }

  private alternate(): boolean {
    return this.terminal
      ? this.buffer.type === 'alternate'
      : this.tail.alternate;
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
