import type { IDisposable, IMarker, Terminal } from '@xterm/headless';
import type { CommandCapture, RecordedCommand } from './CommandCapture';
import { CommandListeners } from './CommandListeners';
import { KeyDecoder, type Key } from './KeyDecoder';
import { OutputFeed } from './OutputFeed';
import { OutputTail } from './OutputTail';
import { Screen, readbackRows, type Region } from './Screen';
import { Prompt, SubmittedLines } from './SubmittedLines';
import { TerminalPool, defaultTerminalPool } from './TerminalPool';
import { TypedLine, normalize } from './TypedLine';

export type { RecordedCommand } from './CommandCapture';

/** @internal */
export interface CommandRecorderOptions {
  cols: number;
  rows: number;
  /** Longer commands are cut here and end in a truncation marker. Defaults to 4096. */
  maxCommandLength?: number;
  now?: () => Date;
  /** Where terminals are borrowed from while a line is typed. Defaults to one shared by the process. */
  pool?: TerminalPool;
  /**
   * How long the terminal is kept after a line is settled, parsing what comes (up to the tail's size),
   * for the next line typed. Defaults to 10 s.
   */
  lingerMs?: number;
}

/** Output kept to draw the screen again when typing begins: the prompt and well above it. */
const TAIL_BYTES = 16 * 1024;
/** How long lines that may have gone to a command wait for the prompt's editor to echo them. */
const STALE_GRACE_MS = 1000;
const LINGER_MS = 10_000;
const EMPTY = new Uint8Array(0);

interface Anchor {
  marker?: IMarker;
  x: number;
  /** Where the user began typing, where a line editor began drawing, or below a submitted line. */
  kind: 'typing' | 'editor' | 'line';
}

/**
 * The recorder while a line is typed or its echo awaited: a terminal and what it has shown. All of it
 * is dropped when the recorder sleeps; wake() builds it again from the output's tail.
 */
interface Awake {
  readonly terminal: Terminal;
  readonly screen: Screen;
  readonly feed: OutputFeed;
  readonly handlers: IDisposable[];
  /** The tail is being drawn: history, against which no line typed since can be settled. */
  replaying: boolean;
  anchor?: Anchor;
  /** A line editor that marks its reads with bracketed paste (bash) is reading a line. */
  editing: boolean;
  /**
   * Whether the prompt in front of the line that editor reads is the shell's (see Prompt.isShells);
   * unknown for a line typed before the editor began.
   */
  atShellPrompt?: boolean;
  /** Busybox's line editor asked where the cursor is: the next line submitted is read by it. */
  asked: boolean;
  /**
   * Cursor queries parsed so far (the tail's count at wake, then each one the parser meets): the tail
   * counts output as it arrives, ahead of the parser, so its count may include a prompt still to come.
   */
  asksParsed: number;
  /** Lines sent after this chunk of output are for the shell's editor; earlier ones may have gone to a command. */
  acceptSeq: number;
  /** The screen was cleared or reflowed: where typing began is no guide to where the line is. */
  redrawn: boolean;
  sleepScheduled: boolean;
  staleTimer?: ReturnType<typeof setTimeout>;
  /**
   * Every line is settled and none is typed: the terminal is kept for the next one, parsing the output
   * that comes (this many bytes so far), as that costs less than drawing the tail again at the next key.
   */
  lingering?: { bytes: number; timer: ReturnType<typeof setTimeout> };
}

