import type { LoggerService } from '@backstage/backend-plugin-api';
import {
  TerminalCloseCode,
  type TerminalCloseCodeValue,
  type TerminalServerMessage,
} from '@kubernetes-terminal/backstage-plugin-kubernetes-terminal-common';
import type {
  EndedSessionStatus,
  NewAuditEvent,
  SessionStore,
} from '../database/SessionStore';
import type { TerminalSession } from '../service/SessionRegistry';
import type { RelayObserver, RelayResumeInfo } from '../stream/TerminalRelay';
import type { SessionRecording } from '../recording/RecordingWriter';
import type { SessionAudit } from './SessionAudit';
import type { CommandCapture } from '../audit/CommandCapture';

const END_FLUSH_LIMIT_MS = 10_000;

/** The tracker's handle on the relay it observes. @internal */
export interface RelayControl {
  notify(message: TerminalServerMessage): void;
  close(code: TerminalCloseCodeValue, reason: string): void;
}

/** @internal */
export interface SessionTrackerOptions {
  session: TerminalSession;
  store: SessionStore;
  audit: SessionAudit;
  logger: LoggerService;
  idleAfterMs: number;
  idleDisconnectAfterMs?: number;
  capture?: CommandCapture;
  /** The session's recording (asciicast), if sessions are recorded. */
  recording?: SessionRecording;
  /** How long the end of a session waits for the command recorder's last command. Defaults to 10 s. */
  endFlushLimitMs?: number;
  /** Resizes are recorded once the window has kept its size this long. */
  resizeSettleMs?: number;
  /** How long a detached session waits to be resumed (for the `detach` event). */
  resumeGraceMs?: number;
  now?: () => number;
}

/**
 * Follows one live session for the audit log: commands, resizes, idleness and the end. Everything it
 * does on the stream's path is synchronous; database writes go through the audit queue or are
 * fire-and-forget updates of the session row.
 *
 * @internal
 */
export class SessionTracker implements RelayObserver {
  private relay?: RelayControl;
  private lastInputAt: number;
  private idleSince?: number;
  private idleTimer?: NodeJS.Timeout;
  private resizeTimer?: NodeJS.Timeout;
  private pendingSize?: { cols: number; rows: number };
  /** The size last in the log (the one given at connect, then each recorded resize). */
  private loggedSize?: { cols: number; rows: number };
  private ended = false;
  private detached = false;
  /** Writes to the session row, in order: the row is created before it is updated. */
  private rowWrites: Promise<unknown> = Promise.resolve();
  private readonly now: () => number;
  /** Latest activity (input or a command), for the session row's `last_activity_at`. */
  lastActivityAt: Date;

  constructor(private readonly options: SessionTrackerOptions) {
    this.now = options.now ?? Date.now;
    this.lastInputAt = this.now();
    this.lastActivityAt = new Date(this.lastInputAt);
    options.capture?.onCommand(({ command, at, uncertain }) => {
      this.lastActivityAt = at;
      this.record({
        eventType: 'command_executed',
        command,
        createdAt: at,
        // The shell gave no sign of when it read the line: inferred from its echo (docs/security.md).
        details: uncertain ? { uncertain: true } : undefined,
      });
      options.recording?.marker(command);
    });
  }

  get sessionId(): string {
    return this.options.session.id;
  }

  get status(): 'active' | 'idle' | 'detached' {
    if (this.detached) return 'detached';
    return this.idleSince === undefined ? 'active' : 'idle';
  }

