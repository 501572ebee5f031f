import type { TerminalSessionKind } from '@kubernetes-terminal/backstage-plugin-kubernetes-terminal-common';
import { randomUUID } from 'node:crypto';
import type { ClusterCaller } from '../kubernetes/clusterAuth';
import type { TerminalRelay } from '../stream/TerminalRelay';
import type { SessionTracker } from '../sessions/SessionTracker';

/**
 * Where a session of this replica stands:
 *
 * ```
 * pending ──► connecting ──► connected ◄──► detached
 *    │            │              │              │
 *    └────────────┴──────────────┴──────────────┴──► ended
 * ```
 *
 * `pending`: created over REST, its ticket not used yet. `connecting`: the socket is open, the session
 * pod or debug container is prepared and a shell tried. `connected`: a shell runs and a browser is
 * attached. `detached`: the shell runs, the browser's socket was lost; it may be resumed within the
 * grace period. `ended`: gone for good (the entry is then forgotten).
 *
 * @internal
 */
export type SessionState =
  | 'pending'
  | 'connecting'
  | 'connected'
  | 'detached'
  | 'ended';

const TRANSITIONS: Record<SessionState, readonly SessionState[]> = {
  pending: ['connecting', 'ended'],
  connecting: ['connected', 'ended'],
  connected: ['detached', 'connected', 'ended'],
  detached: ['connected', 'ended'],
  ended: [],
};

/** States in which a session has a relay, i.e. counts as live on this replica. */
const RELAYED_STATES: readonly SessionState[] = [
  'connecting',
  'connected',
  'detached',
];

/** @internal */
export interface TerminalSession {
  id: string;
  /** Default `exec`; a `session-pod` session is provisioned before its relay starts. */
  kind?: TerminalSessionKind;
  userEntityRef: string;
  entityRef: string;
  cluster: string;
  namespace: string;
  pod: string;
  container: string;
  initialSize?: { cols: number; rows: number };
  /** False: the shell runs without a terminal (programmatic clients). Default true. */
  tty?: boolean;
  state: SessionState;
  createdAt: Date;
  clientIp?: string;
  userAgent?: string;
  shell?: string;
  endReason?: string;
  /** Debug sessions: the debug container attached to, once added or found (`container` is its target). */
  debugContainer?: string;
  /** Session pods: when the pod expires, and the cap of extensions. */
  expiresAt?: Date;
  maxExpiresAt?: Date;
}

/** A live session's moving parts, set once its socket opened. @internal */
export interface SessionParts {
  relay: TerminalRelay;
  tracker: SessionTracker;
}

/** @internal */
export class IllegalTransitionError extends Error {
  constructor(id: string, from: SessionState, to: SessionState) {
    super(`terminal session ${id} cannot go from ${from} to ${to}`);
  }
}

/**
 * The one registry of this replica's sessions, from `POST /sessions` to their end, with their state
 * (see {@link SessionState}), whom their calls to the cluster are made for, and their relay and
 * tracker. The stream gateway, the session bookkeeping (heartbeats, termination, shutdown) and the
 * REST routes all read it; nothing else keeps a list of live sessions.
 *
 * @internal
 */
export class SessionRegistry {
  private readonly sessions = new Map<string, TerminalSession>();
  /**
   * Whom each session's calls to the cluster are made for (the person's token, their impersonated
   * identity): kept apart from the session, which is logged and stored, and in memory only.
   */
  private readonly callers = new Map<string, ClusterCaller>();
  private readonly parts = new Map<
    string,
    SessionParts & { session: TerminalSession }
  >();

  create(
    fields: Omit<TerminalSession, 'id' | 'state' | 'createdAt'>,
    caller: ClusterCaller = {},
  ): TerminalSession {
    const session: TerminalSession = {
      ...fields,
      id: randomUUID(),
      state: 'pending',
      createdAt: new Date(),
    };
    this.sessions.set(session.id, session);
    this.callers.set(session.id, caller);
    return session;
  }

  callerOf(id: string): ClusterCaller | undefined {
    return this.callers.get(id);
  }

  get(id: string): TerminalSession | undefined {
    return this.sessions.get(id);
  }

  /**
   * Moves a session to its next state; a move the diagram does not allow throws. Reaching `ended`
   * forgets the session.
   */
  transition(id: string, to: SessionState, patch?: Partial<TerminalSession>) {
    const session = this.sessions.get(id);
    if (!session) {
      return;
    }
    if (!TRANSITIONS[session.state].includes(to)) {
      throw new IllegalTransitionError(id, session.state, to);
    }
    Object.assign(session, patch, { state: to });
    if (to === 'ended') {
      this.remove(id);
    }
  }

  /** Gives a session whose socket opened its relay and tracker. */
  setParts(session: TerminalSession, parts: SessionParts) {
    this.parts.set(session.id, { session, ...parts });
  }

  partsOf(id: string): SessionParts | undefined {
    return this.parts.get(id);
  }

  /** The sessions with a relay on this replica (connecting, connected or detached). */
  live(): Array<SessionParts & { session: TerminalSession }> {
    return [...this.parts.values()].filter(p =>
      RELAYED_STATES.includes(p.session.state),
    );
  }

  get liveCount(): number {
    return this.parts.size;
  }

  /** Forget a session; pending sessions whose ticket was never used are dropped by `sweep`. */
  private remove(id: string) {
    this.sessions.delete(id);
    this.callers.delete(id);
    this.parts.delete(id);
  }

  /** Drops sessions whose ticket was never used. */
  sweep(olderThan: Date) {
    for (const [id, session] of this.sessions) {
      if (session.state === 'pending' && session.createdAt < olderThan) {
        this.transition(id, 'ended');
      }
    }
  }
}
