import type { LoggerService } from '@backstage/backend-plugin-api';
import {
  AGENT_API_SERVER_HEADER,
  AGENT_CLUSTER_HEADER,
  AGENT_VERSION_HEADER,
  AGENT_WS_PROTOCOL,
  type TerminalAgentStatus,
} from '@kubernetes-terminal/backstage-plugin-kubernetes-terminal-common';
import type { IncomingMessage } from 'node:http';
import http2 from 'node:http2';
import type { Duplex } from 'node:stream';
import WebSocket, { WebSocketServer, createWebSocketStream } from 'ws';
import type { NewAuditEvent } from '../database/SessionStore';
import { rejectUpgrade } from '../stream/rejectUpgrade';
import { type AgentClusters, matchAgentToken } from './agentConfig';

/** A cluster reached through an agent has no agent connected now. @internal */
export class AgentUnavailableError extends Error {
  constructor(readonly cluster: string, detail: string) {
    super(
      `cluster '${cluster}' is reached through its agent, which is not connected${detail}`,
    );
    this.name = 'AgentUnavailableError';
  }
}

interface Tunnel {
  cluster: string;
  tokenId: string;
  version?: string;
  apiServer?: string;
  since: Date;
  remoteAddress?: string;
  socket: WebSocket;
  session: http2.ClientHttp2Session;
  /** CONNECT streams open now. */
  streams: number;
}

interface Departed {
  at: Date;
  why: string;
}

/** Refused attempts per address in the last window before further ones are answered 429. */
const MAX_REFUSALS = 10;
const REFUSAL_WINDOW_MS = 60_000;
/** An agent's ping is every 5 s; a tunnel silent for this long is dropped. */
const TUNNEL_PING_MS = 10_000;

/** @internal */
export interface AgentTunnelsOptions {
  clusters: AgentClusters;
  logger: LoggerService;
  /** Audit events of agents: connected, disconnected, refused. */
  record?: (event: NewAuditEvent) => void;
  /** How this replica names itself in the agents' health. */
  replica?: string;
}

/**
 * The tunnels of the agents connected to this replica: accepts an agent's WebSocket (its token checked
 * against the cluster's hashed tokens), runs an HTTP/2 client over it, and opens one CONNECT stream per
 * connection the backend makes to that cluster's API server.
 *
 * @internal
 */
export class AgentTunnels {
  private readonly wss = new WebSocketServer({
    noServer: true,
    clientTracking: false,
    perMessageDeflate: false,
    // HTTP/2 frames of at most 16 KiB by default; ws messages carry them whole or in part.
    maxPayload: 1024 * 1024,
    handleProtocols: protocols =>
      protocols.has(AGENT_WS_PROTOCOL) ? AGENT_WS_PROTOCOL : false,
  });
  private readonly tunnels = new Map<string, Tunnel[]>();
  private readonly departed = new Map<string, Departed>();
  private readonly refusals = new Map<string, number[]>();
  private closed = false;

  constructor(private readonly options: AgentTunnelsOptions) {}

  /** Whether the cluster is one reached through an agent. */
  has(cluster: string): boolean {
    return this.options.clusters.has(cluster);
  }

  get clusterNames(): string[] {
    return [...this.options.clusters.keys()];
  }

