import type {
  TerminalAuditEvent,
  TerminalAuditEventType,
  TerminalSessionKind,
  TerminalSessionRecord,
  TerminalSessionStatus,
} from '@kubernetes-terminal/backstage-plugin-kubernetes-terminal-common';

/** @internal */
export const EVENT_TYPE_LABELS: Record<TerminalAuditEventType, string> = {
  connect: 'Connect',
  disconnect: 'Disconnect',
  command_executed: 'Command',
  resize: 'Resize',
  denied: 'Denied',
  extend: 'Extend',
  expire: 'Expire',
  idle: 'Idle',
  terminate: 'Terminate',
  debug_container_created: 'Debug container',
  detach: 'Detach',
  resume: 'Resume',
  agent_connected: 'Agent connected',
  agent_disconnected: 'Agent disconnected',
  agent_refused: 'Agent refused',
};

/** @internal */
export const SESSION_KIND_LABELS: Record<TerminalSessionKind, string> = {
  exec: 'Shell in container',
  'session-pod': 'kubectl session pod',
  debug: 'Debug container',
};

/** @internal */
export const SESSION_STATUS_LABELS: Record<TerminalSessionStatus, string> = {
  active: 'Active',
  idle: 'Idle',
  detached: 'Detached',
  expired: 'Expired',
  closed: 'Closed',
  terminated: 'Terminated',
};

/** `cluster/namespace/pod/container`, as in the terminal's status line. @internal */
export function formatTarget(
  target: Partial<
    Pick<TerminalSessionRecord, 'cluster' | 'namespace' | 'pod' | 'container'>
  >,
): string {
  return [target.cluster, target.namespace, target.pod, target.container]
    .filter(Boolean)
    .join('/');
}

/** @internal */
export function formatDateTime(iso: string): string {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : date.toLocaleString();
}

const UNITS: Array<[Intl.RelativeTimeFormatUnit, number]> = [
  ['year', 365 * 24 * 3600],
  ['month', 30 * 24 * 3600],
  ['week', 7 * 24 * 3600],
  ['day', 24 * 3600],
  ['hour', 3600],
  ['minute', 60],
  ['second', 1],
];

/** "5 minutes ago", "in 2 hours", "now". @internal */
export function formatRelativeTime(iso: string, now = Date.now()): string {
  const time = new Date(iso).getTime();
  if (Number.isNaN(time)) {
    return iso;
  }
  const seconds = Math.round((time - now) / 1000);
  const format = new Intl.RelativeTimeFormat('en', { numeric: 'auto' });
  if (Math.abs(seconds) < 10) {
    return format.format(0, 'second');
  }
  for (const [unit, size] of UNITS) {
    if (Math.abs(seconds) >= size) {
      return format.format(Math.trunc(seconds / size), unit);
    }
  }
  return format.format(seconds, 'second');
}

/** A one-line summary of an event's details. @internal */
export function describeEventDetails(event: TerminalAuditEvent): string {
  const details = event.details ?? {};
  if (
    event.type === 'resize' &&
    typeof details.cols === 'number' &&
    typeof details.rows === 'number'
  ) {
    return `${details.cols}×${details.rows}`;
  }
  return Object.entries(details)
    .filter(([, value]) => value !== undefined && value !== null)
    .map(
      ([key, value]) =>
        `${key}: ${typeof value === 'string' ? value : JSON.stringify(value)}`,
    )
    .join(', ');
}
