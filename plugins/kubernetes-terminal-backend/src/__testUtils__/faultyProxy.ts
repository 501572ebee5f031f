import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';

/** What the proxy does to the Kubernetes API traffic it forwards. */
export type ProxyMode =
  | { kind: 'ok' }
  /** Every request and upgrade waits this long before it is forwarded. */
  | { kind: 'slow'; delayMs: number }
  /** Every request and upgrade is answered 500 with a Kubernetes Status. */
  | { kind: 'error' }
  /** Every new connection is reset at once. */
  | { kind: 'down' };

/**
 * A real network hop between the backend and the sandbox's API that can be made slow, failing or gone,
 * and whose open exec streams can be cut: the faults of a real cluster's API, for the fault tests.
 */
export class FaultyProxy {
  mode: ProxyMode = { kind: 'ok' };
  private readonly server: http.Server;
  private readonly streams = new Set<net.Socket>();
  private readonly connections = new Set<net.Socket>();
  private port = 0;

  private constructor(private readonly target: URL) {
    this.server = http.createServer(
      (req, res) => void this.onRequest(req, res),
    );
    this.server.on(
      'upgrade',
      (req, socket, head) =>
        void this.onUpgrade(req, socket as net.Socket, head),
    );
    this.server.on('connection', socket => {
      if (this.mode.kind === 'down') {
        socket.destroy();
        return;
      }
      this.connections.add(socket);
      socket.once('close', () => this.connections.delete(socket));
    });
  }

  static async start(target: string): Promise<FaultyProxy> {
    const proxy = new FaultyProxy(new URL(target));
    await new Promise<void>(resolve =>
      proxy.server.listen(0, '127.0.0.1', resolve),
    );
    proxy.port = (proxy.server.address() as AddressInfo).port;
    return proxy;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** The API goes away: every connection, kept-alive ones included, is reset, and new ones are refused. */
  goDown(): number {
    this.mode = { kind: 'down' };
    for (const socket of this.connections) socket.destroy();
    this.connections.clear();
    return this.cutStreams();
  }

  /** Cuts every exec stream open through the proxy, as a network failure would. */
  cutStreams(): number {
    const n = this.streams.size;
    for (const socket of this.streams) socket.destroy();
    this.streams.clear();
    return n / 2;
  }

  async close() {
    this.cutStreams();
    this.server.closeAllConnections();
    await new Promise(resolve => this.server.close(resolve));
  }

  private async delay() {
    if (this.mode.kind === 'slow') {
      await new Promise(r => setTimeout(r, (this.mode as any).delayMs));
    }
  }

  private async onRequest(req: http.IncomingMessage, res: http.ServerResponse) {
    await this.delay();
    if (this.mode.kind === 'error') {
      res.writeHead(500, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          kind: 'Status',
          apiVersion: 'v1',
          status: 'Failure',
          message: 'etcdserver: request timed out',
          reason: 'InternalError',
          code: 500,
        }),
      );
      return;
    }
    const upstream = http.request(
      {
        host: this.target.hostname,
        port: this.target.port,
        method: req.method,
        path: req.url,
        headers: req.headers,
      },
      answer => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  }

  private async onUpgrade(
    req: http.IncomingMessage,
    socket: net.Socket,
    head: Buffer,
  ) {
    socket.on('error', () => undefined);
    await this.delay();
    if (this.mode.kind === 'error') {
      socket.end(
        'HTTP/1.1 500 Internal Server Error\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n{"kind":"Status","status":"Failure","message":"etcdserver: request timed out","code":500}',
      );
      return;
    }
    const upstream = net.connect(
      Number(this.target.port),
      this.target.hostname,
    );
    upstream.on('error', () => socket.destroy());
    socket.on('close', () => upstream.destroy());
    upstream.on('close', () => socket.destroy());
    upstream.once('connect', () => {
      const lines = [`${req.method} ${req.url} HTTP/1.1`];
      for (let i = 0; i < req.rawHeaders.length; i += 2) {
        lines.push(`${req.rawHeaders[i]}: ${req.rawHeaders[i + 1]}`);
      }
      upstream.write(`${lines.join('\r\n')}\r\n\r\n`);
      if (head.length) upstream.write(head);
      this.streams.add(socket);
      this.streams.add(upstream);
      socket.once('close', () => this.streams.delete(socket));
      upstream.once('close', () => this.streams.delete(upstream));
      socket.pipe(upstream);
      upstream.pipe(socket);
    });
  }
}
