/*
 * The bench's terminal clients: one over client-node's exec (direct, and Backstage's /proxy), one over
 * our backend's browser protocol. Bytes in; a byte counter, a NUL counter and waiters out.
 */
import type { Socket } from 'node:net';
import { PassThrough, Writable } from 'node:stream';
import * as k8s from '@kubernetes/client-node';
import WebSocket from 'ws';

export const POD = 'demo-service-7d9f8b6c5-abcde';
export const NAMESPACE = 'demo';
export const CONTAINER = 'app';
export const APP_ORIGIN = 'http://localhost:3000';
// = mockCredentials.user.header() from @backstage/backend-test-utils (user:default/mock), spelled out so
// this client process does not load the test-utils package.
export const USER_AUTH = 'Bearer mock-user-token';
const PROMPT = /[$#] $/;
/** TerminalSessionAddon's defaults (plugins/kubernetes-terminal/src/addons/TerminalSessionAddon.ts). */
const ACK_THRESHOLD_BYTES = 64 * 1024;
const ACK_DELAY_MS = 100;
/** A kubeconfig for one cluster at `server` with a bearer token (TLS not verified: the sandbox's own). */
export function kubeConfig(server: string, token: string) {
  const kc = new k8s.KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'c', server, skipTLSVerify: true }],
    users: [{ name: 'u', token }],
    contexts: [{ name: 'c', cluster: 'c', user: 'u' }],
    currentContext: 'c',
  });
  return kc;
}

export const now = () => Number(process.hrtime.bigint()) / 1e6; // ms

// ---------------------------------------------------------------------------------------------
// A terminal over either path: bytes in, a byte counter and waiters out.

export abstract class Term {
  total = 0;
  /** NUL bytes received, counted once `countZeros` is set (the flood workloads send only NULs). */
  zeros = 0;
  countZeros = false;
  private tail = Buffer.alloc(0);
  private waiters: Array<{ ok: () => boolean; resolve: () => void }> = [];
  private markerFound?: { marker: Buffer; at?: number };
  closed = false;
  firstDataAt?: number;

  abstract ws: WebSocket;
  abstract write(data: string | Buffer): void;

  /** The client's TCP socket, to read slowly from. */
  get socket(): Socket {
    return (this.ws as unknown as { _socket: Socket })._socket;
  }

  async close() {
    if (this.closed) return;
    this.ws.close();
    await this.waitFor(() => this.closed, 'close', 5000).catch(() =>
      this.ws.terminate(),
    );
  }

  protected data(chunk: Buffer) {
    if (this.firstDataAt === undefined) this.firstDataAt = now();
    this.total += chunk.length;
    if (this.countZeros) {
      for (let i = 0; i < chunk.length; i++) if (chunk[i] === 0) this.zeros++;
    }
    const window = this.tail.length ? Buffer.concat([this.tail, chunk]) : chunk;
    if (
      this.markerFound &&
      this.markerFound.at === undefined &&
      window.indexOf(this.markerFound.marker) >= 0
    ) {
      this.markerFound.at = now();
    }
    this.tail = Buffer.from(window.subarray(Math.max(0, window.length - 128)));
    this.check();
  }

  protected ended() {
    this.closed = true;
    this.check();
  }

  private check() {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) {
      if (w.ok()) w.resolve();
      else this.waiters.push(w);
    }
  }

  text() {
    return this.tail.toString('latin1');
  }

  waitFor(ok: () => boolean, what: string, timeoutMs = 30_000): Promise<void> {
    if (ok()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter(w => w !== entry);
        reject(
          new Error(
            `timed out waiting for ${what}; tail ${JSON.stringify(
              this.text(),
            )}`,
          ),
        );
      }, timeoutMs);
      const entry = {
        ok: () =>
          ok() ||
          (this.closed && !what.startsWith('close')
            ? (reject(
                new Error(
                  `closed while waiting for ${what}; tail ${JSON.stringify(
                    this.text(),
                  )}`,
                ),
              ),
              true)
            : false),
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
      };
      this.waiters.push(entry);
    });
  }

  waitBytes(n: number, timeoutMs?: number) {
    return this.waitFor(
      () => this.total >= n,
      `${n} bytes (have ${this.total})`,
      timeoutMs,
    );
  }

  waitPrompt(timeoutMs?: number) {
    return this.waitFor(() => PROMPT.test(this.text()), 'prompt', timeoutMs);
  }

  /** Types `line`, waits for `marker` in the output; returns ms from typing to marker. */
  async runUntilMarker(
    line: string,
    marker: string,
    timeoutMs = 120_000,
  ): Promise<number> {
    const found = { marker: Buffer.from(marker, 'latin1') } as {
      marker: Buffer;
      at?: number;
    };
    this.markerFound = found;
    const t0 = now();
    this.write(line);
    await this.waitFor(
      () => found.at !== undefined,
      `marker ${marker}`,
      timeoutMs,
    );
    this.markerFound = undefined;
    return found.at! - t0;
  }
}

