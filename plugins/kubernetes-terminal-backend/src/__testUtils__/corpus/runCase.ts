import { Terminal } from '@xterm/headless';
import type { Random } from '../fuzz';
import type { TerminalClient } from '../TerminalClient';
import { KEY, type CorpusCase, type Until } from './corpusCase';

/** Control sequences and carriage returns: what waits match against is the text that was shown. */
const CONTROL =
  // eslint-disable-next-line no-control-regex
  /\x1b\[[0-9;?<=>]*[ -/]*[@-~]|\x1b[()][0-9A-B]|\x1b[=>78]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\r/g;
const PROMPT = /[#$] $/;
const STEP_TIMEOUT_MS = 15_000;

/**
 * Plays a case as a browser with xterm.js would: keys one at a time with a person's gaps, pastes in
 * one message (wrapped in bracketed-paste markers when the program asked for them, as xterm.js does),
 * arrow keys as the terminal's cursor-key mode wants them, and the terminal's own answers (busybox's
 * cursor position queries) sent back.
 */
export class CaseRunner {
  private readonly screen: Terminal;
  private seen = 0;
  private readonly timer: ReturnType<typeof setInterval>;

  constructor(
    private readonly client: TerminalClient,
    private readonly random: Random,
    size: { cols: number; rows: number },
  ) {
    this.screen = new Terminal({ ...size, allowProposedApi: true });
    this.screen.onData(answer => client.type(answer));
    // Kept in step with the output, so that it answers queries as a browser's would.
    this.timer = setInterval(() => this.feed(), 5);
  }

  async play(c: CorpusCase): Promise<void> {
    for (const step of c.steps) {
      // A person acts on what the screen shows, which a browser has drawn by then: the modes a paste
      // or an arrow key depends on are those of all the output so far.
      await this.sync();
      const from = this.client.output.length;
      switch (step.kind) {
        case 'type':
          for (const key of step.keys) {
            this.client.type(this.encode(key));
            if (!step.fast) await sleep(this.gap());
          }
          break;
        case 'paste':
          this.client.type(
            this.screen.modes.bracketedPasteMode &&
              !step.text.startsWith(KEY.pasteStart)
              ? `${KEY.pasteStart}${step.text}${KEY.pasteEnd}`
              : step.text,
          );
          break;
        case 'resize':
          this.screen.resize(step.cols, step.rows);
          this.client.resize(step.cols, step.rows);
          break;
        default:
          await sleep(step.ms);
      }
      if (step.kind === 'type' || step.kind === 'paste')
        await this.wait(from, step.until, c);
    }
  }

  dispose() {
    clearInterval(this.timer);
    this.screen.dispose();
  }

  /** Brings the screen up to all the output received, parsed. */
  private sync(): Promise<void> {
    this.feed();
    return new Promise(resolve => this.screen.write('', resolve));
  }

  private feed() {
    if (this.client.output.length > this.seen) {
      this.screen.write(this.client.output.slice(this.seen));
      this.seen = this.client.output.length;
    }
  }

  /** xterm.js sends SS3 arrows and Home/End while the program has asked for application cursor keys. */
  private encode(key: string): string {
    if (!this.screen.modes.applicationCursorKeysMode) return key;
    // eslint-disable-next-line no-control-regex
    const match = /^\x1b\[([ABCDHF])$/.exec(key);
    return match ? `\x1bO${match[1]}` : key;
  }

  /** Mostly 20–90 ms between keys; now and then a pause to think. */
  private gap(): number {
    return this.random.chance(0.05)
      ? this.random.int(200, 500)
      : this.random.int(20, 90);
  }

  private async wait(from: number, until: Until, c: CorpusCase) {
    if (until === 'none') return;
    const shown = () => this.client.output.slice(from).replace(CONTROL, '');
    const done = () => {
      if (until === 'quiet') return true;
      if (until === 'prompt') return PROMPT.test(shown());
      return until.test(shown());
    };
    const deadline = Date.now() + STEP_TIMEOUT_MS;
    while (!done() && !this.client.closed) {
      if (Date.now() > deadline) {
        throw new Error(
          `case "${c.name}" (${c.shell}): timed out waiting for ${String(
            until,
          )}; shown since the step began: ${JSON.stringify(
            shown().slice(-300),
          )}`,
        );
      }
      await sleep(10);
    }
    await this.quiet(until === 'quiet' ? 150 : 40);
  }

  /** Until no output has come for `ms`. */
  private async quiet(ms: number) {
    const deadline = Date.now() + 3000;
    let length = this.client.output.length;
    let since = Date.now();
    while (Date.now() - since < ms && Date.now() < deadline) {
      await sleep(10);
      if (this.client.output.length !== length) {
        length = this.client.output.length;
        since = Date.now();
      }
    }
  }
}

function sleep(ms: number) {
  return new Promise(resolve => setTimeout(resolve, ms));
}