  /** Creates the session row and records `connect`; then follows the relay. */
  start(
    relay: RelayControl,
    fields: {
      clusterType: 'public' | 'private';
      instanceId: string;
      instanceUrl?: string;
    },
  ) {
    const s = this.options.session;
    const createdAt = new Date(this.now());
    this.rowWrites = this.options.store
      .createSession({
        id: s.id,
        userEntityRef: s.userEntityRef,
        entityRef: s.entityRef,
        cluster: s.cluster,
        clusterType: fields.clusterType,
        namespace: s.namespace,
        pod: s.pod,
        container: s.container,
        kind: s.kind ?? 'exec',
        status: 'active',
        createdAt,
        expiresAt: s.expiresAt,
        maxExpiresAt: s.maxExpiresAt,
        clientIp: s.clientIp,
        userAgent: s.userAgent,
        backendInstance: fields.instanceId,
        backendAddress: fields.instanceUrl,
      })
      .catch(error => this.warn('could not create', error));
    this.loggedSize = s.initialSize ? { ...s.initialSize } : undefined;
    this.record({
      eventType: 'connect',
      createdAt,
      details: s.initialSize ? { ...s.initialSize } : undefined,
    });
    this.relay = relay;
    const tick = Math.max(250, Math.min(this.options.idleAfterMs / 4, 30_000));
    this.idleTimer = setInterval(() => this.checkIdle(), tick);
    this.idleTimer.unref?.();
  }

  onConnected(shell: string) {
    this.update({ shell });
  }

  onInput(data: Buffer) {
    this.lastInputAt = this.now();
    this.lastActivityAt = new Date(this.lastInputAt);
    if (this.idleSince !== undefined) {
      this.idleSince = undefined;
      this.update({ status: this.status, lastActivityAt: this.lastActivityAt });
    }
    this.options.capture?.input(data);
  }

  /** Text the browser draws in the terminal itself (not the shell's output): recorded only. */
  recordShown(text: string) {
    this.options.recording?.output(Buffer.from(text, 'utf8'));
  }

  onOutput(data: Buffer) {
    this.options.recording?.output(data);
    this.options.capture?.output(data);
  }

  onDetach(reason: string) {
    this.detached = true;
    this.update({ status: 'detached' });
    this.record({
      eventType: 'detach',
      details: {
        reason,
        graceSeconds: Math.round((this.options.resumeGraceMs ?? 0) / 1000),
      },
    });
  }

  onResume(info: RelayResumeInfo) {
    this.detached = false;
    this.update({ status: this.status });
    this.record({
      eventType: 'resume',
      details: {
        offset: info.offset,
        replayedBytes: info.replayedBytes,
        missedBytes: info.missedBytes,
        detachedSeconds: Math.round(info.detachedMs / 100) / 10,
      },
    });
  }

  onResize(cols: number, rows: number) {
    this.options.recording?.resize(cols, rows);
    this.options.capture?.resize(cols, rows);
    // A window being dragged sends dozens of sizes; the log keeps the one it settled on.
    this.pendingSize = { cols, rows };
    clearTimeout(this.resizeTimer);
    this.resizeTimer = setTimeout(
      () => this.recordResize(),
      this.options.resizeSettleMs ?? 1000,
    );
    this.resizeTimer.unref?.();
  }

  onEnd(code: number, reason: string) {
    if (this.ended) {
      return;
    }
    this.ended = true;
    clearTimeout(this.resizeTimer);
    clearInterval(this.idleTimer);
    this.recordResize();
    let status: EndedSessionStatus = 'closed';
    if (code === TerminalCloseCode.Terminated) status = 'terminated';
    if (code === TerminalCloseCode.Expired) status = 'expired';
    const capture = this.options.capture;
    // The last command (often `exit`) may still be in the recorder's parser: let it finish first.
    // That takes milliseconds; the limit is only there should the parser never answer.
    let flushTimer: NodeJS.Timeout | undefined;
    const limitMs = this.options.endFlushLimitMs ?? END_FLUSH_LIMIT_MS;
    const captured = capture
      ? Promise.race([
          capture.flush().then(
            () => true,
            () => false,
          ),
          new Promise<boolean>(r => {
            flushTimer = setTimeout(() => r(false), limitMs);
            flushTimer.unref?.();
          }),
        ]).then(flushed => {
          clearTimeout(flushTimer);
          if (!flushed) {
            this.options.logger.warn(
              `terminal session ${this.sessionId}: the command recorder had not read the session's last output ${limitMs} ms after it ended; a command typed just before the end may be missing from the audit log`,
            );
          }
          capture.dispose();
        })
      : Promise.resolve();
    // Closed after the recorder's last command, so that its marker is in the recording.
    void captured.finally(() => this.options.recording?.end());
    this.rowWrites = Promise.all([this.rowWrites, captured])
      .then(() => {
        // Stamped after the recorder's last command, so the log reads in order.
        const endedAt = new Date(this.now());
        if (code === TerminalCloseCode.Forbidden) {
          // The cluster's own RBAC refused the exec (e.g. an impersonated person without pods/exec).
          this.record({
            eventType: 'denied',
            details: { by: 'cluster', reason },
            createdAt: endedAt,
          });
        }
        this.record({
          eventType: 'disconnect',
          details: { code, reason },
          createdAt: endedAt,
        });
        return this.options.store.endSessions([this.sessionId], {
          status,
          endReason: reason,
          endedAt,
        });
      })
      .catch(error => this.warn('could not record the end of', error));
  }

