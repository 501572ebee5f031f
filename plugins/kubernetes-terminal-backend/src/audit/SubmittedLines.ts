/** Lines sent beyond this while none is settled: the oldest is forgotten. */
const MAX_LINES = 32;
const PROMPT_TAIL = /[$#%>]$/;
const PROMPT_HEAD = /^[^\n]{0,120}?[$#%>] /;

/** A line the user ended with Enter, waiting for the screen to show what it was. @internal */
export interface SubmittedLine {
  /** Output chunks that had arrived when Enter was pressed; only later ones can carry its echo. */
  afterSeq: number;
  /** What its keys would have put on screen (see TypedLine); none where that was the shell's to decide. */
  predictions: string[];
  /**
   * Sent while a command ran, and not echoed: it went to that command (a password), or waits in the
   * shell's input for the prompt that came now. Kept for that prompt's line only.
   */
  stale?: boolean;
}

/**
 * Whether a line editor showed `typed` as `shown`: busybox built without Unicode support draws each
 * character it cannot show as `?`.
 *
 * @internal
 */
export function shownAs(typed: string, shown: string): boolean {
  if (!shown.includes('?')) return false;
  const a = [...typed];
  const b = [...shown];
  return (
    a.length === b.length &&
    a.some(c => c.codePointAt(0)! > 0xff) &&
    a.every((c, i) => c === b[i] || (b[i] === '?' && c.codePointAt(0)! > 0xff))
  );
}

/**
 * A shell's prompt as last seen where typing began (its last row is what a redraw repeats), and what
 * looks like one where it was not seen.
 *
 * @internal
 */
export class Prompt {
  text = '';
  /** The last character of the first prompt a line editor read a line at: the session's shell's. */
  private shellEnd?: string;

  /**
   * Whether a line editor read at a shell's prompt (`prompt`, shown in front of where typing began)
   * rather than a program's (bash's `read -e -p "value: "`): it ends as the session's first such
   * prompt did, or as prompts do.
   */
  isShells(prompt: string): boolean {
    const last = prompt.trimEnd().slice(-1);
    this.shellEnd ??= last;
    return last === this.shellEnd || PROMPT_TAIL.test(last);
  }

  /** The prompt's last row. */
  get lastRow(): string {
    return this.text.slice(this.text.lastIndexOf('\n') + 1);
  }

  /** Whether `text`, shown in front of a line, ends the way a prompt does. */
  ends(text: string): boolean {
    const trimmed = text.trimEnd();
    const lastRow = this.lastRow;
    return (
      text.endsWith('\n') ||
      PROMPT_TAIL.test(trimmed) ||
      (!!lastRow && trimmed.endsWith(lastRow))
    );
  }

  /** `text` without the prompt in front of it. */
  strip(text: string): string {
    if (this.text && text.startsWith(this.text))
      return text.slice(this.text.length).trim();
    const match = PROMPT_HEAD.exec(text);
    return match ? text.slice(match[0].length).trim() : text;
  }
}

/**
 * The lines sent and not yet found on screen, oldest first. A line is settled (taken off) when the
 * screen shows it, or when a prompt tells that it went elsewhere.
 *
 * @internal
 */
export class SubmittedLines {
  private lines: SubmittedLine[] = [];

  get length(): number {
    return this.lines.length;
  }

  get first(): SubmittedLine | undefined {
    return this.lines[0];
  }

  submit(afterSeq: number, predictions: string[]): void {
    this.lines.push({ afterSeq, predictions });
    if (this.lines.length > MAX_LINES) this.lines.shift();
  }

  /** How many, oldest first, were sent before output chunk `parsedSeq` arrived: only they can be on screen. */
  eligible(parsedSeq: number): number {
    const later = this.lines.findIndex(line => line.afterSeq > parsedSeq);
    return later < 0 ? this.lines.length : later;
  }

  /** Whether one of the first `eligible` lines may end with `char`. */
  mayEndWith(char: string, eligible: number): boolean {
    return this.lines.some(
      (line, index) =>
        index < eligible && line.predictions.some(text => text.endsWith(char)),
    );
  }

  /**
   * A new prompt came: lines sent after the shell last took one (chunk `acceptSeq`) and before the
   * prompt (chunk `parsedSeq`), and not echoed since, went to what ran in between, or wait in the
   * shell's input and are echoed by this prompt's editor: they are kept for its line only. Those
   * already kept for an earlier prompt are dropped.
   */
  markStale(acceptSeq: number, parsedSeq: number): void {
    this.forgetStale();
    for (const line of this.lines) {
      if (line.afterSeq >= acceptSeq && line.afterSeq <= parsedSeq)
        line.stale = true;
    }
  }

  forgetStale(): void {
    this.lines = this.lines.filter(line => !line.stale);
  }

  /** Whether every line left may have gone to a command (and there is one). */
  get allStale(): boolean {
    return this.lines.length > 0 && this.lines.every(line => line.stale);
  }

  /**
   * The first of the first `eligible` lines that `text` (a line on screen) shows, and how it was
   * predicted; that line and those before it are taken off. Where `promptBefore` is given, text may
   * have a prompt in front of the line.
   */
  takeShown(
    text: string,
    eligible: number,
    promptBefore?: (before: string) => boolean,
  ): string | undefined {
    for (let i = 0; i < eligible; i++) {
      for (const predicted of this.lines[i].predictions) {
        if (
          predicted === text ||
          shownAs(predicted, text) ||
          (promptBefore &&
            predicted &&
            text.endsWith(predicted) &&
            promptBefore(text.slice(0, text.length - predicted.length)))
        ) {
          this.lines.splice(0, i + 1);
          return predicted;
        }
      }
    }
    return undefined;
  }

  /**
   * Takes off the first line, for a line taken on trust; those before it that may have gone to a
   * command are not it, if another is.
   */
  takeFirstFresh(): void {
    const fresh = this.lines.findIndex(line => !line.stale);
    this.lines.splice(0, Math.max(0, fresh) + 1);
  }

  clear(): void {
    this.lines = [];
  }
}
