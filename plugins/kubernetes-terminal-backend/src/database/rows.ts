import { JsonObject } from '@backstage/types';
import { InputError } from '@backstage/errors';
import {
  NewAuditEvent,
  NewTerminalSession,
  StoredAuditEvent,
  StoredTerminalSession,
  TerminalSessionPatch,
  terminalSessionStatuses,
} from './SessionStore';

// Rows as knex reads and writes them, and their mapping to the camelCase types of SessionStore.

/** SQLite returns timestamps as epoch milliseconds, PostgreSQL as Date. @internal */
export type DbDate = Date | number | string;

/** @internal */
export type SessionRow = {
  id: string;
  user_entity_ref: string;
  entity_ref: string;
  cluster: string;
  cluster_type: string;
  namespace: string;
  pod: string;
  container: string;
  kind: string;
  status: string;
  created_at: DbDate;
  last_activity_at: DbDate;
  expires_at: DbDate | null;
  max_expires_at?: DbDate | null;
  ended_at: DbDate | null;
  end_reason: string | null;
  client_ip: string | null;
  user_agent: string | null;
  shell: string | null;
  backend_instance: string | null;
  backend_address?: string | null;
  heartbeat_at: DbDate;
};

/** @internal */
export type EventRow = {
  id: string | number;
  session_id: string | null;
  event_type: string;
  user_entity_ref: string;
  entity_ref: string | null;
  cluster: string | null;
  namespace: string | null;
  pod: string | null;
  container: string | null;
  command: string | null;
  client_ip: string | null;
  user_agent: string | null;
  created_at: DbDate;
  details: string | null;
  event_key: string | null;
};

/** @internal */
export function toDate(value: DbDate): Date {
  if (value instanceof Date) {
    return value;
  }
  if (typeof value === 'number') {
    return new Date(value);
  }
  if (/^\d+$/.test(value)) {
    return new Date(Number(value));
  }
  // SQLite's CURRENT_TIMESTAMP is UTC without a zone designator.
  if (/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(\.\d+)?$/.test(value)) {
    return new Date(`${value.replace(' ', 'T')}Z`);
  }
  return new Date(value);
}

/** @internal */
export function toOptionalDate(value: DbDate | null): Date | undefined {
  return value === null || value === undefined ? undefined : toDate(value);
}

/** PostgreSQL refuses NUL in text, which would make a whole batch fail forever. @internal */
export function text(value: string | null | undefined): string | null {
  return value === null || value === undefined
    ? null
    : // PostgreSQL rejects NUL in text columns.
      // eslint-disable-next-line no-control-regex
      String(value).replace(/\u0000/g, '');
}

/** Same, and fits the value into a `string` (varchar 255) column. @internal */
export function str(value: string | null | undefined): string | null {
  const t = text(value);
  return t === null ? null : t.slice(0, 255);
}

/** @internal */
export function optional(value: string | null): string | undefined {
  return value ?? undefined;
}

/** @internal */
export function mapSession(row: SessionRow): StoredTerminalSession {
  return {
    id: row.id,
    userEntityRef: row.user_entity_ref,
    entityRef: row.entity_ref,
    cluster: row.cluster,
    clusterType: row.cluster_type as StoredTerminalSession['clusterType'],
    namespace: row.namespace,
    pod: row.pod,
    container: row.container,
    kind: row.kind as StoredTerminalSession['kind'],
    status: row.status as StoredTerminalSession['status'],
    createdAt: toDate(row.created_at),
    lastActivityAt: toDate(row.last_activity_at),
    expiresAt: toOptionalDate(row.expires_at),
    maxExpiresAt: toOptionalDate(row.max_expires_at ?? null),
    endedAt: toOptionalDate(row.ended_at),
    endReason: optional(row.end_reason),
    clientIp: optional(row.client_ip),
    userAgent: optional(row.user_agent),
    shell: optional(row.shell),
    backendInstance: optional(row.backend_instance),
    backendAddress: optional(row.backend_address ?? null),
    heartbeatAt: toDate(row.heartbeat_at),
  };
}