  /** Session pods: the pod's expiry changed (provisioned, extended). */
  updateExpiry(expiry: { expiresAt: Date; maxExpiresAt: Date }) {
    this.options.session.expiresAt = expiry.expiresAt;
    this.options.session.maxExpiresAt = expiry.maxExpiresAt;
    this.update({
      expiresAt: expiry.expiresAt,
      maxExpiresAt: expiry.maxExpiresAt,
    });
  }

  /** Audit event of this session, with its common fields filled in. */
  record(
    event: Omit<NewAuditEvent, 'userEntityRef'> & { userEntityRef?: string },
  ) {
    const s = this.options.session;
    this.options.audit.record({
      sessionId: s.id,
      userEntityRef: s.userEntityRef,
      entityRef: s.entityRef,
      cluster: s.cluster,
      namespace: s.namespace,
      pod: s.pod,
      container: s.container,
      clientIp: s.clientIp,
      userAgent: s.userAgent,
      ...event,
    });
  }

  private recordResize() {
    const size = this.pendingSize;
    this.pendingSize = undefined;
    // The browser fits its terminal right after connecting, mostly to the size it connected with.
    if (
      !size ||
      (size.cols === this.loggedSize?.cols &&
        size.rows === this.loggedSize?.rows)
    )
      return;
    this.loggedSize = size;
    this.record({ eventType: 'resize', details: { ...size } });
  }

  private checkIdle() {
    const { idleAfterMs, idleDisconnectAfterMs } = this.options;
    const now = this.now();
    if (this.idleSince === undefined && now - this.lastInputAt >= idleAfterMs) {
      this.idleSince = now;
      this.update({ status: this.status });
      this.record({
        eventType: 'idle',
        details: { idleSeconds: Math.round((now - this.lastInputAt) / 1000) },
      });
      this.relay?.notify({
        type: 'idle',
        idleSeconds: Math.round((now - this.lastInputAt) / 1000),
        ...(idleDisconnectAfterMs !== undefined && {
          disconnectInSeconds: Math.round(idleDisconnectAfterMs / 1000),
        }),
      });
      return;
    }
    if (
      this.idleSince !== undefined &&
      idleDisconnectAfterMs !== undefined &&
      now - this.idleSince >= idleDisconnectAfterMs
    ) {
      const seconds = Math.round((now - this.lastInputAt) / 1000);
      const span =
        seconds < 120 ? `${seconds} s` : `${Math.round(seconds / 60)} min`;
      this.relay?.close(
        TerminalCloseCode.IdleTimeout,
        `ended after ${span} without input`,
      );
    }
  }

  private update(patch: Parameters<SessionStore['updateSession']>[1]) {
    this.rowWrites = this.rowWrites
      .then(() => this.options.store.updateSession(this.sessionId, patch))
      .catch(error => this.warn('could not update', error));
  }

  /** Resolves once every write to the session row issued so far has settled. */
  settled(): Promise<unknown> {
    return this.rowWrites;
  }

  private warn(what: string, error: unknown) {
    this.options.logger.warn(
      `terminal session ${this.sessionId}: ${what} the session row: ${
        (error as Error).message
      }`,
    );
  }
}
