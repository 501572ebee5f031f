import { parseEntityRef, stringifyEntityRef } from '@backstage/catalog-model';
import {
  TERMINAL_AUDIT_EVENT_TYPES,
  TERMINAL_LIVE_SESSION_STATUSES,
  type TerminalAuditEventQuery,
  type TerminalAuditEventType,
  type TerminalSessionQuery,
} from '@kubernetes-terminal/backstage-plugin-kubernetes-terminal-common';

/**
 * The filters of the sessions page, as kept in the URL so that a filtered view can be linked to
 * (the entity card links here with `entityRef`).
 *
 * @internal
 */
export interface SessionsFilters {
  user?: string;
  entityRef?: string;
  cluster?: string;
  namespace?: string;
  /** Audit log only. */
  types: TerminalAuditEventType[];
  /** Audit log only; ISO 8601. */
  from?: string;
  /** Audit log only; ISO 8601. */
  to?: string;
  /** Audit log only: text within commands. */
  q?: string;
  /** The sessions table lists ended sessions too, not only live ones. */
  includeEnded: boolean;
}

/** @internal */
export const LIVE_SESSIONS_LIMIT = 100;

/** @internal */
export const AUDIT_PAGE_SIZE = 50;

const TEXT_KEYS = [
  'user',
  'entityRef',
  'cluster',
  'namespace',
  'from',
  'to',
  'q',
] as const;

/** @internal */
export function filtersFromSearchParams(
  params: URLSearchParams,
): SessionsFilters {
  const filters: SessionsFilters = {
    types: params
      .getAll('type')
      .filter((t): t is TerminalAuditEventType =>
        TERMINAL_AUDIT_EVENT_TYPES.includes(t as TerminalAuditEventType),
      ),
    includeEnded: params.get('sessions') === 'all',
  };
  for (const key of TEXT_KEYS) {
    const value = params.get(key)?.trim();
    if (value) {
      filters[key] = value;
    }
  }
  return filters;
}

/** @internal */
export function filtersToSearchParams(
  filters: SessionsFilters,
): URLSearchParams {
  const params = new URLSearchParams();
  for (const key of TEXT_KEYS) {
    const value = filters[key];
    if (value) {
      params.set(key, value);
    }
  }
  for (const type of filters.types) {
    params.append('type', type);
  }
  if (filters.includeEnded) {
    params.set('sessions', 'all');
  }
  return params;
}

/**
 * The query of the sessions table: live sessions unless ended ones are asked for. Time range, event
 * types and command text belong to the audit log.
 *
 * @internal
 */
export function sessionsQuery(filters: SessionsFilters): TerminalSessionQuery {
  return {
    user: filters.user,
    entityRef: filters.entityRef,
    cluster: filters.cluster,
    namespace: filters.namespace,
    status: filters.includeEnded
      ? undefined
      : [...TERMINAL_LIVE_SESSION_STATUSES],
    limit: LIVE_SESSIONS_LIMIT,
  };
}

/** The query of the audit log and its export, without cursor. @internal */
export function auditEventsQuery(
  filters: SessionsFilters,
): TerminalAuditEventQuery {
  return {
    user: filters.user,
    entityRef: filters.entityRef,
    cluster: filters.cluster,
    namespace: filters.namespace,
    type: filters.types.length ? filters.types : undefined,
    from: filters.from,
    to: filters.to,
    q: filters.q,
  };
}

/**
 * Completes a short ref the way the catalog does: `alice` is `user:default/alice` for the user
 * filter, `web` is `component:default/web` for the entity filter. Anything unparseable is kept as
 * typed, for the backend to judge.
 *
 * @internal
 */
export function normalizeRef(
  value: string | undefined,
  defaultKind: string,
): string | undefined {
  const trimmed = value?.trim();
  if (!trimmed) {
    return undefined;
  }
  try {
    return stringifyEntityRef(
      parseEntityRef(trimmed, { defaultKind, defaultNamespace: 'default' }),
    );
  } catch {
    return trimmed;
  }
}

/** `datetime-local` input value (local time) to ISO 8601. @internal */
export function fromDateTimeLocal(value: string): string | undefined {
  if (!value) {
    return undefined;
  }
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
}

/** ISO 8601 to a `datetime-local` input value in local time. @internal */
export function toDateTimeLocal(iso: string | undefined): string {
  if (!iso) {
    return '';
  }
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) {
    return '';
  }
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(
    date.getDate(),
  )}T${pad(date.getHours())}:${pad(date.getMinutes())}`;
}
