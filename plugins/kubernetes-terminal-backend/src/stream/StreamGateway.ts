import type { LoggerService } from '@backstage/backend-plugin-api';
import {
  TERMINAL_MAX_MESSAGE_BYTES,
  TERMINAL_TICKET_PROTOCOL_PREFIX,
  TERMINAL_WS_PROTOCOL,
  TerminalCloseCode,
  type TerminalCloseCodeValue,
} from '@kubernetes-terminal/backstage-plugin-kubernetes-terminal-common';
import http, {
  ServerResponse,
  type IncomingMessage,
  type Server,
} from 'node:http';
import https from 'node:https';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { RequestHandler } from 'express';
import WebSocket, { WebSocketServer } from 'ws';
import type { TerminalConfig } from '../config';
import type {
  ClusterAccess,
  ClusterRegistry,
} from '../kubernetes/ClusterRegistry';
import type { SessionRegistry } from '../service/SessionRegistry';
import type { TerminalSessions } from '../sessions/TerminalSessions';
import {
  type SessionStore,
  liveSessionStatuses,
} from '../database/SessionStore';
import type { SessionTracker } from '../sessions/SessionTracker';
import type { TicketStore } from '../service/TicketStore';
import type {
  SessionPodAttachment,
  SessionPodManager,
} from '../sessionPods/SessionPodManager';
import {
  AGENT_TUNNEL_PATH,
  formatProgressLine,
} from '@kubernetes-terminal/backstage-plugin-kubernetes-terminal-common';
import type { AgentTunnels } from '../agents/AgentTunnels';
import { PEER_RELAY_PATH } from '../agents/peerRelay';
import type { DebugContainers } from '../debugContainers/DebugContainers';
import { TerminalRelay } from './TerminalRelay';
import { OutputBudget } from './HeldOutput';
import { rejectUpgrade } from './rejectUpgrade';

/** Marks a terminal WebSocket one replica forwarded to another. */
const FORWARDED_HEADER = 'x-kubernetes-terminal-forwarded-by';
const STREAM_PATH = /^\/sessions\/([0-9a-f-]{36})\/stream$/;

/** @internal */
export interface StreamGatewayOptions {
  /** Path of the plugin's routes on the server, e.g. `/api/kubernetes-terminal`. */
  basePath: string;
  config: TerminalConfig;
  tickets: TicketStore;
  sessions: SessionRegistry;
  clusters: ClusterRegistry;
  terminalSessions: TerminalSessions;
  /** The sessions of every replica: where one held elsewhere is served. */
  store?: SessionStore;
  /** Provisions kubectl session pods; sessions of kind `session-pod` are refused without it. */
  sessionPods?: SessionPodManager;
  /** Debug containers, when the portal offers them. */
  debugContainers?: DebugContainers;
  /** The agents' tunnel endpoint, when some cluster is reached through an agent. */
  agents?: AgentTunnels;
  logger: LoggerService;
}

/**
 * Accepts the browser's terminal WebSockets.
 *
 * Node hands an upgrade request to Express only while its server has no `upgrade` listener; once a
 * plugin such as signals adds one, upgrades bypass Express. So the gateway serves both ways: through
 * the router while no listener exists, and through a listener of its own as soon as another one
 * appears. It never adds the first listener (that would cut off plugins relying on the Express path)
 * and ignores every path that is not its own.
 *
 * @internal
 */
export class StreamGateway {
  private readonly wss: WebSocketServer;
  private readonly servers = new WeakSet<Server>();
  /** Output held for detached sessions, across this backend. */
  readonly budget: OutputBudget;

  constructor(private readonly options: StreamGatewayOptions) {
    this.budget = new OutputBudget(options.config.resume.maxHeldBytes);
    this.wss = new WebSocketServer({
      noServer: true,
      clientTracking: false,
      maxPayload: TERMINAL_MAX_MESSAGE_BYTES,
      perMessageDeflate: false,
      handleProtocols: protocols =>
        protocols.has(TERMINAL_WS_PROTOCOL) ? TERMINAL_WS_PROTOCOL : false,
    });
  }

  /** Router middleware: learns the HTTP server, and takes upgrades that arrive through Express. */
  middleware(): RequestHandler {
    return (req, _res, next) => {
      const server = (req.socket as unknown as { server?: Server }).server;
      if (server) {
        this.watchServer(server);
      }
      if (isWebSocketUpgrade(req) && this.isOwnPath(req.path)) {
        this.handleUpgrade(req, req.socket, Buffer.alloc(0), req.path);
        return;
      }
      next();
    };
  }

