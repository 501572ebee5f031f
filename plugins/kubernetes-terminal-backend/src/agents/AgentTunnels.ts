import type { LoggerService } from '@backstage/backend-plugin-api';
import {
  AGENT_ACTOR_PREFIX,
  AGENT_API_SERVER_HEADER,
  AGENT_CLUSTER_HEADER,
  AGENT_VERSION_HEADER,
  AGENT_WS_PROTOCOL,
  type TerminalAgentConnection,
  type TerminalAgentStatus,
} from '@kubernetes-terminal/backstage-plugin-kubernetes-terminal-common';
import ipaddr from 'ipaddr.js';
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import http2 from 'node:http2';
import type { Duplex } from 'node:stream';
import { websocketDuplex } from '@kubernetes-terminal/kubernetes-terminal-agent';
import WebSocket, { WebSocketServer } from 'ws';
import type { NewAuditEvent } from '../database/SessionStore';
import { rejectUpgrade } from '../stream/rejectUpgrade';
import { type AgentClusters, matchAgentToken } from './agentConfig';
import type {
  AgentTunnelDirectory,
  DirectoryTunnel,
} from './AgentTunnelDirectory';
import {
  type PeerAuth,
  PEER_RELAY_PROTOCOL,
  PEER_RELAY_TO_HEADER,
  relayThroughPeer,
} from './peerRelay';

/** A cluster reached through an agent has no agent connected now. @internal */
export class AgentUnavailableError extends Error {
  constructor(readonly cluster: string, readonly detail: string) {
    super(
      `cluster '${cluster}' is reached through its agent, which is not connected${detail}`,
    );
    this.name = 'AgentUnavailableError';
  }
}

interface Tunnel {
  id: string;
  cluster: string;
  tokenId: string;
  /** The SHA-256 of the token it presented: a tunnel whose token is no longer configured is closed. */
  tokenHash: Buffer;
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

const STATUS_TEXT: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  502: 'Bad Gateway',
  429: 'Too Many Requests',
  503: 'Service Unavailable',
};

/** Refused attempts per address in the last window before further ones are answered 429. */
const MAX_REFUSALS = 10;
const REFUSAL_WINDOW_MS = 60_000;
/** An agent's ping is every 5 s; a tunnel silent for this long is dropped. */
const TUNNEL_PING_MS = 10_000;
/** The tunnel's HTTP/2 receive window, for the connection and each stream. */
const TUNNEL_WINDOW_BYTES = 16 * 1024 * 1024;
/** How often a replica marks its tunnels as alive in the directory. */
const DIRECTORY_TOUCH_MS = 20_000;

