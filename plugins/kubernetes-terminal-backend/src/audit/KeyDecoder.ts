import { isComplete } from './TypedLine';

/** One key as the user's terminal sent it. @internal */
export interface Key {
  /** A character, or a whole escape sequence (an arrow key, a paste marker). */
  key: string;
  /** Inside a bracketed paste; for the markers themselves, whether the paste has begun or ended. */
  pasting: boolean;
  /** Set on the markers that begin and end a bracketed paste. */
  paste?: 'start' | 'end';
}

const PASTE_START = '\x1b[200~';
const PASTE_END = '\x1b[201~';
/** An escape sequence longer than this is none we know: it is dropped. */
const MAX_ESCAPE = 32;

/** The terminal's answer to a cursor position query (busybox's line editor asks at every prompt). */
const isCursorReport = (key: string) =>
  key.startsWith('\x1b[') &&
  key.endsWith('R') &&
  /^\d+;\d+$/.test(key.slice(2, -1));

/**
 * Turns the bytes a user's terminal sends into keys: UTF-8 and escape sequences split across messages
 * are joined; the terminal's answers to queries (no key) and the line feed of a CR LF are left out;
 * the markers of a bracketed paste say which keys were pasted.
 *
 * @internal
 */
export class KeyDecoder {
  private readonly decoder = new TextDecoder();
  private escape = '';
  private afterCR = false;
  private pasting = false;

  /** Calls `onKey` for each key completed by `data`, in order. */
  decode(data: Uint8Array, onKey: (key: Key) => void): void {
    for (const char of this.decoder.decode(data, { stream: true })) {
      if (!this.escape && char !== '\x1b') {
        this.key(char, onKey);
        continue;
      }
      this.escape += char;
      if (this.escape.length > MAX_ESCAPE) this.escape = '';
      else if (isComplete(this.escape)) {
        const key = this.escape;
        this.escape = '';
        this.key(key, onKey);
      }
    }
  }

  /** Forgets a sequence begun and a paste under way, after input that could not be followed. */
  reset(): void {
    this.escape = '';
    this.pasting = false;
  }

  private key(key: string, onKey: (key: Key) => void) {
    if (isCursorReport(key)) return;
    if (key === '\n' && this.afterCR) {
      this.afterCR = false;
      return;
    }
    this.afterCR = key === '\r';
    if (key === PASTE_START || key === PASTE_END) {
      this.pasting = key === PASTE_START;
      onKey({
        key,
        pasting: this.pasting,
        paste: this.pasting ? 'start' : 'end',
      });
      return;
    }
    onKey({ key, pasting: this.pasting });
  }
}
