import { Terminal } from '@xterm/headless';

const EMPTY = new Uint8Array(0);

/** @internal */
export interface TerminalPoolOptions {
  /** Free terminals kept in any case. */
  minFree?: number;
  /** Terminals (lent and free) beyond which returned ones are dropped, however many were lent at once. */
  maxTotal?: number;
  /** How long the peak of lent terminals is remembered: over two such windows, it decays. */
  windowMs?: number;
  now?: () => number;
}

/**
 * Headless terminals for command recorders to borrow while a line is typed. Creating one costs about
 * 0.4 ms of CPU and 175 KiB that the next scavenge must copy; resetting a returned one costs a tenth of
 * that. A terminal goes back to the pool only once everything written to it is parsed, and is reset
 * there, so nothing of one session can reach another.
 *
 * The pool keeps as many terminals as were lent at once in the last one to two windows (at least
 * `minFree`, at most `maxTotal`), so that 50 people typing at once do not create and drop terminals at
 * every line (with a fixed 32, echo p99 under that load was governed by the collector); what is not
 * needed any more is dropped a window or two later.
 *
 * @internal
 */
export class TerminalPool {
  private readonly free: Terminal[] = [];
  private lent = 0;
  private peak = 0;
  private previousPeak = 0;
  private windowStart: number;
  private trimTimer?: NodeJS.Timeout;
  private readonly minFree: number;
  private readonly maxTotal: number;
  private readonly windowMs: number;
  private readonly now: () => number;

  constructor(options: TerminalPoolOptions = {}) {
    this.minFree = options.minFree ?? 32;
    this.maxTotal = Math.max(this.minFree, options.maxTotal ?? 256);
    this.windowMs = options.windowMs ?? 60_000;
    this.now = options.now ?? Date.now;
    this.windowStart = this.now();
  }

  get freeCount(): number {
    return this.free.length;
  }

  get lentCount(): number {
    return this.lent;
  }

  acquire(options: {
    cols: number;
    rows: number;
    scrollback: number;
  }): Terminal {
    this.lent += 1;
    this.rollWindow();
    this.peak = Math.max(this.peak, this.lent);
    const terminal = this.free.pop();
    if (!terminal) {
      // The headless build counts buffer, parser and markers as proposed API.
      return new Terminal({ ...options, allowProposedApi: true });
    }
    if (terminal.cols !== options.cols || terminal.rows !== options.rows) {
      terminal.resize(options.cols, options.rows);
    }
    terminal.options.scrollback = options.scrollback;
    return terminal;
  }

  /** Takes a terminal back; its handlers must be disposed already. */
  release(terminal: Terminal): void {
    this.lent = Math.max(0, this.lent - 1);
    terminal.write(EMPTY, () => {
      if (this.lent + this.free.length >= this.capacity()) {
        terminal.dispose();
        return;
      }
      try {
        terminal.reset();
        this.free.push(terminal);
        this.scheduleTrim();
      } catch {
        terminal.dispose();
      }
    });
  }

  /** Drops every free terminal (shutdown). */
  clear(): void {
    clearTimeout(this.trimTimer);
    this.trimTimer = undefined;
    for (const terminal of this.free.splice(0)) terminal.dispose();
  }

  /** Terminals (lent and free) worth keeping: the peak of the last one to two windows. */
  private capacity(): number {
    this.rollWindow();
    const wanted = Math.max(this.peak, this.previousPeak);
    return Math.min(this.maxTotal, Math.max(this.minFree, wanted));
  }

  private rollWindow() {
    const elapsed = this.now() - this.windowStart;
    if (elapsed < this.windowMs) return;
    // A window with nothing lent since forgets the one before as well.
    this.previousPeak = elapsed < 2 * this.windowMs ? this.peak : this.lent;
    this.peak = this.lent;
    this.windowStart = this.now();
  }

  /** Drops free terminals beyond what the recent peak asks for, a window from now. */
  private scheduleTrim() {
    if (this.trimTimer || this.free.length <= this.minFree) return;
    this.trimTimer = setTimeout(() => {
      this.trimTimer = undefined;
      this.trim();
    }, this.windowMs);
    this.trimTimer.unref?.();
  }

  /** @internal exposed for tests; runs on its own a window after terminals come back. */
  trim(): void {
    const keepFree = Math.max(
      this.minFree,
      Math.min(this.free.length, this.capacity() - this.lent),
    );
    while (this.free.length > keepFree) this.free.pop()!.dispose();
    this.scheduleTrim();
  }
}

/** Shared by the recorders of this process. @internal */
export const defaultTerminalPool = new TerminalPool();