/** @internal */
export interface AgentTunnelsOptions {
  clusters: AgentClusters;
  logger: LoggerService;
  /** Audit events of agents: connected, disconnected, refused. */
  record?: (event: NewAuditEvent) => void;
  /**
   * Where the replicas list their tunnels (with several replicas): a replica without a tunnel to a
   * cluster relays through the one that has it. Absent with one replica.
   */
  directory?: AgentTunnelDirectory;
  /** Proves relays between replicas; required with a directory. */
  peers?: PeerAuth;
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
    // The agent sends at most 256 KiB per message (websocketDuplex).
    maxPayload: 1024 * 1024,
    handleProtocols: protocols =>
      protocols.has(AGENT_WS_PROTOCOL) ? AGENT_WS_PROTOCOL : false,
  });
  private readonly tunnels = new Map<string, Tunnel[]>();
  private readonly departed = new Map<string, Departed>();
  private readonly refusals = new Map<string, number[]>();
  private closed = false;
  /** Sockets of other replicas' relays through this one's tunnels. */
  private readonly relays = new Set<Duplex>();
  private readonly touchTimer?: NodeJS.Timeout;

  constructor(private readonly options: AgentTunnelsOptions) {
    const { directory } = options;
    if (directory) {
      this.touchTimer = setInterval(() => {
        const ids = [...this.tunnels.values()].flat().map(t => t.id);
        directory
          .touch(ids)
          .catch(error =>
            options.logger.warn(
              `could not mark the agent tunnels as alive: ${error}`,
            ),
          );
      }, DIRECTORY_TOUCH_MS);
      this.touchTimer.unref();
    }
  }

  private get replicaName(): string {
    return this.options.directory?.ownAddress ?? 'this replica';
  }

  /**
   * Takes the agent tokens anew (the config changed): tunnels whose token is no longer configured for
   * their cluster are closed at once, which is how a token is revoked. Which clusters are reached
   * through an agent is fixed at start.
   */
  updateClusters(clusters: AgentClusters): void {
    for (const name of this.options.clusters.keys()) {
      this.options.clusters.set(name, clusters.get(name) ?? []);
    }
    for (const tunnel of [...this.tunnels.values()].flat()) {
      const still = clusters
        .get(tunnel.cluster)
        ?.some(entry => entry.sha256.equals(tunnel.tokenHash));
      if (!still) {
        this.options.logger.warn(
          `agent of cluster '${tunnel.cluster}' disconnected: its token ${tunnel.tokenId} was revoked`,
        );
        tunnel.socket.close(1008, `token ${tunnel.tokenId} revoked`);
      }
    }
  }

  /** Whether the cluster is one reached through an agent. */
  has(cluster: string): boolean {
    return this.options.clusters.has(cluster);
  }

  get clusterNames(): string[] {
    return [...this.options.clusters.keys()];
  }

  /** Takes an agent's upgrade request: refused with a status and a reason, or made a tunnel. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const address = plainAddress(req.socket.remoteAddress);
    const reject = (
      status: number,
      reason: string,
      headers?: Record<string, string>,
    ) => rejectUpgrade(socket, status, STATUS_TEXT[status], reason, headers);
    const refuse = (status: number, reason: string, cluster?: string) => {
      if (this.tooManyRefusals(address)) {
        // Past the limit, refusals are neither logged nor audited (a flood would fill both). A valid
        // token is still accepted: a bad agent behind the same ingress cannot lock the good ones out.
        reject(
          429,
          `too many refused agent connections from ${address}; wait a minute`,
          { 'retry-after': '60' },
        );
        return;
      }
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
    if (this.closed) {
      reject(503, 'the backend is shutting down');
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
      refuse(
        401,
        'an agent token (Authorization: Bearer) is required',
        cluster,
      );
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
        tokenHash: entry.sha256,
        version: header(req, AGENT_VERSION_HEADER)?.slice(0, 64),
        apiServer: header(req, AGENT_API_SERVER_HEADER)?.slice(0, 300),
        remoteAddress: address,
      });
    });
  }

  private open(
    socket: WebSocket,
    info: Omit<Tunnel, 'id' | 'socket' | 'session' | 'since' | 'streams'>,
  ) {
    const duplex = websocketDuplex(socket);
    duplex.on('error', () => {});
    const session = http2.connect(`http://agent.${info.cluster}.invalid`, {
      createConnection: () => duplex,
      // The API server's responses (pod lists) and exec output flow in; the terminal's own flow
      // control (1 MiB unacknowledged) bounds what a session holds, so the window does not.
      settings: { initialWindowSize: TUNNEL_WINDOW_BYTES },
    });
    session.on('error', error =>
      this.options.logger.warn(
        `agent tunnel of cluster '${info.cluster}': ${error.message}`,
      ),
    );
    // The connection's own window (64 KiB by default) would otherwise cap every stream together:
    // output would wait a round trip to the agent for each 64 KiB.
    session.setLocalWindowSize(TUNNEL_WINDOW_BYTES);
    const tunnel: Tunnel = {
      ...info,
      id: randomUUID(),
      since: new Date(),
      socket,
      session,
      streams: 0,
    };
    const list = this.tunnels.get(info.cluster) ?? [];
    list.push(tunnel);
    this.tunnels.set(info.cluster, list);
    this.departed.delete(info.cluster);
    this.options.directory
      ?.announce({
        id: tunnel.id,
        cluster: info.cluster,
        tokenId: info.tokenId,
        version: info.version,
        apiServer: info.apiServer,
        remoteAddress: info.remoteAddress,
        connectedAt: tunnel.since,
      })
      .catch(error =>
        this.options.logger.warn(
          `could not list the agent tunnel of cluster '${info.cluster}' for the other replicas: ${error}`,
        ),
      );
    this.options.logger.info(
      `agent of cluster '${info.cluster}' connected from ${
        info.remoteAddress
      } (token ${info.tokenId}, version ${info.version ?? 'unknown'})`,
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
    // The agent pings every 5 s; one silent for 20 s is gone (its TCP connection may never say so).
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
      this.options.directory?.withdraw(tunnel.id).catch(() => {});
      const remaining = (this.tunnels.get(info.cluster) ?? []).filter(
        t => t !== tunnel,
      );
      if (remaining.length) this.tunnels.set(info.cluster, remaining);
      else this.tunnels.delete(info.cluster);
      const why = tunnelCloseReason(code, reason.toString().slice(0, 200));
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
   * A connection to `host:port` in the cluster: a CONNECT stream of this replica's newest tunnel to it,
   * or else a relay through the replica that holds one. The agent's refusal (or its failure to reach
   * the address) arrives as the stream's error.
   */
  async connect(cluster: string, host: string, port: number): Promise<Duplex> {
    const authority = `${host.includes(':') ? `[${host}]` : host}:${port}`;
    const tunnel = this.localTunnel(cluster);
    if (tunnel) return this.openStream(tunnel, authority);
    const { directory, peers } = this.options;
    const [holder] = directory && peers ? await directory.others(cluster) : [];
    if (!holder || !peers) throw this.unavailable(cluster);
    return relayThroughPeer({
      address: holder.replicaAddress,
      cluster,
      authority,
      token: await peers.token(),
    });
  }

  private localTunnel(cluster: string): Tunnel | undefined {
    const tunnel = this.tunnels.get(cluster)?.at(-1);
    return tunnel && !tunnel.session.destroyed && !tunnel.session.closed
      ? tunnel
      : undefined;
  }

  private openStream(
    tunnel: Tunnel,
    authority: string,
  ): http2.ClientHttp2Stream {
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
            `the agent of cluster '${
              tunnel.cluster
            }' refused the connection to ${authority} (HTTP ${status}${
              reason ? `: ${reason}` : ''
            })`,
          ),
        );
      }
    });
    return stream;
  }

  /**
   * Another replica's relay through one of this replica's tunnels (see {@link relayThroughPeer}):
   * only from this plugin, only through a tunnel held here (a relay is never relayed again).
   */
  handleRelayUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const reject = (status: number, reason: string) =>
      rejectUpgrade(socket, status, STATUS_TEXT[status] ?? 'Error', reason);
    const token = /^Bearer\s+(\S+)$/i.exec(
      header(req, 'authorization') ?? '',
    )?.[1];
    const verified =
      token && this.options.peers
        ? this.options.peers.verify(token).catch(() => false)
        : Promise.resolve(false);
    void verified.then(ok => {
      // The other replica may have given up while the token was checked.
      if (socket.destroyed) return;
      if (!ok) {
        reject(
          403,
          'only another replica of this plugin may relay through its agent tunnels',
        );
        return;
      }
      if (
        String(req.headers.upgrade ?? '').toLowerCase() !== PEER_RELAY_PROTOCOL
      ) {
        reject(400, `upgrade to ${PEER_RELAY_PROTOCOL}`);
        return;
      }
      const cluster = header(req, AGENT_CLUSTER_HEADER) ?? '';
      const authority = header(req, PEER_RELAY_TO_HEADER) ?? '';
      const tunnel = this.localTunnel(cluster);
      if (!tunnel) {
        reject(503, this.unavailable(cluster).message);
        return;
      }
      const stream = this.openStream(tunnel, authority);
      let upgraded = false;
      stream.once('response', headers => {
        if (Number(headers[':status']) !== 200) return;
        upgraded = true;
        socket.write(
          `HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: ${PEER_RELAY_PROTOCOL}\r\n\r\n`,
        );
        if (head.length) stream.write(head);
        socket.pipe(stream);
        stream.pipe(socket);
      });
      stream.on('error', error => {
        if (upgraded) socket.destroy();
        else reject(502, error.message);
      });
      stream.on('close', () => socket.destroy());
      this.relays.add(socket);
      socket.on('error', () => stream.destroy());
      socket.on('close', () => {
        this.relays.delete(socket);
        stream.destroy();
      });
    });
  }

  /** Throws the agent's absence, when no replica holds a tunnel to the cluster now. */
  async assertConnected(cluster: string): Promise<void> {
    const why = await this.absence(cluster);
    if (why) throw new AgentUnavailableError(cluster, why);
  }

  /** Why the cluster cannot be reached now (no replica holds a tunnel to it), or undefined. */
  async absence(cluster: string): Promise<string | undefined> {
    if (this.localTunnel(cluster)) return undefined;
    const { directory } = this.options;
    if (directory && (await directory.others(cluster)).length) {
      return undefined;
    }
    return this.unavailable(cluster).detail;
  }

  private unavailable(cluster: string): AgentUnavailableError {
    const left = this.departed.get(cluster);
    let detail = ' (none has connected to this backend since it started)';
    if (left) {
      detail = ` (it left at ${left.at.toISOString()}: ${left.why})`;
    } else if (this.options.directory) {
      detail = ' (no replica of the portal holds a tunnel from it)';
    }
    return new AgentUnavailableError(cluster, detail);
  }

  /** The health of every agent cluster: this replica's tunnels and, with several, the others'. */
  async status(): Promise<TerminalAgentStatus[]> {
    const others = this.options.directory
      ? await this.options.directory.others()
      : [];
    return this.clusterNames.map(cluster => {
      const local = this.tunnels.get(cluster) ?? [];
      const remote = others.filter(t => t.cluster === cluster);
      const left = this.departed.get(cluster);
      const connections: TerminalAgentConnection[] = [
        ...local.map(t => ({
          ...connectionOf({ ...t, connectedAt: t.since }),
          replica: this.replicaName,
          openStreams: t.streams,
        })),
        ...remote.map(t => ({
          ...connectionOf(t),
          replica: t.replicaAddress,
        })),
      ];
      return {
        cluster,
        connected: connections.length > 0,
        connections,
        ...(!connections.length &&
          left && {
            lastSeen: left.at.toISOString(),
            lastError: left.why,
          }),
      };
    });
  }

  /** Closes every tunnel (their agents reconnect to another replica). */
  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.touchTimer);
    for (const socket of this.relays) socket.destroy();
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