  get activeSessions(): number {
    return this.options.sessions.liveCount;
  }

  /**
   * Listens for upgrades on the server from the first request on. An upgrade that reaches Express
   * instead keeps its socket in the HTTP server's bookkeeping, which destroys it once
   * `headersTimeout` has passed (60–90 s): a terminal would die after a minute. While this is the only
   * `upgrade` listener, upgrades for other paths are handed to the HTTP handlers, as Node would have
   * done without a listener, so plugins that take WebSockets through Express (the Kubernetes proxy, the
   * first upgrade of signals) work as before.
   */
  private watchServer(server: Server) {
    if (this.servers.has(server)) {
      return;
    }
    this.servers.add(server);
    server.on(
      'upgrade',
      (req: IncomingMessage, socket: Duplex, head: Buffer) => {
        const path = this.ownPath(req.url);
        if (path) {
          this.handleUpgrade(req, socket, head, path);
        } else if (server.listenerCount('upgrade') === 1) {
          toRequestHandlers(server, req, socket as Socket, head);
        }
      },
    );
  }

  private ownPath(url: string | undefined): string | undefined {
    if (!url) {
      return undefined;
    }
    const pathname = url.split('?')[0];
    if (!pathname.startsWith(`${this.options.basePath}/`)) {
      return undefined;
    }
    const rest = pathname.slice(this.options.basePath.length);
    return this.isOwnPath(rest) ? rest : undefined;
  }

  private isOwnPath(path: string): boolean {
    return (
      STREAM_PATH.test(path) ||
      (this.options.agents !== undefined &&
        (path === AGENT_TUNNEL_PATH || path === PEER_RELAY_PATH))
    );
  }

  private handleUpgrade(
    req: IncomingMessage,
    socket: Duplex,
    head: Buffer,
    path: string,
  ) {
    const { config, sessions, logger, agents } = this.options;
    if (agents && path === PEER_RELAY_PATH) {
      agents.handleRelayUpgrade(req, socket, head);
      return;
    }
    if (agents && path === AGENT_TUNNEL_PATH) {
      if (req.headers.origin !== undefined) {
        // Browsers always send an Origin with a WebSocket; agents never do.
        rejectUpgrade(
          socket,
          403,
          'Forbidden',
          'the agent tunnel is for agents only, not for browsers',
        );
        return;
      }
      agents.handleUpgrade(req, socket, head);
      return;
    }
    const origin = req.headers.origin;
    if (!origin || !config.allowedOrigins.includes(origin)) {
      logger.warn(
        `terminal WebSocket refused: origin ${
          origin ?? '(none)'
        } is not allowed`,
      );
      rejectUpgrade(socket, 403, 'Forbidden', 'origin not allowed');
      return;
    }
    const offered = (req.headers['sec-websocket-protocol'] ?? '')
      .split(',')
      .map(p => p.trim())
      .filter(Boolean);
    const ticket = offered
      .find(p => p.startsWith(TERMINAL_TICKET_PROTOCOL_PREFIX))
      ?.slice(TERMINAL_TICKET_PROTOCOL_PREFIX.length);
    if (!offered.includes(TERMINAL_WS_PROTOCOL) || !ticket) {
      rejectUpgrade(
        socket,
        400,
        'Bad Request',
        `offer the ${TERMINAL_WS_PROTOCOL} subprotocol and a ticket`,
      );
      return;
    }
    const sessionId = STREAM_PATH.exec(path)![1];
    if (
      !sessions.get(sessionId) &&
      this.options.store &&
      // Forwarded once at most: a replica that lost a session (it restarted) under the same
      // address must not hand the socket to itself again and again.
      req.headers[FORWARDED_HEADER] === undefined
    ) {
      // Not one of ours: perhaps another replica's, whose resume ticket this socket carries.
      void this.forwardUpgrade(req, socket, head, sessionId).then(
        forwarded => {
          if (!forwarded)
            this.acceptUpgrade(req, socket, head, sessionId, ticket);
        },
        error => {
          logger.warn(
            `terminal WebSocket for session ${sessionId} not forwarded: ${
              (error as Error).message
            }`,
          );
          rejectUpgrade(
            socket,
            502,
            'Bad Gateway',
            'could not reach the replica holding the session',
          );
        },
      );
      return;
    }
    this.acceptUpgrade(req, socket, head, sessionId, ticket);
  }

