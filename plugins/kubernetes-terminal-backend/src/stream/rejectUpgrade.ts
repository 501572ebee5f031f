import type { Duplex } from 'node:stream';

/**
 * Answers an upgrade request with an HTTP error and its reason as plain text, then closes the socket:
 * the WebSocket client (a browser, an agent) shows the reason instead of a bare failure.
 *
 * @internal
 */
export function rejectUpgrade(
  socket: Duplex,
  status: number,
  text: string,
  reason: string,
  headers: Record<string, string> = {},
) {
  const body = `${reason}\n`;
  const extra = Object.entries(headers)
    .map(([name, value]) => `${name}: ${value}\r\n`)
    .join('');
  socket.end(
    `HTTP/1.1 ${status} ${text}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(
      body,
    )}\r\n${extra}Connection: close\r\n\r\n${body}`,
    () => socket.destroy(),
  );
}
