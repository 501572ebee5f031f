import { InputError } from '@backstage/errors';
import { JsonObject } from '@backstage/types';
import {
  TERMINAL_AUDIT_EVENT_TYPES,
  TERMINAL_LIVE_SESSION_STATUSES,
  TERMINAL_SESSION_STATUSES,
  type TerminalAuditEventType,
  type TerminalClusterType,
  type TerminalSessionKind,
  type TerminalSessionStatus,
} from '@kubernetes-terminal/backstage-plugin-kubernetes-terminal-common';

// The vocabulary is the API's, defined once in the common package.
/** @internal */
export type {
  TerminalSessionStatus,
  TerminalSessionKind,
  TerminalClusterType,
} from '@kubernetes-terminal/backstage-plugin-kubernetes-terminal-common';

/** @internal */
export const terminalSessionStatuses: readonly TerminalSessionStatus[] =
  TERMINAL_SESSION_STATUSES;

/** Statuses of a session whose stream is still open somewhere. @internal */
export const liveSessionStatuses: readonly TerminalSessionStatus[] =
  TERMINAL_LIVE_SESSION_STATUSES;

/** Statuses a session can end in. @internal */
export type EndedSessionStatus = Exclude<
  TerminalSessionStatus,
  'active' | 'idle' | 'detached'
>;

/** @internal */
export const auditEventTypes: readonly AuditEventType[] =
  TERMINAL_AUDIT_EVENT_TYPES;

/** @internal */
export type AuditEventType = TerminalAuditEventType;

/** @internal */
export function isAuditEventType(value: unknown): value is AuditEventType {
  return (auditEventTypes as readonly unknown[]).includes(value);
}

/** @internal */
export interface StoredTerminalSession {
  id: string;
  userEntityRef: string;
  entityRef: string;
  cluster: string;
  clusterType: TerminalClusterType;
  namespace: string;
  pod: string;
  container: string;
  kind: TerminalSessionKind;
  status: TerminalSessionStatus;
  createdAt: Date;
  lastActivityAt: Date;
  expiresAt?: Date;
  /** Session pods: the latest `expiresAt` extensions can reach. */
  maxExpiresAt?: Date;
  endedAt?: Date;
  endReason?: string;
  clientIp?: string;
  userAgent?: string;
  shell?: string;
  backendInstance?: string;
  /** Where other replicas reach the replica serving it (its internal base URL), when configured. */
  backendAddress?: string;
  heartbeatAt: Date;
}

/**
 * A session to record. `lastActivityAt` and `heartbeatAt` default to `createdAt`.
 *
 * @internal
 */
export type NewTerminalSession = Omit<
  StoredTerminalSession,
  'lastActivityAt' | 'heartbeatAt'
> & {
  lastActivityAt?: Date;
  heartbeatAt?: Date;
};

/**
 * Fields of a session that may change; `null` clears a nullable field, `undefined` leaves it.
 *
 * @internal
 */
export interface TerminalSessionPatch {
  status?: TerminalSessionStatus;
  lastActivityAt?: Date;
  expiresAt?: Date | null;
  maxExpiresAt?: Date | null;
  endedAt?: Date | null;
  endReason?: string | null;
  shell?: string | null;
  backendInstance?: string | null;
  backendAddress?: string | null;
  heartbeatAt?: Date;
}

/** @internal */
export interface SessionFilter {
  userEntityRef?: string;
  entityRef?: string;
  cluster?: string;
  namespace?: string;
  pod?: string;
  status?: TerminalSessionStatus | TerminalSessionStatus[];
  kind?: TerminalSessionKind;
  /** Inclusive lower bound of `createdAt`. */
  from?: Date;
  /** Exclusive upper bound of `createdAt`. */
  to?: Date;
}

/** @internal */
export interface NewAuditEvent {
  /** Absent for events that belong to no session, such as a denied open. */
  sessionId?: string;
  eventType: AuditEventType;
  userEntityRef: string;
  entityRef?: string;
  cluster?: string;
  namespace?: string;
  pod?: string;
  container?: string;
  command?: string;
  clientIp?: string;
  userAgent?: string;
  /** When it happened; the store uses the time of writing if absent. Millisecond precision. */
  createdAt?: Date;
  details?: JsonObject;
  /**
   * Unique per event, given by the audit writer when it queues it: an event written again (a retried
   * batch whose first write had committed) is stored once.
   */
  key?: string;
}

/** @internal */
export type StoredAuditEvent = Omit<NewAuditEvent, 'createdAt' | 'key'> & {
  /** A 64-bit serial, as a string because PostgreSQL returns `bigint` as one. */
  id: string;
  createdAt: Date;
};

