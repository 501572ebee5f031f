import type { TerminalSessionKind } from '@kubernetes-terminal/backstage-plugin-kubernetes-terminal-common';
import { randomUUID } from 'node:crypto';
import type { ClusterCaller } from '../kubernetes/clusterAuth';

/** @internal */
export type SessionState = 'pending' | 'connecting' | 'active' | 'closed';

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

/**
 * The sessions this backend replica knows about. In memory for now: a session lives as long as its
 * WebSocket; the audit issue moves sessions into the portal database.
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

  update(id: string, patch: Partial<TerminalSession>) {
    const session = this.sessions.get(id);
    if (session) {
      Object.assign(session, patch);
    }
  }

  /** Forget a session; pending sessions whose ticket was never used are dropped by `sweep`. */
  remove(id: string) {
    this.sessions.delete(id);
    this.callers.delete(id);
  }

  sweep(olderThan: Date) {
    for (const [id, session] of this.sessions) {
      if (
        (session.state === 'pending' && session.createdAt < olderThan) ||
        session.state === 'closed'
      ) {
        this.remove(id);
      }
    }
  }

  list(): TerminalSession[] {
    return [...this.sessions.values()];
  }
}