  /**
   * Hands the upgrade of a session another replica holds to that replica (the address it stored
   * with the session), and relays the socket's bytes both ways: the ticket is that replica's, and so
   * is every check of it. Returns false when the session is not held elsewhere.
   */
  private async forwardUpgrade(
    req: IncomingMessage,
    socket: Duplex,
    head: Buffer,
    sessionId: string,
  ): Promise<boolean> {
    const stored = await this.options.store!.getSession(sessionId);
    if (
      !stored?.backendAddress ||
      stored.backendInstance === this.options.terminalSessions.instanceId ||
      stored.backendAddress === this.options.config.resume.instanceUrl ||
      !liveSessionStatuses.includes(stored.status)
    ) {
      return false;
    }
    const target = new URL(
      `${stored.backendAddress}/sessions/${sessionId}/stream`,
    );
    const client = target.protocol === 'https:' ? https : http;
    const outgoing = client.request(target, {
      method: 'GET',
      headers: {
        ...req.headers,
        host: target.host,
        [FORWARDED_HEADER]: this.options.terminalSessions.instanceId,
        'x-forwarded-for': [
          req.headers['x-forwarded-for'],
          req.socket.remoteAddress,
        ]
          .filter(Boolean)
          .join(', '),
      },
    });
    outgoing.on('upgrade', (res, upstream, upstreamHead) => {
      const lines = [
        `HTTP/1.1 101 ${res.statusMessage ?? 'Switching Protocols'}`,
      ];
      for (let i = 0; i < res.rawHeaders.length; i += 2) {
        lines.push(`${res.rawHeaders[i]}: ${res.rawHeaders[i + 1]}`);
      }
      socket.write(`${lines.join('\r\n')}\r\n\r\n`);
      if (upstreamHead.length > 0) socket.write(upstreamHead);
      if (head.length > 0) upstream.write(head);
      upstream.pipe(socket);
      socket.pipe(upstream);
      const destroy = () => {
        upstream.destroy();
        socket.destroy();
      };
      upstream.on('error', destroy);
      upstream.on('close', destroy);
      socket.on('error', destroy);
      socket.on('close', destroy);
    });
    outgoing.on('response', res => {
      res.resume();
      rejectUpgrade(
        socket,
        res.statusCode ?? 502,
        res.statusMessage ?? 'Bad Gateway',
        'the replica holding the session refused the connection',
      );
    });
    outgoing.on('error', error => {
      this.options.logger.warn(
        `terminal WebSocket for session ${sessionId}: the replica at ${target.origin} cannot be reached: ${error.message}`,
      );
      rejectUpgrade(
        socket,
        502,
        'Bad Gateway',
        'the replica holding the session cannot be reached',
      );
    });
    outgoing.end();
    return true;
  }

  private acceptUpgrade(
    req: IncomingMessage,
    socket: Duplex,
    head: Buffer,
    sessionId: string,
    ticket: string,
  ) {
    const { tickets, sessions, clusters, logger } = this.options;
    const redeemed = tickets.redeem(ticket, sessionId);
    const session = sessions.get(sessionId);
    let refusal: { code: TerminalCloseCodeValue; reason: string } | undefined;
    if (!redeemed.ok) {
      refusal = {
        code: TerminalCloseCode.Unauthorized,
        reason: redeemed.reason,
      };
    } else if (
      !session ||
      (redeemed.claims.resume
        ? !sessions.partsOf(sessionId)?.relay.resumable
        : session.state !== 'pending')
    ) {
      refusal = {
        code: TerminalCloseCode.Unauthorized,
        reason: 'session is not waiting for a connection',
      };
    } else if (session.userEntityRef !== redeemed.claims.userEntityRef) {
      refusal = {
        code: TerminalCloseCode.Unauthorized,
        reason: 'ticket belongs to another user',
      };
    }
    const cluster = session && clusters.get(session.cluster);
    if (!refusal && !cluster?.access) {
      refusal = {
        code: TerminalCloseCode.NotFound,
        reason: `cluster ${session?.cluster} is not configured`,
      };
    }
    if (
      !refusal &&
      session?.kind === 'debug' &&
      !this.options.debugContainers?.config.enabled
    ) {
      refusal = {
        code: TerminalCloseCode.Forbidden,
        reason: 'debug containers are not enabled',
      };
    }
    if (
      !refusal &&
      session?.kind === 'session-pod' &&
      !this.options.sessionPods?.enabledIn(session.cluster)
    ) {
      refusal = {
        code: TerminalCloseCode.Forbidden,
        reason: `session pods are not enabled in cluster ${session.cluster}`,
      };
    }
    this.wss.handleUpgrade(req, socket, head, ws => {
      if (refusal) {
        // Accepted only to tell the browser why, which an HTTP refusal cannot do.
        logger.info(`terminal session ${sessionId} refused: ${refusal.reason}`);
        ws.close(refusal.code, refusal.reason);
        return;
      }
      const resume = redeemed.ok ? redeemed.claims.resume : undefined;
      if (resume) {
        logger.info(
          `terminal session ${sessionId} resumed by ${
            session!.userEntityRef
          } from byte ${resume.offset}`,
        );
        sessions.partsOf(sessionId)!.relay.resume(ws, resume.offset);
        return;
      }
      // A session pod is the portal's own: it is exec'd into with the backend's credential, as it
      // is provisioned; a workload's container as the person (their token, their impersonation).
      const access = cluster!.access!(
        session!.kind === 'session-pod'
          ? {}
          : sessions.callerOf(session!.id) ?? {},
      );
      this.startRelay(ws, session!, access);
    });
  }