  /** Takes an agent's upgrade request: refused with a status and a reason, or made a tunnel. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const address = req.socket.remoteAddress ?? 'unknown';
    const refuse = (status: number, reason: string, cluster?: string) => {
      this.noteRefusal(address);
      this.options.logger.warn(
        `agent tunnel refused from ${address}: ${reason}`,
      );
      this.options.record?.({
        eventType: 'agent_refused',
        userEntityRef: agentRef(cluster),
        ...(cluster && { cluster }),
        clientIp: address,
        details: { reason, status },
      });
      reject(status, reason);
    };
    const reject = (
      status: number,
      reason: string,
      headers?: Record<string, string>,
    ) => rejectUpgrade(socket, status, STATUS_TEXT[status], reason, headers);
    if (this.closed) {
      reject(503, 'the backend is shutting down');
      return;
    }
    if (this.tooManyRefusals(address)) {
      // Not audited again: a flood would fill the log.
      reject(
        429,
        `too many refused agent connections from ${address}; wait a minute`,
        { 'retry-after': '60' },
      );
      return;
    }
    const offered = String(req.headers['sec-websocket-protocol'] ?? '')
      .split(',')
      .map(p => p.trim());
    if (!offered.includes(AGENT_WS_PROTOCOL)) {
      refuse(400, `offer the ${AGENT_WS_PROTOCOL} subprotocol`);
      return;
    }
    const cluster = header(req, AGENT_CLUSTER_HEADER);
    const authorization = header(req, 'authorization') ?? '';
    const token = /^Bearer\s+(\S+)$/i.exec(authorization)?.[1];
    if (!cluster) {
      refuse(400, `name the cluster in the ${AGENT_CLUSTER_HEADER} header`);
      return;
    }
    if (!token) {
      refuse(401, 'an agent token (Authorization: Bearer) is required', cluster);
      return;
    }
    const entries = this.options.clusters.get(cluster);
    const entry = entries && matchAgentToken(entries, token);
    if (!entry) {
      // The same answer whether the cluster is unknown or the token is not one of its: no probing.
      refuse(
        401,
        `the token is not one of cluster '${cluster.slice(
          0,
          100,
        )}''s agent tokens (kubernetesTerminal.clusters.<name>.agent.tokens)`,
        entries ? cluster : undefined,
      );
      return;
    }
    this.wss.handleUpgrade(req, socket, head, ws => {
      this.open(ws, {
        cluster,
        tokenId: entry.id,
        version: header(req, AGENT_VERSION_HEADER)?.slice(0, 64),
        apiServer: header(req, AGENT_API_SERVER_HEADER)?.slice(0, 300),
        remoteAddress: address,
      });
    });
  }

  private open(
    socket: WebSocket,
    info: Omit<Tunnel, 'socket' | 'session' | 'since' | 'streams'>,
  ) {
    const duplex = createWebSocketStream(socket);
    duplex.on('error', () => {});
    const session = http2.connect(`http://agent.${info.cluster}.invalid`, {
      createConnection: () => duplex,
      // The API server's responses (pod lists) and exec output flow in; let a stream hold 4 MiB.
      settings: { initialWindowSize: 4 * 1024 * 1024 },
    });
    session.on('error', error =>
      this.options.logger.warn(
        `agent tunnel of cluster '${info.cluster}': ${error.message}`,
      ),
    );
    const tunnel: Tunnel = {
      ...info,
      since: new Date(),
      socket,
      session,
      streams: 0,
    };
    const list = this.tunnels.get(info.cluster) ?? [];
    list.push(tunnel);
    this.tunnels.set(info.cluster, list);
    this.departed.delete(info.cluster);
    this.options.logger.info(
      `agent of cluster '${info.cluster}' connected from ${info.remoteAddress} (token ${info.tokenId}, version ${info.version ?? 'unknown'})`,
    );
    this.options.record?.({
      eventType: 'agent_connected',
      userEntityRef: agentRef(info.cluster),
      cluster: info.cluster,
      clientIp: info.remoteAddress,
      details: {
        tokenId: info.tokenId,
        version: info.version ?? null,
        apiServer: info.apiServer ?? null,
      },
    });
    // The agent pings every 5 s; one silent for 10 s is gone (its TCP connection may never say so).
    let heard = Date.now();
    const alive = () => {
      heard = Date.now();
    };
    socket.on('ping', alive);
    socket.on('pong', alive);
    socket.on('message', alive);
    const watchdog = setInterval(() => {
      if (Date.now() - heard > TUNNEL_PING_MS * 2) socket.terminate();
      else socket.ping();
    }, TUNNEL_PING_MS);
    watchdog.unref();
    socket.once('close', (code, reason) => {
      clearInterval(watchdog);
      session.destroy();
      const remaining = (this.tunnels.get(info.cluster) ?? []).filter(
        t => t !== tunnel,
      );
      if (remaining.length) this.tunnels.set(info.cluster, remaining);
      else this.tunnels.delete(info.cluster);
      const why = `tunnel closed (${code}${
        reason.length ? ` ${reason.toString().slice(0, 200)}` : ''
      })`;
      if (!remaining.length) {
        this.departed.set(info.cluster, { at: new Date(), why });
      }
      this.options.logger.info(
        `agent of cluster '${info.cluster}' disconnected: ${why}`,
      );
      this.options.record?.({
        eventType: 'agent_disconnected',
        userEntityRef: agentRef(info.cluster),
        cluster: info.cluster,
        clientIp: info.remoteAddress,
        details: {
          tokenId: info.tokenId,
          reason: why,
          connectedSeconds: Math.round(
            (Date.now() - tunnel.since.getTime()) / 1000,
          ),
        },
      });
    });
  }

  /**
   * A connection to `host:port` in the cluster, through its newest agent tunnel: an HTTP/2 CONNECT
   * stream. Synchronous, as socket factories are; the agent's refusal (or failure to reach the
   * address) arrives as the stream's error.
   */
  connect(cluster: string, host: string, port: number): Duplex {
    const tunnel = this.tunnels.get(cluster)?.at(-1);
    if (!tunnel || tunnel.session.destroyed || tunnel.session.closed) {
      throw this.unavailable(cluster);
    }
    const authority = `${host.includes(':') ? `[${host}]` : host}:${port}`;
    const stream = tunnel.session.request(
      { ':method': 'CONNECT', ':authority': authority },
      { endStream: false },
    );
    tunnel.streams += 1;
    stream.once('close', () => {
      tunnel.streams -= 1;
    });
    stream.on('response', headers => {
      const status = Number(headers[':status']);
      if (status !== 200) {
        const reason = headers['x-reason'];
        stream.destroy(
          new Error(
            `the agent of cluster '${cluster}' refused the connection to ${authority} (HTTP ${status}${
              reason ? `: ${reason}` : ''
            })`,
          ),
        );
      }
    });
    return stream;
  }

