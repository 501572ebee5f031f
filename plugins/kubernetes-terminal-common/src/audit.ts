/**
 * Types of the sessions and audit log API (`/sessions`, `/audit-events`).
 */

/** @public */
export type TerminalSessionStatus =
  | 'active'
  | 'idle'
  /** The browser's socket is gone; the shell runs on, to be resumed within the grace period. */
  | 'detached'
  | 'expired'
  | 'closed'
  | 'terminated';

/** @public */
export const TERMINAL_SESSION_STATUSES: TerminalSessionStatus[] = [
  'active',
  'idle',
  'detached',
  'expired',
  'closed',
  'terminated',
];

/**
 * Statuses of a session that has not ended: its shell runs on some backend replica (attached to a
 * browser, or detached and waiting to be resumed).
 *
 * @public
 */
export const TERMINAL_LIVE_SESSION_STATUSES: readonly TerminalSessionStatus[] =
  ['active', 'idle', 'detached'];

/** Whether a session with this status has not ended. @public */
export function isLiveSessionStatus(status: TerminalSessionStatus): boolean {
  return TERMINAL_LIVE_SESSION_STATUSES.includes(status);
}

/**
 * `exec` enters a container of the entity's pods; `session-pod` is a kubectl session pod; `debug` is
 * a debug container (an ephemeral container beside one of the entity's containers, attached to).
 *
 * @public
 */
export type TerminalSessionKind = 'exec' | 'session-pod' | 'debug';

/** @public */
export type TerminalClusterType = 'public' | 'private';

/**
 * A terminal session as recorded in the portal database. Dates are ISO 8601 strings.
 *
 * @public
 */
export interface TerminalSessionRecord {
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
  createdAt: string;
  lastActivityAt: string;
  expiresAt?: string;
  /** Session pods: the latest `expiresAt` extensions can reach. */
  maxExpiresAt?: string;
  endedAt?: string;
  endReason?: string;
  clientIp?: string;
  userAgent?: string;
  shell?: string;
}

/** @public */
export type TerminalAuditEventType =
  | 'connect'
  | 'disconnect'
  | 'command_executed'
  | 'resize'
  | 'denied'
  | 'extend'
  | 'expire'
  | 'idle'
  | 'terminate'
  /** A debug container was added to a pod (`details`: image, profile, target, container). */
  | 'debug_container_created'
  /** The browser's socket was lost; the session waits to be resumed (`details`: reason, graceSeconds). */
  | 'detach'
  /** The session was resumed on a new socket (`details`: offset, replayedBytes, missedBytes, replica). */
  | 'resume'
  /** A cluster's agent opened its tunnel (`details`: tokenId, version, apiServer); `clientIp` is its address. */
  | 'agent_connected'
  /** A cluster's agent tunnel closed (`details`: tokenId, reason, connectedSeconds). */
  | 'agent_disconnected'
  /** An agent was refused: a bad or missing token, another cluster's token (`details`: reason, status). */
  | 'agent_refused';

/** @public */
export const TERMINAL_AUDIT_EVENT_TYPES: TerminalAuditEventType[] = [
  'connect',
  'disconnect',
  'command_executed',
  'resize',
  'denied',
  'extend',
  'expire',
  'idle',
  'terminate',
  'debug_container_created',
  'detach',
  'resume',
  'agent_connected',
  'agent_disconnected',
  'agent_refused',
];

/**
 * One audit event. `details` holds event-specific data (e.g. `{ cols, rows }` for a resize, the
 * reason of a denial, who terminated a session).
 *
 * @public
 */
export interface TerminalAuditEvent {
  id: string;
  sessionId?: string;
  type: TerminalAuditEventType;
  userEntityRef: string;
  entityRef?: string;
  cluster?: string;
  namespace?: string;
  pod?: string;
  container?: string;
  command?: string;
  clientIp?: string;
  userAgent?: string;
  createdAt: string;
  details?: Record<string, unknown>;
}

/**
 * A page of a cursor-paginated list, newest first. Pass `nextCursor` as `cursor` for the next page.
 *
 * @public
 */
export interface TerminalPage<T> {
  items: T[];
  nextCursor?: string;
}

/**
 * Query parameters of `GET /sessions` (all optional). Without the audit-read permission, `user` is
 * always the caller.
 *
 * @public
 */
export interface TerminalSessionQuery {
  user?: string;
  entityRef?: string;
  cluster?: string;
  namespace?: string;
  /** One or more statuses. */
  status?: TerminalSessionStatus[];
  kind?: TerminalSessionKind;
  /** ISO 8601 bounds on the creation time. */
  from?: string;
  to?: string;
  cursor?: string;
  /** 1–500, default 50. */
  limit?: number;
}

/**
 * Query parameters of `GET /audit-events` and `GET /audit-events/export?format=csv|json`.
 *
 * @public
 */
export interface TerminalAuditEventQuery {
  sessionId?: string;
  user?: string;
  entityRef?: string;
  cluster?: string;
  namespace?: string;
  /** One or more event types. */
  type?: TerminalAuditEventType[];
  from?: string;
  to?: string;
  /** Free text, matched case-insensitively within commands. */
  q?: string;
  cursor?: string;
  limit?: number;
}

/**
 * Answer of `GET /sessions/:id`.
 *
 * @public
 */
export interface TerminalSessionDetail {
  session: TerminalSessionRecord;
  /** The session's events, oldest first. */
  events: TerminalAuditEvent[];
  /** Whether the caller may end this session now. */
  canTerminate: boolean;
  /** The session's recording, if one was made. */
  recording?: TerminalRecordingInfo;
}

/**
 * What is known of a session's recording (asciicast v2: output and resizes, never input).
 *
 * @public
 */
export interface TerminalRecordingInfo {
  /** Bytes stored so far: the terminal's output as it came, and a few per event (the `.cast` is larger). */
  bytes: number;
  /** Whether the recording stopped at the configured size cap or lost output. */
  truncated: boolean;
  /** Still being written (the session is live, or its replica has not finished it). */
  inProgress: boolean;
  /** Whether the caller may replay and download it (`kubernetes.terminal.recording.read`). */
  canRead: boolean;
}
