import type {
  AuditorService,
  LoggerService,
} from '@backstage/backend-plugin-api';
import type { AuditWriter } from '../database/AuditWriter';
import type { NewAuditEvent } from '../database/SessionStore';

/**
 * Where every terminal audit event goes: the portal database (through the bounded writer) and
 * Backstage's auditor service. Synchronous for callers on the stream's hot path.
 *
 * @internal
 */
export class SessionAudit {
  constructor(
    private readonly writer: AuditWriter,
    private readonly auditor: AuditorService,
    private readonly logger: LoggerService,
  ) {}

  /** Whether new sessions can be audited (the database accepted the last write). */
  get healthy(): boolean {
    return this.writer.healthy;
  }

  record(event: NewAuditEvent) {
    const stamped = { ...event, createdAt: event.createdAt ?? new Date() };
    if (!this.writer.enqueue(stamped)) {
      this.logger.error(
        `terminal audit event ${event.eventType} of session ${
          event.sessionId ?? '-'
        } could not be queued`,
      );
    }
    // The auditor logs; its promise must not hold up the terminal.
    this.auditor
      .createEvent({
        eventId: `terminal-${event.eventType.replace(/_/g, '-')}`,
        severityLevel:
          event.eventType === 'command_executed' || event.eventType === 'denied'
            ? 'medium'
            : 'low',
        meta: {
          sessionId: event.sessionId ?? null,
          user: event.userEntityRef,
          entityRef: event.entityRef ?? null,
          cluster: event.cluster ?? null,
          namespace: event.namespace ?? null,
          pod: event.pod ?? null,
          container: event.container ?? null,
          command: event.command ?? null,
          clientIp: event.clientIp ?? null,
        },
      })
      .then(e => e.success())
      .catch(error =>
        this.logger.warn(
          `auditor rejected a terminal event: ${(error as Error).message}`,
        ),
      );
  }

  flush(): Promise<void> {
    return this.writer.flush();
  }

  close(): Promise<void> {
    return this.writer.close();
  }
}