  /** Throws the agent's absence, when a cluster reached through an agent has none now. */
  assertConnected(cluster: string): void {
    if (!this.tunnels.get(cluster)?.length) throw this.unavailable(cluster);
  }

  /** Why the cluster cannot be reached now (no agent connected), or undefined when an agent is. */
  absence(cluster: string): string | undefined {
    return this.tunnels.get(cluster)?.length
      ? undefined
      : this.unavailable(cluster).message;
  }

  private unavailable(cluster: string): AgentUnavailableError {
    const left = this.departed.get(cluster);
    return new AgentUnavailableError(
      cluster,
      left
        ? ` (it left at ${left.at.toISOString()}: ${left.why})`
        : ' (none has connected to this backend since it started)',
    );
  }

  /** The health of every agent cluster. */
  status(): TerminalAgentStatus[] {
    return this.clusterNames.map(cluster => {
      const list = this.tunnels.get(cluster) ?? [];
      const left = this.departed.get(cluster);
      return {
        cluster,
        connected: list.length > 0,
        connections: list.map(t => ({
          tokenId: t.tokenId,
          ...(t.version && { version: t.version }),
          ...(t.apiServer && { apiServer: t.apiServer }),
          since: t.since.toISOString(),
          replica: this.options.replica ?? 'this replica',
          ...(t.remoteAddress && { remoteAddress: t.remoteAddress }),
          openStreams: t.streams,
        })),
        ...(!list.length && left && {
          lastSeen: left.at.toISOString(),
          lastError: left.why,
        }),
      };
    });
  }

  /** Closes every tunnel (their agents reconnect to another replica). */
  async close(): Promise<void> {
    this.closed = true;
    const all = [...this.tunnels.values()].flat();
    await Promise.all(
      all.map(
        t =>
          new Promise<void>(resolve => {
            t.socket.once('close', () => resolve());
            t.session.destroy();
            t.socket.close(1001, 'backend shutting down');
            setTimeout(() => {
              t.socket.terminate();
              resolve();
            }, 2000).unref();
          }),
      ),
    );
  }

  private tooManyRefusals(address: string): boolean {
    const now = Date.now();
    const recent = (this.refusals.get(address) ?? []).filter(
      t => now - t < REFUSAL_WINDOW_MS,
    );
    if (recent.length) this.refusals.set(address, recent);
    else this.refusals.delete(address);
    return recent.length >= MAX_REFUSALS;
  }

  private noteRefusal(address: string) {
    const list = this.refusals.get(address) ?? [];
    list.push(Date.now());
    this.refusals.set(address, list);
    if (this.refusals.size > 10_000) {
      // Bounded: the oldest addresses go first.
      const first = this.refusals.keys().next().value;
      if (first !== undefined) this.refusals.delete(first);
    }
  }
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function agentRef(cluster: string | undefined): string {
  return `agent:${cluster ?? 'unknown'}`;
}

const STATUS_TEXT: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  429: 'Too Many Requests',
  503: 'Service Unavailable',
};