  /**
   * What a relay does before its shell: a session pod is provisioned; a debug container added (or
   * found) and waited for, as the person (their token, their impersonation), with the start-up shown
   * and recorded as it goes.
   */
  private prepareFor(
    session: NonNullable<ReturnType<SessionRegistry['get']>>,
    access: ClusterAccess,
    parts: () => RelayParts,
  ): (() => Promise<void>) | undefined {
    if (session.kind === 'session-pod') {
      return () => parts().attachment!.prepare();
    }
    const debugContainers = this.options.debugContainers;
    if (session.kind === 'debug' && debugContainers) {
      return () =>
        debugContainers.prepare({
          session,
          access,
          progress: (step, message) => {
            parts().relay.notify({ type: 'progress', step, message });
            parts().tracker.recordShown(formatProgressLine(step, message));
          },
          record: event => parts().tracker.record(event),
        });
    }
    return undefined;
  }

  private startRelay(
    ws: WebSocket,
    session: NonNullable<ReturnType<SessionRegistry['get']>>,
    access: ClusterAccess,
  ) {
    const { sessions, config, logger, terminalSessions, sessionPods } =
      this.options;
    sessions.transition(session.id, 'connecting');
    logger.info(
      `terminal session ${session.id} opened by ${session.userEntityRef} on ${session.cluster}/${session.namespace}/${session.pod}/${session.container}`,
    );
    let attachment: SessionPodAttachment | undefined;
    // Filled in below: the preparation runs once the relay has started.
    const parts: Partial<RelayParts> = {};
    const relay = new TerminalRelay({
      browser: ws,
      session,
      access,
      shells: config.shells,
      heartbeatIntervalMs: config.heartbeatIntervalMs,
      logger,
      // The session pod is exec'd into with the backend's credentials; only the pod holds the
      // session's own, narrowly bound token.
      prepare: this.prepareFor(session, access, () => parts as RelayParts),
      onExtend: () => attachment?.extend(),
      resumeGraceMs: config.resume.graceMs,
      budget: this.budget,
      onStateChange: state => sessions.transition(session.id, state),
      onEnd: reason => {
        attachment?.stop();
        sessions.transition(session.id, 'ended', { endReason: reason });
        logger.info(`terminal session ${session.id} ended: ${reason}`);
      },
    });
    const tracker = terminalSessions.track(session, relay);
    relay.observe(tracker);
    if (session.kind === 'session-pod') {
      attachment = sessionPods!.attach(session, relay, tracker);
    }
    Object.assign(parts, { relay, tracker, attachment });
    relay.start();
  }
}

/** What a relay's preparation needs, known once the relay is made. */
interface RelayParts {
  relay: TerminalRelay;
  tracker: SessionTracker;
  attachment?: SessionPodAttachment;
}

function isWebSocketUpgrade(req: IncomingMessage): boolean {
  return (
    (req.headers.upgrade ?? '').toLowerCase() === 'websocket' &&
    (req.headers.connection ?? '')
      .toLowerCase()
      .split(',')
      .some(t => t.trim() === 'upgrade')
  );
}

/** Gives an upgrade request to the server's `request` handlers, on a response bound to its socket. */
function toRequestHandlers(
  server: Server,
  req: IncomingMessage,
  socket: Socket,
  head: Buffer,
) {
  if (head.length > 0) socket.unshift(head);
  const res = new ServerResponse(req);
  res.shouldKeepAlive = false;
  res.assignSocket(socket);
  res.once('finish', () => {
    res.detachSocket(socket);
    socket.end();
  });
  server.emit('request', req, res);
}
