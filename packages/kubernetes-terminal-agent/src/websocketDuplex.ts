import { Duplex } from 'node:stream';
import type WebSocket from 'ws';

/**
 * The most bytes of queued writes sent as one message; a single write larger than this is sent as it
 * is (HTTP/2 writes frames of at most the peer's frame size, 16 KiB unless the peer allows more).
 *
 * @public
 */
export const TUNNEL_MESSAGE_BYTES = 256 * 1024;

/**
 * A WebSocket as a byte stream, for HTTP/2 to run over: each message's bytes are read in order, and
 * writes are sent as binary messages. Unlike `ws`'s `createWebSocketStream`, writes that queue up while
 * one is in flight go out together as one message (`_writev`): HTTP/2 writes frame by frame, and a
 * message (and a system call) per 9-byte frame header would cost more than the data.
 *
 * @public
 */
export function websocketDuplex(ws: WebSocket): Duplex {
  let paused = false;
  const duplex = new Duplex({
    allowHalfOpen: false,
    write(chunk: Buffer, _encoding, callback) {
      ws.send(chunk, { binary: true }, callback);
    },
    writev(chunks, callback) {
      // One message per up to 256 KiB: the receiver's message limit (1 MiB at the backend) must never
      // be reached, however much HTTP/2 queued meanwhile.
      const messages: Buffer[][] = [[]];
      let size = 0;
      for (const { chunk } of chunks) {
        const buffer = chunk as Buffer;
        if (size > 0 && size + buffer.length > TUNNEL_MESSAGE_BYTES) {
          messages.push([]);
          size = 0;
        }
        messages[messages.length - 1].push(buffer);
        size += buffer.length;
      }
      messages.forEach((parts, i) =>
        ws.send(
          parts.length === 1 ? parts[0] : Buffer.concat(parts),
          { binary: true },
          i === messages.length - 1 ? callback : undefined,
        ),
      );
    },
    read() {
      if (paused) {
        paused = false;
        ws.resume();
      }
    },
    final(callback) {
      ws.close(1000);
      callback();
    },
    destroy(error, callback) {
      if (ws.readyState !== ws.CLOSED) ws.terminate();
      callback(error);
    },
  });
  ws.on('message', (data: Buffer, isBinary: boolean) => {
    if (!isBinary) {
      duplex.destroy(new Error('the tunnel carries binary messages only'));
      return;
    }
    if (!duplex.push(data)) {
      paused = true;
      ws.pause();
    }
  });
  ws.once('close', () => {
    duplex.push(null);
    duplex.destroy();
  });
  ws.on('error', error => duplex.destroy(error));
  return duplex;
}