/** @internal */
export interface EventFilter {
  sessionId?: string;
  userEntityRef?: string;
  entityRef?: string;
  cluster?: string;
  namespace?: string;
  eventType?: AuditEventType | AuditEventType[];
  /** Inclusive lower bound of `createdAt`. */
  from?: Date;
  /** Exclusive upper bound of `createdAt`. */
  to?: Date;
  /** Matched case-insensitively (ASCII on SQLite) anywhere in `command`; wildcards are literal. */
  text?: string;
}

/** @internal */
export interface PageQuery<TFilter> {
  filter: TFilter;
  /** Page size, at least 1. */
  limit: number;
  /** `nextCursor` of the previous page; opaque. */
  cursor?: string;
  /**
   * Whether to count every match of the filter as well; defaults to true for sessions and to
   * false for audit events, where a count over a large table is expensive.
   */
  includeTotalCount?: boolean;
}

/** @internal */
export interface Page<T> {
  /** Newest first. */
  items: T[];
  /** Present when more items follow. */
  nextCursor?: string;
  totalCount?: number;
}

/**
 * Persistence of terminal sessions and their audit trail.
 *
 * @internal
 */
export interface SessionStore {
  /** Throws `ConflictError` if the id is taken. */
  createSession(session: NewTerminalSession): Promise<void>;
  /** Throws `NotFoundError` if there is no such session. */
  updateSession(id: string, patch: TerminalSessionPatch): Promise<void>;
  getSession(id: string): Promise<StoredTerminalSession | undefined>;
  /** The sessions among `ids` that exist, in no particular order; one query per few hundred ids. */
  getSessions(ids: string[]): Promise<StoredTerminalSession[]>;
  /** Throws `InputError` on an invalid cursor or limit. */
  listSessions(
    query: PageQuery<SessionFilter>,
  ): Promise<Page<StoredTerminalSession>>;

  /** Writes all events or none, in the given order. Throws `InputError` on an invalid event. */
  appendEvents(events: NewAuditEvent[]): Promise<void>;
  /** Throws `InputError` on an invalid cursor or limit. */
  listEvents(query: PageQuery<EventFilter>): Promise<Page<StoredAuditEvent>>;

  /**
   * Session pods: sets the expiry of every live session on that pod (all tabs, all replicas);
   * returns how many there were.
   */
  updateSessionPodExpiry(
    target: { cluster: string; namespace: string; pod: string },
    expiry: { expiresAt: Date; maxExpiresAt: Date },
  ): Promise<number>;

  /** Marks live sessions as held by this replica at `at`. */
  heartbeat(instanceId: string, sessionIds: string[], at: Date): Promise<void>;
  /** Live (active or idle) sessions whose heartbeat is older than `olderThan`, oldest first. */
  findStaleSessions(olderThan: Date): Promise<StoredTerminalSession[]>;
  /**
   * Ends those of the sessions that are still live and returns their ids; sessions that already
   * ended keep their first end, so concurrent reapers record each end once.
   */
  endSessions(
    ids: string[],
    options: { status: EndedSessionStatus; endReason: string; endedAt: Date },
  ): Promise<string[]>;

  /** Retention: deletes events created, and sessions ended, before `cutoff`. */
  deleteOlderThan(cutoff: Date): Promise<{ sessions: number; events: number }>;
}

/**
 * Rejects what the database would refuse or a reader could not interpret, so that a bad event
 * never reaches (and jams) a write batch.
 *
 * @internal
 */
export function validateAuditEvent(event: NewAuditEvent): void {
  if (!event || typeof event !== 'object') {
    throw new InputError('Audit event must be an object');
  }
  if (!isAuditEventType(event.eventType)) {
    throw new InputError(
      `Invalid audit event type '${String(
        event.eventType,
      )}', expected one of ${auditEventTypes.join(', ')}`,
    );
  }
  if (typeof event.userEntityRef !== 'string' || !event.userEntityRef) {
    throw new InputError('Audit event must have a userEntityRef');
  }
  if (
    event.createdAt !== undefined &&
    (!(event.createdAt instanceof Date) || isNaN(event.createdAt.getTime()))
  ) {
    throw new InputError('Audit event createdAt must be a valid Date');
  }
  if (
    event.key !== undefined &&
    (typeof event.key !== 'string' || !event.key || event.key.length > 36)
  ) {
    throw new InputError(
      'Audit event key must be a string of 1 to 36 characters',
    );
  }
}
