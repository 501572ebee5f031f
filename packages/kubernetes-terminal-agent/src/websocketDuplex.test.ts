import http from 'node:http';
import type { AddressInfo } from 'node:net';
import WebSocket, { WebSocketServer } from 'ws';
import { TUNNEL_MESSAGE_BYTES, websocketDuplex } from './websocketDuplex';

describe('websocketDuplex', () => {
  it('carries bytes in order both ways, and sends queued writes together but never over the limit', async () => {
    const server = http.createServer();
    const wss = new WebSocketServer({ server, maxPayload: 1024 * 1024 });
    await new Promise<void>(r => server.listen(0, '127.0.0.1', r));
    const serverSide = new Promise<WebSocket>(resolve =>
      wss.once('connection', resolve),
    );
    const client = new WebSocket(
      `ws://127.0.0.1:${(server.address() as AddressInfo).port}`,
    );
    await new Promise(r => client.once('open', r));
    const peer = await serverSide;
    const sizes: number[] = [];
    peer.on('message', (data: Buffer) => sizes.push(data.length));
    const a = websocketDuplex(client);
    const b = websocketDuplex(peer);

    // 3 MiB in 9-byte and 16 KiB pieces, as HTTP/2 writes frame headers and frames, all at once.
    const pieces: Buffer[] = [];
    for (let i = 0; pieces.length < 384; i++) {
      pieces.push(Buffer.alloc(9, i % 256), Buffer.alloc(8183, (i + 1) % 256));
    }
    const sent = Buffer.concat(pieces);
    const received: Buffer[] = [];
    const done = new Promise<void>(resolve => {
      let total = 0;
      b.on('data', (chunk: Buffer) => {
        received.push(chunk);
        total += chunk.length;
        if (total >= sent.length) resolve();
      });
    });
    for (const piece of pieces) a.write(piece);
    await done;
    expect(Buffer.concat(received).equals(sent)).toBe(true);
    // Fewer messages than writes, none over the limit (so none near the receiver's 1 MiB).
    expect(sizes.length).toBeLessThan(pieces.length);
    expect(Math.max(...sizes)).toBeLessThanOrEqual(TUNNEL_MESSAGE_BYTES);

    // And back.
    const echoed = new Promise<Buffer>(resolve => a.once('data', resolve));
    b.write(Buffer.from('pong'));
    expect((await echoed).toString()).toBe('pong');

    a.destroy();
    await new Promise(r => peer.once('close', r));
    wss.close();
    server.close();
  });
});