/** @internal */
export function parseDetails(value: string | null): JsonObject | undefined {
  if (!value) {
    return undefined;
  }
  try {
    const parsed = JSON.parse(value);
    return parsed && typeof parsed === 'object' && !Array.isArray(parsed)
      ? parsed
      : { value: parsed };
  } catch {
    return { unparsable: value };
  }
}

/** @internal */
export function mapEvent(row: EventRow): StoredAuditEvent {
  return {
    id: String(row.id),
    sessionId: optional(row.session_id),
    eventType: row.event_type as StoredAuditEvent['eventType'],
    userEntityRef: row.user_entity_ref,
    entityRef: optional(row.entity_ref),
    cluster: optional(row.cluster),
    namespace: optional(row.namespace),
    pod: optional(row.pod),
    container: optional(row.container),
    command: optional(row.command),
    clientIp: optional(row.client_ip),
    userAgent: optional(row.user_agent),
    createdAt: toDate(row.created_at),
    details: parseDetails(row.details),
  };
}

/** @internal */
export function toEventRow(
  event: NewAuditEvent,
  now: Date,
): Omit<EventRow, 'id'> {
  return {
    session_id: str(event.sessionId),
    event_type: event.eventType,
    user_entity_ref: str(event.userEntityRef)!,
    entity_ref: str(event.entityRef),
    cluster: str(event.cluster),
    namespace: str(event.namespace),
    pod: str(event.pod),
    container: str(event.container),
    command: text(event.command),
    client_ip: str(event.clientIp),
    user_agent: text(event.userAgent),
    created_at: event.createdAt ?? now,
    details: event.details === undefined ? null : JSON.stringify(event.details),
    event_key: str(event.key),
  };
}

/** @internal */
export function toPatchRow(patch: TerminalSessionPatch): Partial<SessionRow> {
  const row: Partial<SessionRow> = {};
  if (patch.status !== undefined) {
    if (!terminalSessionStatuses.includes(patch.status)) {
      throw new InputError(`Invalid session status '${patch.status}'`);
    }
    row.status = patch.status;
  }
  if (patch.lastActivityAt !== undefined) {
    row.last_activity_at = patch.lastActivityAt;
  }
  if (patch.expiresAt !== undefined) {
    row.expires_at = patch.expiresAt;
  }
  if (patch.maxExpiresAt !== undefined) {
    row.max_expires_at = patch.maxExpiresAt;
  }
  if (patch.endedAt !== undefined) {
    row.ended_at = patch.endedAt;
  }
  if (patch.endReason !== undefined) {
    row.end_reason = text(patch.endReason);
  }
  if (patch.shell !== undefined) {
    row.shell = str(patch.shell);
  }
  if (patch.backendInstance !== undefined) {
    row.backend_instance = str(patch.backendInstance);
  }
  if (patch.backendAddress !== undefined) {
    row.backend_address = str(patch.backendAddress);
  }
  if (patch.heartbeatAt !== undefined) {
    row.heartbeat_at = patch.heartbeatAt;
  }
  return row;
}

/** @internal */
export function toSessionRow(session: NewTerminalSession): SessionRow {
  return {
    id: session.id,
    user_entity_ref: session.userEntityRef,
    entity_ref: session.entityRef,
    cluster: session.cluster,
    cluster_type: session.clusterType,
    namespace: session.namespace,
    pod: session.pod,
    container: session.container,
    kind: session.kind,
    status: session.status,
    created_at: session.createdAt,
    last_activity_at: session.lastActivityAt ?? session.createdAt,
    expires_at: session.expiresAt ?? null,
    max_expires_at: session.maxExpiresAt ?? null,
    ended_at: session.endedAt ?? null,
    end_reason: text(session.endReason),
    client_ip: str(session.clientIp),
    user_agent: text(session.userAgent),
    shell: str(session.shell),
    backend_instance: str(session.backendInstance),
    backend_address: str(session.backendAddress),
    heartbeat_at: session.heartbeatAt ?? session.createdAt,
  };
}
