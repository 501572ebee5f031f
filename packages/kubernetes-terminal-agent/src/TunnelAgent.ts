import {
  AGENT_API_SERVER_HEADER,
  AGENT_CLUSTER_HEADER,
  AGENT_TUNNEL_PATH,
  AGENT_VERSION_HEADER,
  AGENT_WS_PROTOCOL,
} from '@kubernetes-terminal/backstage-plugin-kubernetes-terminal-common';
import { HttpProxyAgent, HttpsProxyAgent } from 'hpagent';
import type http from 'node:http';
import http2 from 'node:http2';
import net from 'node:net';
import type { Duplex } from 'node:stream';
import WebSocket from 'ws';
import { websocketDuplex } from './websocketDuplex';

/** @public */
export interface AgentLogger {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

/** @public */
export interface TunnelAgentOptions {
  /** The portal's kubernetes-terminal base URL, e.g. `https://portal.example.com/api/kubernetes-terminal`. */
  portalUrl: string;
  /** The agent token issued for this cluster (`kubernetes-terminal-agent token`). */
  token: string;
  /** The cluster's name in the portal's config. */
  cluster: string;
  /**
   * The one address the agent relays to: the API server's `host:port` (in a cluster,
   * `kubernetes.default.svc:443`). Every other CONNECT is refused.
   */
  apiServer: string;
  version: string;
  /** CA certificates (PEM) trusted for the portal's TLS certificate, beyond the system's. */
  portalCa?: string;
  /**
   * An HTTP proxy to reach the portal through (`http://[user:password@]proxy:3128`), for clusters
   * whose way out is an egress proxy: the tunnel is an HTTP CONNECT through it, TLS to the portal inside.
   */
  proxyUrl?: string;
  /** Opens the connection to the API server; `net.connect` by default. */
  dial?: (host: string, port: number) => Duplex;
  /** First wait before reconnecting; it doubles up to `maxBackoffMs`, with ±20 % jitter. */
  initialBackoffMs?: number;
  maxBackoffMs?: number;
  /** How often the agent pings the portal; two missed pongs drop the tunnel. */
  pingIntervalMs?: number;
  logger?: AgentLogger;
}

/** @public */
export type TunnelAgentState =
  | { status: 'connecting'; attempt: number }
  | { status: 'connected'; since: Date }
  | { status: 'waiting'; retryInMs: number; lastError: string }
  | { status: 'stopped' };

/** The tunnel's HTTP/2 receive window, for the connection and each stream. */
const WINDOW_BYTES = 4 * 1024 * 1024;

const silent: AgentLogger = { info() {}, warn() {}, error() {} };

/** A `host:port` pair, with IPv6 brackets removed. */
function splitAuthority(authority: string): { host: string; port: number } {
  const match = /^(?:\[([^\]]+)\]|([^:]+)):(\d{1,5})$/.exec(authority);
  if (!match) {
    throw new Error(`'${authority}' is not host:port`);
  }
  const port = Number(match[3]);
  if (port < 1 || port > 65535) {
    throw new Error(`'${authority}' has no valid port`);
  }
  return { host: match[1] ?? match[2], port };
}

/**
 * The agent: dials the portal over a WebSocket, serves HTTP/2 on it, and relays each `CONNECT` stream
 * for its API server address to that address, byte for byte (TLS stays end to end between the portal
 * and the API server). It reconnects with backoff and jitter whenever the tunnel drops.
 *
 * @public
 */
export class TunnelAgent {
  private stateValue: TunnelAgentState = { status: 'connecting', attempt: 1 };
  private socket?: WebSocket;
  private session?: http2.ServerHttp2Session;
  private retry?: NodeJS.Timeout;
  private stopped = false;
  private attempt = 0;
  /** Tunnels lost or refused in a row: the backoff's exponent. */
  private failures = 0;
  private readonly allowed: { host: string; port: number; authority: string };
  private readonly listeners = new Set<(state: TunnelAgentState) => void>();
  /** Relayed connections, closed when the tunnel goes. */
  private readonly upstreams = new Set<Duplex>();

  private readonly proxyAgent?: http.Agent;

