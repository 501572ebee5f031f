/**
 * How recordings are stored: asciicast v2 events, framed in binary so that recording costs a copy of
 * the terminal's bytes and no more (JSON-escaping output on the stream's path cost 25 ms of CPU per
 * MiB of NULs; this framing 0.8 with the database write). Read back, they become asciicast lines.
 *
 * One event: code (1 byte: `o`, `r` or `m`), milliseconds since the start (uint32 LE), length of the
 * data (uint32 LE), the data: raw output bytes for `o`, UTF-8 text for `r` (`COLSxROWS`) and `m`.
 */

/** @internal */
export const EVENT_HEADER_BYTES = 9;

/** @internal */
export type RecordedEventCode = 'o' | 'r' | 'm';

/** Writes one event's header into `target` at `offset`; the data follows it. @internal */
export function writeEventHeader(
  target: Buffer,
  offset: number,
  code: RecordedEventCode,
  ms: number,
  length: number,
): void {
  target[offset] = code.charCodeAt(0);
  target.writeUInt32LE(Math.min(ms, 0xffffffff), offset + 1);
  target.writeUInt32LE(length, offset + 5);
}

/**
 * Turns stored chunks into asciicast v2 lines. Chunks may cut an event anywhere (a file read in
 * pieces); an event cut short at the very end is left out. Output split between events in the middle of a UTF-8 sequence is joined, as the terminal
 * would; bytes that are no UTF-8 become U+FFFD.
 *
 * @internal
 */
export async function* toAsciicastLines(
  header: string,
  chunks: AsyncIterable<Uint8Array>,
): AsyncGenerator<string> {
  yield `${header}\n`;
  const decoder = new TextDecoder();
  let rest: Buffer = Buffer.alloc(0);
  for await (const chunk of chunks) {
    const piece = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.length);
    const buffer = rest.length ? Buffer.concat([rest, piece]) : piece;
    const lines: string[] = [];
    let offset = 0;
    for (;;) {
      if (offset + EVENT_HEADER_BYTES > buffer.length) break;
      const length = buffer.readUInt32LE(offset + 5);
      const start = offset + EVENT_HEADER_BYTES;
      if (start + length > buffer.length) break;
      const code = String.fromCharCode(buffer[offset]);
      const seconds = buffer.readUInt32LE(offset + 1) / 1000;
      const data = buffer.subarray(start, start + length);
      offset = start + length;
      const text =
        code === 'o'
          ? decoder.decode(data, { stream: true })
          : data.toString('utf8');
      if (code === 'o' && text === '') continue;
      lines.push(`${JSON.stringify([seconds, code, text])}\n`);
    }
    rest = Buffer.from(buffer.subarray(offset));
    if (lines.length > 0) yield lines.join('');
  }
  // What is left is an event cut short: a write still under way (a live recording in a directory)
  // or one a replica that died did not finish. The recording is served up to its last whole event.
}
