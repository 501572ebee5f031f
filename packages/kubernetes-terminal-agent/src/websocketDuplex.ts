import { Duplex } from 'node:stream';
import type WebSocket from 'ws';

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
      ws.send(
        chunks.length === 1
          ? chunks[0].chunk
          : Buffer.concat(chunks.map(c => c.chunk as Buffer)),
        { binary: true },
        callback,
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