export class DirectTerm extends Term {
  ws!: WebSocket;
  stdin = new PassThrough();
  status?: k8s.V1Status;

  static async open(
    kc: k8s.KubeConfig,
    command: string[],
    tty: boolean,
  ): Promise<DirectTerm> {
    const term = new DirectTerm();
    const sink = new Writable({
      write(chunk: Buffer, _enc, cb) {
        term.data(chunk);
        cb();
      },
    });
    const ws = (await new k8s.Exec(kc).exec(
      NAMESPACE,
      POD,
      CONTAINER,
      command,
      sink,
      tty ? null : sink,
      tty ? term.stdin : null,
      tty,
      status => (term.status = status),
    )) as unknown as WebSocket;
    term.ws = ws;
    ws.on('close', () => term.ended());
    // kubectl sends the window size straight away (the sandbox waits up to 100 ms for it before spawning).
    if (tty)
      ws.send(
        Buffer.concat([
          Buffer.from([4]),
          Buffer.from(JSON.stringify({ Width: 80, Height: 24 })),
        ]),
      );
    return term;
  }

  write(data: string | Buffer) {
    this.stdin.write(data);
  }
}

export class OursTerm extends Term {
  ws!: WebSocket;
  connectedAt?: number;
  messages: any[] = [];
  sessionId = '';

  static async open(
    port: number,
    opts: { ack?: boolean; tty?: boolean; cluster?: string } = {},
  ): Promise<OursTerm> {
    const res = await fetch(
      `http://127.0.0.1:${port}/api/kubernetes-terminal/sessions`,
      {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          authorization: USER_AUTH,
        },
        body: JSON.stringify({
          entityRef: 'component:default/demo-service',
          cluster: opts.cluster ?? 'sandbox',
          namespace: NAMESPACE,
          pod: POD,
          container: CONTAINER,
          cols: 80,
          rows: 24,
          ...(opts.tty === false && { tty: false }),
        }),
      },
    );
    if (res.status !== 201)
      throw new Error(`POST /sessions: HTTP ${res.status} ${await res.text()}`);
    return OursTerm.attach(port, await res.json(), opts);
  }

  /**
   * Takes a session over on a new socket, as the browser does after a lost connection: a resume
   * ticket for the output from `offset` (this many bytes already received) on.
   */
  static async resume(
    port: number,
    sessionId: string,
    offset: number,
  ): Promise<OursTerm> {
    const res = await fetch(
      `http://127.0.0.1:${port}/api/kubernetes-terminal/sessions/${sessionId}/resume`,
      {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          authorization: USER_AUTH,
        },
        body: JSON.stringify({ offset }),
      },
    );
    if (res.status !== 200)
      throw new Error(`POST /resume: HTTP ${res.status} ${await res.text()}`);
    return OursTerm.attach(port, await res.json(), {});
  }

  private static async attach(
    port: number,
    session: { sessionId: string; ticket: string; streamPath: string },
    opts: { ack?: boolean },
  ): Promise<OursTerm> {
    const term = new OursTerm();
    term.sessionId = session.sessionId;
    const { ticket, streamPath } = session;
    const ws = new WebSocket(
      `ws://127.0.0.1:${port}/api/kubernetes-terminal${streamPath}`,
      ['kubernetes-terminal.v1', `ticket.${ticket}`],
      { headers: { origin: APP_ORIGIN } },
    );
    term.ws = ws;
    const ack = opts.ack ?? true;
    // As the browser's TerminalSessionAddon does once xterm.js has processed the bytes: one ack per
    // 64 KiB, or 100 ms after the first byte not yet acknowledged. Without acks output stops at 1 MiB.
    let unacked = 0;
    let ackTimer: NodeJS.Timeout | undefined;
    const flushAck = () => {
      clearTimeout(ackTimer);
      ackTimer = undefined;
      if (unacked > 0 && ws.readyState === WebSocket.OPEN) {
        ws.send(JSON.stringify({ type: 'ack', bytes: unacked }));
        unacked = 0;
      }
    };
    ws.on('message', (data: Buffer, isBinary) => {
      if (isBinary) {
        term.data(data);
        if (!ack) return;
        unacked += data.length;
        if (unacked >= ACK_THRESHOLD_BYTES) flushAck();
        else ackTimer ??= setTimeout(flushAck, ACK_DELAY_MS);
      } else {
        const msg = JSON.parse(data.toString('utf8'));
        term.messages.push(msg);
        if (msg.type === 'connected') term.connectedAt = now();
        term.data(Buffer.alloc(0));
      }
    });
    ws.on('close', () => term.ended());
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('unexpected-response', (_q, r) =>
        reject(new Error(`upgrade refused: HTTP ${r.statusCode}`)),
      );
      ws.once('error', reject);
    });
    return term;
  }

  waitConnected(timeoutMs?: number) {
    return this.waitFor(
      () => this.connectedAt !== undefined,
      'connected',
      timeoutMs,
    );
  }

  write(data: string | Buffer) {
    this.ws.send(Buffer.from(data));
  }
}