/** What this replica's tunnels and the directory's have in common, as the health shows it. */
function connectionOf(
  t: Pick<
    DirectoryTunnel,
    'tokenId' | 'version' | 'apiServer' | 'remoteAddress' | 'connectedAt'
  >,
) {
  return {
    tokenId: t.tokenId,
    ...(t.version && { version: t.version }),
    ...(t.apiServer && { apiServer: t.apiServer }),
    since: t.connectedAt.toISOString(),
    ...(t.remoteAddress && { remoteAddress: t.remoteAddress }),
  };
}

/** Why a tunnel closed, in words: the agent's own reason, or what the close code means. */
function tunnelCloseReason(code: number, reason: string): string {
  if (reason) return `the tunnel closed: ${reason} (${code})`;
  if (code === 1006) {
    return 'the tunnel dropped without a goodbye: the agent stopped or the network to it failed (1006)';
  }
  if (code === 1001) return 'the agent or the backend went away (1001)';
  return `the tunnel closed (${code})`;
}

/** An address as people write it: IPv4 without its IPv6-mapped form. */
function plainAddress(address: string | undefined): string {
  if (!address) return 'unknown';
  return ipaddr.isValid(address) ? ipaddr.process(address).toString() : address;
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function agentRef(cluster: string | undefined): string {
  return `${AGENT_ACTOR_PREFIX}${cluster ?? 'unknown'}`;
}
