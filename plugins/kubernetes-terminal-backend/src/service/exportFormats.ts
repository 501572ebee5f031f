import type { StoredAuditEvent } from '../database/SessionStore';

const CSV_COLUMNS: Array<[string, (e: StoredAuditEvent) => unknown]> = [
  ['time', e => e.createdAt.toISOString()],
  ['type', e => e.eventType],
  ['user', e => e.userEntityRef],
  ['entity', e => e.entityRef],
  ['cluster', e => e.cluster],
  ['namespace', e => e.namespace],
  ['pod', e => e.pod],
  ['container', e => e.container],
  ['command', e => e.command],
  ['client_ip', e => e.clientIp],
  ['user_agent', e => e.userAgent],
  ['session_id', e => e.sessionId],
  ['details', e => (e.details ? JSON.stringify(e.details) : '')],
];

/** @internal */
export const CSV_HEADER = `${CSV_COLUMNS.map(([name]) => name).join(',')}\r\n`;

/** One RFC 4180 line; cells a spreadsheet would run as a formula are defused. */
export function toCsvLine(event: StoredAuditEvent): string {
  return `${CSV_COLUMNS.map(([, get]) => csvCell(get(event))).join(',')}\r\n`;
}

function csvCell(value: unknown): string {
  if (value === undefined || value === null) {
    return '';
  }
  let text = String(value);
  // A command such as `=HYPERLINK(...)` must stay text when the export is opened in a spreadsheet.
  if (/^[=+\-@\t\r]/.test(text)) {
    text = `'${text}`;
  }
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** The API shape of an event (ISO dates, `type`). */
export function toApiEvent(event: StoredAuditEvent) {
  const { eventType, createdAt, ...rest } = event;
  return { ...rest, type: eventType, createdAt: createdAt.toISOString() };
}