  constructor(private readonly options: TunnelAgentOptions) {
    const { host, port } = splitAuthority(options.apiServer);
    this.allowed = {
      host: host.toLowerCase(),
      port,
      authority: `${
        host.includes(':') ? `[${host}]` : host
      }:${port}`.toLowerCase(),
    };
    const url = new URL(options.portalUrl);
    if (!/^(https?|wss?):$/.test(url.protocol)) {
      throw new Error(
        `the portal URL must be http(s) or ws(s), not '${url.protocol}'`,
      );
    }
    if (options.proxyUrl) {
      const secure = /^(https|wss):$/.test(url.protocol);
      // Keep-alive off: each tunnel is one CONNECT, closed with the tunnel.
      this.proxyAgent = secure
        ? new HttpsProxyAgent({
            proxy: options.proxyUrl,
            keepAlive: false,
            ...(options.portalCa && { ca: options.portalCa }),
          })
        : new HttpProxyAgent({ proxy: options.proxyUrl, keepAlive: false });
    }
  }

  get state(): TunnelAgentState {
    return this.stateValue;
  }

  /** Calls `listener` at every change of state. */
  onState(listener: (state: TunnelAgentState) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  start(): void {
    this.stopped = false;
    this.connect();
  }

  /** Closes the tunnel and every relayed connection; no reconnect. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.retry);
    for (const upstream of this.upstreams) upstream.destroy();
    this.session?.destroy();
    const socket = this.socket;
    if (socket && socket.readyState !== WebSocket.CLOSED) {
      await new Promise<void>(resolve => {
        socket.once('close', () => resolve());
        socket.close(1001, 'agent stopping');
        setTimeout(() => {
          socket.terminate();
          resolve();
        }, 2000).unref();
      });
    }
    this.setState({ status: 'stopped' });
  }

  private setState(state: TunnelAgentState) {
    this.stateValue = state;
    for (const listener of this.listeners) listener(state);
  }

  private get log(): AgentLogger {
    return this.options.logger ?? silent;
  }

  private tunnelUrl(): string {
    const url = new URL(this.options.portalUrl);
    url.protocol = url.protocol.replace(/^http/, 'ws');
    url.pathname = `${url.pathname.replace(/\/+$/, '')}${AGENT_TUNNEL_PATH}`;
    return url.toString();
  }

  private connect() {
    if (this.stopped) return;
    this.attempt += 1;
    this.setState({ status: 'connecting', attempt: this.attempt });
    const { options } = this;
    const socket = new WebSocket(this.tunnelUrl(), AGENT_WS_PROTOCOL, {
      headers: {
        authorization: `Bearer ${options.token}`,
        [AGENT_CLUSTER_HEADER]: options.cluster,
        [AGENT_VERSION_HEADER]: options.version,
        [AGENT_API_SERVER_HEADER]: this.allowed.authority,
      },
      perMessageDeflate: false,
      handshakeTimeout: 15_000,
      ...(options.portalCa && { ca: options.portalCa }),
      ...(this.proxyAgent && { agent: this.proxyAgent }),
    });
    this.socket = socket;
    let refusal: string | undefined;
    let connectedAt: number | undefined;
    socket.on('unexpected-response', (_req, res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8').slice(0, 500);
        refusal = `the portal refused the agent (HTTP ${res.statusCode}): ${
          body.trim() || res.statusMessage
        }`;
        socket.terminate();
      });
    });
    socket.on('open', () => {
      connectedAt = Date.now();
      this.attempt = 0;
      this.serve(socket);
      this.setState({ status: 'connected', since: new Date(connectedAt) });
      this.log.info(
        `tunnel to ${this.tunnelUrl()} open for cluster '${
          options.cluster
        }'; relaying to ${this.allowed.authority}`,
      );
    });
    let failure: string | undefined;
    socket.on('error', error => {
      failure = error.message;
    });
    socket.on('close', (code, reason) => {
      this.session?.destroy();
      this.session = undefined;
      for (const upstream of this.upstreams) upstream.destroy();
      if (this.stopped) return;
      const why =
        refusal ??
        failure ??
        `closed with ${code}${reason.length ? ` ${reason}` : ''}`;
      const waitMs = this.nextBackoff(connectedAt);
      (refusal ? this.log.error : this.log.warn).call(
        this.log,
        `tunnel ${
          connectedAt ? 'lost' : 'not opened'
        }: ${why}; retrying in ${Math.round(waitMs)} ms`,
      );
      this.setState({ status: 'waiting', retryInMs: waitMs, lastError: why });
      this.retry = setTimeout(() => this.connect(), waitMs);
    });
  }

  /**
   * Backoff doubling from the initial wait with each failure in a row, with ±20 % jitter. A tunnel that
   * lasted 30 s starts the count anew; one that a flapping portal drops at once does not.
   */
  private nextBackoff(connectedAt: number | undefined): number {
    const initial = this.options.initialBackoffMs ?? 1000;
    const max = this.options.maxBackoffMs ?? 30_000;
    if (connectedAt && Date.now() - connectedAt > 30_000) {
      this.failures = 0;
    }
    this.failures += 1;
    const base = Math.min(max, initial * 2 ** (this.failures - 1));
    return base * (0.8 + Math.random() * 0.4);
  }

  /** HTTP/2 server on the WebSocket: the portal is the client, sending CONNECT streams. */
  private serve(socket: WebSocket) {
    const duplex = websocketDuplex(socket);
    duplex.on('error', () => {});
    const session = http2.performServerHandshake(duplex, {
      settings: { initialWindowSize: WINDOW_BYTES },
    });
    // Keystrokes are small, but a paste or an upload is not: the connection's window too.
    session.once('localSettings', () =>
      session.setLocalWindowSize(WINDOW_BYTES),
    );
    this.session = session;
    session.on('error', error =>
      this.log.warn(`tunnel HTTP/2 error: ${error.message}`),
    );
    session.on('stream', (stream, headers) => this.relay(stream, headers));
    // WebSocket pings keep proxies from closing an idle tunnel, and find a dead one.
    let missed = 0;
    socket.on('pong', () => {
      missed = 0;
    });
    const ping = setInterval(() => {
      if (missed >= 2) {
        this.log.warn('tunnel missed two pongs; dropping it');
        socket.terminate();
        return;
      }
      missed += 1;
      socket.ping();
    }, this.options.pingIntervalMs ?? 5000);
    ping.unref();
    socket.once('close', () => clearInterval(ping));
  }

  private relay(
    stream: http2.ServerHttp2Stream,
    headers: http2.IncomingHttpHeaders,
  ) {
    stream.on('error', () => {});
    const method = headers[':method'];
    const authority = String(headers[':authority'] ?? '').toLowerCase();
    if (method !== 'CONNECT') {
      stream.respond({ ':status': 405, 'x-reason': 'only CONNECT' });
      stream.end();
      return;
    }
    if (authority !== this.allowed.authority) {
      // Not an open proxy: the one address is the API server's.
      this.log.warn(
        `refused a CONNECT to ${authority.slice(
          0,
          300,
        )}: the agent relays only to ${this.allowed.authority}`,
      );
      stream.respond({
        ':status': 403,
        'x-reason': `the agent relays only to ${this.allowed.authority}`,
      });
      stream.end();
      return;
    }
    const dial =
      this.options.dial ??
      ((host: string, port: number) => net.connect({ host, port }));
    const upstream = dial(this.allowed.host, this.allowed.port);
    // A keystroke goes out at once, not when Nagle's algorithm has gathered more.
    (upstream as net.Socket).setNoDelay?.(true);
    this.upstreams.add(upstream);
    let answered = false;
    const onReady = () => {
      answered = true;
      stream.respond({ ':status': 200 });
      stream.pipe(upstream);
      upstream.pipe(stream);
    };
    if (
      (upstream as net.Socket).connecting === false ||
      !('connecting' in upstream)
    ) {
      onReady();
    } else {
      upstream.once('connect', onReady);
    }
    upstream.on('error', error => {
      if (!answered) {
        answered = true;
        stream.respond({
          ':status': 502,
          'x-reason': `the agent could not reach ${this.allowed.authority}: ${error.message}`,
        });
        stream.end();
      } else {
        stream.close(http2.constants.NGHTTP2_CONNECT_ERROR);
      }
    });
    upstream.on('close', () => {
      this.upstreams.delete(upstream);
      if (!stream.destroyed) stream.end();
    });
    stream.on('close', () => upstream.destroy());
  }
}
