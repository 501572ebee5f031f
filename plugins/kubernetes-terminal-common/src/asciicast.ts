/**
 * Session recordings are asciicast v2 (https://docs.asciinema.org/manual/asciicast/v2/): a JSON header
 * line, then one JSON array per event, `[seconds, code, data]`. Ours holds `o` (output), `r` (resize,
 * `"COLSxROWS"`) and `m` (marker: a recorded command, its text as the label).
 */

/**
 * The first line of a recording.
 *
 * @public
 */
export interface AsciicastHeader {
  version: 2;
  width: number;
  height: number;
  /** Unix time in seconds of the recording's start. */
  timestamp?: number;
  title?: string;
  env?: Record<string, string>;
}

/**
 * Event codes of asciicast v2 that our recordings hold.
 *
 * @public
 */
export type AsciicastEventCode = 'o' | 'r' | 'm' | 'i';

/**
 * One event: seconds since the start, its code, its data.
 *
 * @public
 */
export type AsciicastEvent = [number, AsciicastEventCode, string];

/**
 * A parsed recording.
 *
 * @public
 */
export interface Asciicast {
  header: AsciicastHeader;
  /** In file order, which is time order. */
  events: AsciicastEvent[];
}

/**
 * Media type of asciicast files.
 *
 * @public
 */
export const ASCIICAST_CONTENT_TYPE = 'application/x-asciicast';

/**
 * Parses an asciicast v2 file; throws an `Error` naming the first bad line. Unknown event codes are
 * kept (players ignore them), as the format allows.
 *
 * @public
 */
export function parseAsciicast(text: string): Asciicast {
  const lines = text.split('\n');
  let header: AsciicastHeader | undefined;
  const events: AsciicastEvent[] = [];
  let last = 0;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    if (line.trim() === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      throw new Error(`asciicast line ${i + 1} is not JSON`);
    }
    if (!header) {
      const h = value as Partial<AsciicastHeader>;
      if (
        !h ||
        typeof h !== 'object' ||
        h.version !== 2 ||
        !Number.isInteger(h.width) ||
        !Number.isInteger(h.height)
      ) {
        throw new Error(
          'asciicast header must be an object with version 2, width and height',
        );
      }
      header = h as AsciicastHeader;
      continue;
    }
    if (
      !Array.isArray(value) ||
      value.length !== 3 ||
      typeof value[0] !== 'number' ||
      !(value[0] >= 0) ||
      typeof value[1] !== 'string' ||
      typeof value[2] !== 'string'
    ) {
      throw new Error(
        `asciicast line ${i + 1} is not an event [seconds, code, data]`,
      );
    }
    if (value[0] < last) {
      throw new Error(`asciicast line ${i + 1} goes back in time`);
    }
    last = value[0];
    events.push(value as AsciicastEvent);
  }
  if (!header) {
    throw new Error('asciicast is empty');
  }
  return { header, events };
}

/**
 * Reads `"COLSxROWS"` of a resize event; undefined if malformed.
 *
 * @public
 */
export function parseAsciicastSize(
  data: string,
): { cols: number; rows: number } | undefined {
  const match = /^(\d{1,4})x(\d{1,4})$/.exec(data);
  if (!match) return undefined;
  const cols = Number(match[1]);
  const rows = Number(match[2]);
  return cols > 0 && rows > 0 ? { cols, rows } : undefined;
}