/**
 * Works out which commands a user ran by following the container's output in a headless terminal:
 * a line is recorded as the terminal shows it when it is submitted, so line editing, completion and
 * history recall need no modelling, and what the terminal does not echo (passwords) is never seen.
 *
 * Line editors that turn bracketed-paste mode on while they read a line (bash ≥ 5.1, zsh, fish,
 * readline ≥ 8.1) tell exactly when a line is taken; busybox's asks where the cursor is before it
 * reads, and its line ends at the line feed. Elsewhere the line feed after an Enter marks it, and the
 * typed keys, replayed, tell its echo from other output.
 *
 * The terminal exists only while a line is being typed or its echo awaited. In between (an idle
 * prompt, a command's bulk output) the recorder keeps just the tail of the output and the modes in
 * force, and draws that tail into a new terminal at the next key: idle sessions hold no emulator and
 * output nobody is typing against is never parsed.
 *
 * The parts: `KeyDecoder` (keys from input), `TypedLine` (what keys would show), `SubmittedLines`
 * (lines sent and not yet found, and how one is found), `OutputTail` (output kept while asleep),
 * `OutputFeed` (output handed to the parser, in counted chunks), `Screen` (reading rows), and
 * `CommandListeners`.
 *
 * @internal
 */
export class CommandRecorder implements CommandCapture {
  private readonly pool: TerminalPool;
  private readonly maxLength: number;
  private readonly lingerMs: number;
  private readonly listeners: CommandListeners;
  private readonly keys = new KeyDecoder();
  private readonly tail = new OutputTail(TAIL_BYTES);
  private readonly lines = new SubmittedLines();
  private readonly prompt = new Prompt();
  private readonly flushes = new Set<() => void>();
  private cols: number;
  private rows: number;
  private disposed = false;
  /** Undefined while asleep. */
  private state?: Awake;
  /** The line being typed. */
  private line?: TypedLine;
  /** Chunks of output handed to the terminals so far (the tail drawn at a wake counts as one). */
  private seq = 0;
  /** The count of cursor queries parsed when a line was last settled as read by busybox's editor. */
  private asksTaken = 0;
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
    this.lingerMs = options.lingerMs ?? LINGER_MS;
  }

  input(data: Uint8Array): void {
    if (this.disposed) return;
    try {
      this.keys.decode(data, key => this.key(key));
    } catch {
      this.lose();
    }
  }

  output(data: Uint8Array): void {
    if (this.disposed || data.length === 0) return;
    this.tail.append(data);
    if (this.lines.length === 0 && !this.line && !this.lingerOver(data))
      this.sleep();
    const a = this.state;
    if (!a) return;
    const seq = ++this.seq;
    // The echo of a line being typed is only read once the line is submitted: parsed then, in one go,
    // rather than a parser run (and a timer) per keystroke.
    if (this.line && this.lines.length === 0 && a.feed.defer(data, seq)) return;
    a.feed.write(data, seq);
  }

  resize(cols: number, rows: number): void {
    if (this.disposed) return;
    this.cols = cols;
    this.rows = rows;
    const a = this.state;
    if (!a) return;
    // In turn with the output, which was drawn for the old size up to here.
    a.feed.afterParsed(() => {
      if (a !== this.state) return;
      try {
        a.terminal.resize(cols, rows);
        a.terminal.options.scrollback = readbackRows(this.maxLength, cols);
        // Shells redraw their line from where they think it starts, which reflow may have moved.
        a.redrawn = true;
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
      const a = this.state;
      if (this.disposed || !a) {
        resolve();
        return;
      }
      const done = () => {
        this.flushes.delete(done);
        resolve();
      };
      this.flushes.add(done);
      a.feed.afterParsed(done);
    });
  }

  /** Whether a terminal emulator is alive (a line is being typed or its echo awaited). */
  get awake(): boolean {
    return this.state !== undefined;
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.listeners.clear();
    this.sleep();
  }

  /** Borrows a terminal and draws the tail of the output into it, before any key is looked at. */
  private wake(): Awake {
    if (this.state) return this.state;
    const terminal = this.pool.acquire({
      cols: this.cols,
      rows: this.rows,
      scrollback: readbackRows(this.maxLength, this.cols),
    });
    const handlers: IDisposable[] = [];
    const asksParsed = this.tail.asks;
    const asked = asksParsed > this.asksTaken;
    // The tail counts as one chunk of output that lines typed from now on come after.
    const seq = ++this.seq;
    const a: Awake = {
      terminal,
      screen: new Screen(terminal, this.maxLength),
      feed: new OutputFeed(terminal, seq - 1, () => this.lose()),
      handlers,
      replaying: true,
      editing: false,
      // Kept over sleep as the tail's count: a prompt may have asked while no terminal was there.
      asked,
      asksParsed,
      // Lines typed from now on come after the shell took its last line, unless its editor reads.
      acceptSeq: this.tail.bracketedPaste || asked ? Infinity : seq,
      redrawn: false,
      sleepScheduled: false,
    };
    this.state = a;
    const live = () => a === this.state;
    const { parser } = terminal;
    handlers.push(
      parser.registerCsiHandler({ prefix: '?', final: 'h' }, params => {
        if (live() && params.includes(2004)) this.onEditorStart(a);
        return false;
      }),
      parser.registerCsiHandler({ prefix: '?', final: 'l' }, params => {
        if (live() && params.includes(2004)) this.onEditorEnd(a);
        return false;
      }),
      parser.registerCsiHandler({ final: 'n' }, params => {
        if (live() && params[0] === 6) this.onLineEditorAsked(a);
        return false;
      }),
      parser.registerCsiHandler({ final: 'J' }, params => {
        a.redrawn ||= live() && (params[0] === 2 || params[0] === 3);
        return false;
      }),
      terminal.onLineFeed(() => live() && this.onLineFeed(a)),
    );
    terminal.write(this.tail.replay(), () => {
      if (!live()) return;
      a.replaying = false;
      a.feed.parsedSeq = seq;
    });
    return a;
  }

  /** Whether the terminal is kept for the next line and `data` is parsed while it waits for it. */
  private lingerOver(data: Uint8Array): boolean {
    const lingering = this.state?.lingering;
    // A full-screen program's output is no line's: its keys are known to be none from the tail alone.
    if (
      !lingering ||
      this.tail.alternate ||
      lingering.bytes + data.length > TAIL_BYTES
    )
      return false;
    lingering.bytes += data.length;
    return true;
  }

  /**
   * Every line is settled: the terminal is kept a while for the next one. Parsing what comes meanwhile
   * (at most the tail's size) costs less than drawing the whole tail into a terminal at the next key.
   */
  private linger(a: Awake) {
    if (a.lingering) return;
    const timer = setTimeout(() => {
      if (a !== this.state || a.lingering?.timer !== timer) return;
      a.sleepScheduled = true;
      a.feed.afterParsed(() => {
        if (a !== this.state) return;
        a.sleepScheduled = false;
        if (a.lingering?.timer === timer) this.sleep();
      });
    }, this.lingerMs);
    timer.unref?.();
    a.lingering = { bytes: 0, timer };
  }

  /** Drops the terminal; the output's tail is all that is kept until typing begins again. */
  private sleep() {
    const a = this.state;
    if (!a) return;
    this.state = undefined;
    clearTimeout(a.staleTimer);
    clearTimeout(a.lingering?.timer);
    for (const handler of a.handlers) handler.dispose();
    a.anchor?.marker?.dispose();
    a.feed.close();
    // What it still has queued is parsed without our handlers; then it is reset for the next user. A
    // callback queued before now has run by then, so none reaches us if we get the same one back.
    this.pool.release(a.terminal);
    for (const done of [...this.flushes]) done();
  }

  private key({ key, pasting, paste }: Key) {
    if (this.alternate() || (key === '\x03' && !pasting)) {
      // Keys for a full-screen program are no command, and Ctrl-C abandons the line.
      this.line = undefined;
      return;
    }
    if (!this.line) {
      const a = this.wake();
      clearTimeout(a.lingering?.timer);
      a.lingering = undefined;
      this.line = new TypedLine(this.maxLength);
      if (this.lines.length === 0)
        a.terminal.write(EMPTY, () => {
          if (a === this.state) this.onTypingStarted(a);
        });
    }
    if (paste) return;
    if (pasting || (key !== '\r' && key !== '\n')) {
      this.line.type(key, pasting);
      return;
    }
    this.lines.submit(this.seq, this.line.predictions());
    this.line = undefined;
    this.state?.feed.release();
  }

  /** Runs once the output that came before a line's first key is parsed: typing begins here. */
  private onTypingStarted(a: Awake) {
    if (this.disposed || a.screen.alternate) return;
    const { cursorX, cursorRow: row } = a.screen;
    if (a.editing) {
      // Kept to find the prompt where the anchor is no guide: lines typed ahead, redraws.
      const editorRow =
        a.anchor?.kind === 'editor' && !a.redrawn ? this.anchorRow(a) : -1;
      const prompt = normalize(
        editorRow >= 0 && editorRow <= row
          ? a.screen.text(editorRow, a.anchor!.x, row, cursorX)
          : a.screen.text(row, 0, row, cursorX),
      );
      if (prompt) this.prompt.text = prompt;
      a.atShellPrompt = this.prompt.isShells(prompt);
      a.redrawn = false;
    }
    this.setAnchor(a, 'typing', cursorX);
  }

  private onEditorStart(a: Awake) {
    if (a.screen.alternate) return;
    this.markStale(a);
    a.editing = true;
    a.atShellPrompt = undefined;
    a.redrawn = false;
    this.setAnchor(a, 'editor', a.screen.cursorX);
    this.sleepWhenSettled(a);
  }

  /**
   * Busybox ash (as Debian builds it) asks for the cursor position right after each prompt, before its
   * line editor reads: the signal bash gives with bracketed-paste mode. Its line ends at the line feed.
   */
  private onLineEditorAsked(a: Awake) {
    if (a.screen.alternate) return;
    const { cursorX } = a.screen;
    this.askedPrompt = a.screen.row(a.screen.cursorRow, 0, cursorX);
    // The tail's prompts are history: whether one still waits was settled in wake().
    if (a.replaying) return;
    a.asksParsed += 1;
    this.markStale(a);
    a.asked = true;
    this.setAnchor(a, 'typing', cursorX);
    this.sleepWhenSettled(a);
  }

  /** A prompt came: lines sent before it that it has not read are kept for its line only. */
  private markStale(a: Awake) {
    if (!a.replaying) this.lines.markStale(a.acceptSeq, a.feed.parsedSeq);
  }

  private onEditorEnd(a: Awake) {
    if (!a.editing || a.screen.alternate) return;
    a.editing = false;
    if (!a.replaying) a.acceptSeq = a.feed.parsedSeq + 1;
    const eligible = this.lines.eligible(a.feed.parsedSeq);
    if (eligible > 0) {
      // Bash moves to a new row before it leaves the mode; editors that leave it first have not yet.
      const end = a.screen.cursorRow - (a.screen.cursorX === 0 ? 1 : 0);
      const region = this.editorRegion(a, end);
      const text =
        region.start > end ? '' : a.screen.text(region.start, region.x, end);
      // A line read at a prompt unlike the shell's (bash's `read -e`) is recorded marked uncertain.
      this.settle(
        a,
        text,
        eligible,
        region,
        'editor',
        a.atShellPrompt === false,
      );
    }
    this.setAnchor(a, 'line', a.screen.cursorX);
    this.sleepWhenSettled(a);
  }

  private onLineFeed(a: Awake) {
    if (this.lines.length === 0 || a.editing || a.screen.alternate) return;
    const eligible = this.lines.eligible(a.feed.parsedSeq);
    if (eligible === 0) return;
    const { screen } = a;
    const end = screen.cursorRow - 1;
    // Busybox moves down a row with a line feed where its line fills a row, while drawing the line
    // and when it moves to the line's end at Enter: the line goes on below.
    const busyboxWrap = screen.full(end);
    if (a.asked) {
      if (busyboxWrap) return;
      // Busybox's editor said it reads this line: taken from its prompt, as bash's is.
      const region = screen.promptRegion(end, this.askedPrompt);
      if (region) {
        const text = screen.text(region.start, region.x, end);
        this.settle(a, text, eligible, region, 'editor');
        this.onSettled(a);
        return;
      }
      // After a resize busybox draws its prompt again, wrapped at the new width, without asking: the
      // row it asked on is part of the prompt's line still, if no longer at a row's start.
      const start = screen.lineStart(end);
      const line = screen.text(start, 0, end);
      const at = line.indexOf(this.askedPrompt);
      if (this.askedPrompt.trim() && at >= 0) {
        const whole = { start, x: 0, precise: true, anchored: true };
        const text = line.slice(at + this.askedPrompt.length);
        this.settle(a, text, eligible, whole, 'editor');
        this.onSettled(a);
        return;
      }
    } else if (this.tail.signalled) {
      if (busyboxWrap) return;
      // Where a shell says when its editor reads, a line it did not read went to a program (`cat`,
      // `read`, a REPL): never a command, and it stays queued, as the shell may still read it later.
      // Busybox does not ask while input waits (typed ahead, pasted): such a line counts where it
      // stands right after that shell's prompt and is the line that was typed.
      const region = screen.promptRegion(end, this.askedPrompt);
      if (
        region &&
        screen.joined(region.start, end) &&
        this.settle(
          a,
          screen.text(region.start, region.x, end),
          eligible,
          region,
          'after-prompt',
        )
      )
        this.onSettled(a);
      return;
    }
    const region = this.lineRegion(a, end);
    // Most line feeds while a line is pending end other output, which its last character tells.
    if (
      !region.anchored &&
      !this.lines.mayEndWith(screen.lastChar(end), eligible)
    )
      return;
    const text = screen.text(region.start, region.x, end);
    if (this.settle(a, text, eligible, region, 'echo')) this.onSettled(a);
  }

  /** After a line feed ended a submitted line. */
  private onSettled(a: Awake) {
    if (a.asked && !a.replaying) {
      a.acceptSeq = a.feed.parsedSeq + 1;
      this.asksTaken = a.asksParsed;
    }
    a.asked = false;
    this.setAnchor(a, 'line', 0);
    this.sleepWhenSettled(a);
  }

  /**
   * Once every submitted line is settled and none is being typed, the terminal is dropped after what
   * it has been given is parsed (not from inside its parser), so an idle session keeps none: at once
   * or after it lingered for the next line (see linger()).
   */
  private sleepWhenSettled(a: Awake) {
    if (a.sleepScheduled || this.line) return;
    const live = () => a === this.state;
    if (this.lines.allStale) {
      // Such lines are echoed (if at all) right after the prompt; a moment later they are history.
      clearTimeout(a.staleTimer);
      a.staleTimer = setTimeout(() => {
        if (!live()) return;
        a.terminal.write(EMPTY, () => {
          if (!live() || this.line) return;
          this.lines.forgetStale();
          this.sleepWhenSettled(a);
        });
      }, STALE_GRACE_MS);
      a.staleTimer.unref?.();
      return;
    }
    if (this.lines.length) return;
    if (this.lingerMs > 0 && !a.screen.alternate && !this.tail.alternate) {
      this.linger(a);
      return;
    }
    a.sleepScheduled = true;
    a.terminal.write(EMPTY, () => {
      if (!live()) return;
      a.sleepScheduled = false;
      if (this.lines.length === 0 && !this.line) this.sleep();
    });
  }

  /**
   * Records `raw` (a line on screen) as the first pending line it can be the echo of; true if a line
   * was used up. `editor`: a shell's editor read it (taken on trust if nothing matches); `after-prompt`:
   * it stands right after busybox's prompt (only a match counts); `echo`: it may be any output.
   */
  private settle(
    a: Awake,
    raw: string,
    eligible: number,
    region: Region,
    how: 'editor' | 'after-prompt' | 'echo',
    doubtful = false,
  ): boolean {
    const text = normalize(raw);
    if (!text) {
      // Nothing shown where typing began: an empty line, or one typed while echo was off.
      if (how !== 'editor' && !region.precise) return false;
      this.lines.takeFirstFresh();
      return true;
    }
    const shown = this.lines.takeShown(
      text,
      eligible,
      how === 'after-prompt' ? undefined : before => this.prompt.ends(before),
    );
    if (shown !== undefined) {
      this.emit(a, shown, how !== 'echo' && !doubtful);
      return true;
    }
    if (how === 'after-prompt') return false;
    // A line editor draws nothing but its line, so that is taken on trust; elsewhere only a line
    // that could not be predicted is, and only where its typing began.
    if (
      how === 'echo' &&
      (this.lines.first!.predictions.length > 0 || !region.anchored)
    )
      return false;
    this.lines.takeFirstFresh();
    this.emit(
      a,
      region.precise ? text : this.prompt.strip(text),
      how !== 'echo' && !doubtful,
    );
    return true;
  }

  private editorRegion(a: Awake, end: number): Region {
    const top = a.screen.top(end);
    const anchorRow = this.anchorRow(a);
    // After a clear the anchor is no guide; after a list of completions the editor drew its prompt
    // and line again below the list: the line starts at the last prompt.
    const lowest = a.redrawn ? top : Math.max(top, anchorRow + 1);
    const redrawn = a.screen.promptRegion(end, this.prompt.lastRow, lowest);
    if (redrawn) return redrawn;
    if (anchorRow < top)
      return { start: top, x: 0, precise: false, anchored: false };
    return this.anchorRegion(a);
  }

  /** The line of output a line feed just ended, from the anchor if that lies on it. */
  private lineRegion(a: Awake, end: number): Region {
    const top = a.screen.top(end);
    const anchorRow = this.anchorRow(a);
    let start = end;
    while (start > top && start > anchorRow && a.screen.continues(start))
      start--;
    if (anchorRow < start || anchorRow > end) {
      return { start, x: 0, precise: false, anchored: false };
    }
    return this.anchorRegion(a);
  }

  private anchorRegion(a: Awake): Region {
    const { x, kind } = a.anchor!;
    return {
      start: this.anchorRow(a),
      x,
      precise: kind === 'typing',
      anchored: true,
    };
  }

  /**
   * A line read by a shell's editor that said so (bash's bracketed paste, busybox's cursor query) is a
   * command. Where no shell of the session has ever said so (dash, bash without bracketed paste), the
   * line is only inferred from its echo and a prompt before it, and is recorded marked uncertain; so
   * is a line an editor read at a prompt unlike the shell's.
   */
  private emit(a: Awake, text: string, certain: boolean) {
    this.listeners.emit(text, !(certain || a.asked));
  }

  private setAnchor(a: Awake, kind: Anchor['kind'], x: number) {
    a.anchor?.marker?.dispose();
    a.anchor = { marker: a.terminal.registerMarker(0), x, kind };
  }

  /** -1 once the anchor's row has left the scrollback, or if there is none. */
  private anchorRow(a: Awake): number {
    return a.anchor?.marker?.line ?? -1;
  }

  /** Forgets what was typed and where, after input or output the recorder could not follow. */
  private lose() {
    this.lines.clear();
    this.line = undefined;
    this.keys.reset();
    const a = this.state;
    this.asksTaken = Math.max(a?.asksParsed ?? 0, this.tail.asks);
    if (!a) return;
    a.editing = false;
    a.asked = false;
    a.asksParsed = this.asksTaken;
    a.anchor?.marker?.dispose();
    a.anchor = undefined;
  }

  private alternate(): boolean {
    return this.state ? this.state.screen.alternate : this.tail.alternate;
  }
}
