/**
 * Replays typed keys the way a line editor (and, for comparison, the kernel's echo) would show
 * them, so the recorder can tell an echoed line from one the user typed without echo.
 */

const HOME = ['\x01', '\x1b[H', '\x1bOH', '\x1b[1~', '\x1b[7~'];
const END = ['\x05', '\x1b[F', '\x1bOF', '\x1b[4~', '\x1b[8~'];
const LEFT = ['\x02', '\x1b[D', '\x1bOD'];
const RIGHT = ['\x06', '\x1b[C', '\x1bOC'];
/** Keys the kernel's line discipline acts on (EOF, reprint, literal next) rather than echoes. */
const LINE_DISCIPLINE_KEYS = ['\t', '\x04', '\x12', '\x16'];

/** Trims and folds whitespace the way a screen line and a typed line are compared. @internal */
export const normalize = (text: string) =>
  text
    .split('\n')
    .map(line => line.trimEnd())
    .join('\n')
    .trim();

const isPrintable = (key: string) => {
  const code = key.codePointAt(0)!;
  return (
    key[0] !== '\x1b' &&
    code >= 0x20 &&
    code !== 0x7f &&
    !(code >= 0x80 && code <= 0x9f)
  );
};

const isWordChar = (char: string) => /^[\p{L}\p{N}_]$/u.test(char);

/** Whether an escape sequence read so far is a whole key: CSI up to its final byte, SS3 or Meta. */
/** Whether an escape sequence read so far is complete. @internal */
export const isComplete = (sequence: string) => {
  if (sequence.length < 2) return false;
  if (sequence[1] !== '[') return sequence[1] !== 'O' || sequence.length > 2;
  const final = sequence.charCodeAt(sequence.length - 1);
  return sequence.length > 2 && final >= 0x40 && final <= 0x7e;
};

/**
 * One line as the user typed it, replayed both as an emacs-style line editor (readline, busybox)
 * and as the kernel's canonical mode (dash, `cat`) would echo it. What gets recorded is the screen;
 * the replays only tell an echo from other output where nothing else marks where a line stands.
 */
/** @internal */
export class TypedLine {
  private edited: string[] = [];
  private cursor = 0;
  private echoed: string[] = [];
  private known = true;

  constructor(private readonly limit: number) {}

  type(key: string, pasted: boolean) {
    if (pasted || isPrintable(key)) {
      // A bracketed paste goes into the line as it is, line breaks included; nothing runs yet.
      const char = pasted && (key === '\r' || key === '\n') ? '\n' : key;
      this.known &&= char === '\n' || isPrintable(char);
      this.edit(this.cursor, this.cursor, char);
      this.echo(char);
    } else if (key === '\x7f' || key === '\b') {
      this.edit(this.cursor - 1, this.cursor);
      if (key === '\x7f') this.echoed.pop();
      else this.echo(key);
    } else if (key === '\x15') {
      this.edit(0, this.cursor);
      this.echoed = [];
    } else if (key === '\x17') {
      let from = this.cursor;
      while (from > 0 && /\s/.test(this.edited[from - 1])) from--;
      while (from > 0 && !/\s/.test(this.edited[from - 1])) from--;
      this.edit(from, this.cursor);
      // Linux's werase: whatever is not a word character, then a run of word characters.
      let seenWord = false;
      while (this.echoed.length > 0) {
        const word = isWordChar(this.echoed[this.echoed.length - 1]);
        if (seenWord && !word) break;
        seenWord ||= word;
        this.echoed.pop();
      }
    } else {
      if (HOME.includes(key)) this.cursor = 0;
      else if (END.includes(key)) this.cursor = this.edited.length;
      else if (LEFT.includes(key)) this.cursor = Math.max(0, this.cursor - 1);
      else if (RIGHT.includes(key))
        this.cursor = Math.min(this.edited.length, this.cursor + 1);
      else if (key === '\x0b') this.edit(this.cursor, this.edited.length);
      else if (key === '\x1b[3~') this.edit(this.cursor, this.cursor + 1);
      else this.known = false;
      if (LINE_DISCIPLINE_KEYS.includes(key)) this.known = false;
      else this.echo(key);
    }
  }

  /** What this line can have put on screen; nothing if a key's effect was the shell's to decide (Tab, ↑). */
  predictions(): string[] {
    if (!this.known) return [];
    return [
      ...new Set([
        normalize(this.edited.join('')),
        normalize(this.echoed.join('')),
      ]),
    ];
  }

  private edit(from: number, to: number, insert?: string) {
    const start = Math.max(0, from);
    this.edited.splice(
      start,
      Math.max(0, Math.min(to, this.edited.length) - start),
    );
    this.cursor = start;
    if (insert === undefined) return;
    if (this.edited.length >= this.limit) this.known = false;
    else this.edited.splice(this.cursor++, 0, insert);
  }

  /** Echoes control characters as `^X`, as the kernel does with ECHOCTL. */
  private echo(key: string) {
    for (const char of key) {
      const code = char.charCodeAt(0);
      if (this.echoed.length >= this.limit) this.known = false;
      else if (char === '\n' || isPrintable(char)) this.echoed.push(char);
      else
        this.echoed.push(
          code === 0x7f ? '^?' : `^${String.fromCharCode(code + 0x40)}`,
        );
    }
  }
}
