import type { LoggerService } from '@backstage/backend-plugin-api';
import { ConflictError, ServiceUnavailableError } from '@backstage/errors';
import { TerminalCloseCode } from '@kubernetes-terminal/backstage-plugin-kubernetes-terminal-common';
import { randomUUID } from 'node:crypto';
import type { TerminalConfig } from '../config';
import {
  liveSessionStatuses,
  type NewAuditEvent,
  type SessionStore,
  type StoredTerminalSession,
} from '../database/SessionStore';
import type {
  SessionRegistry,
  TerminalSession,
} from '../service/SessionRegistry';
import type { TerminalRelay } from '../stream/TerminalRelay';
import type { RecordingWriter } from '../recording/RecordingWriter';
import type { RecordingStore } from '../recording/RecordingStore';
import type { SessionAudit } from './SessionAudit';
import type { CommandCapture } from '../audit/CommandCapture';
import { SessionTracker } from './SessionTracker';

/** @internal */
export interface TerminalSessionsOptions {
  /** The replica's sessions, live ones with their relay and tracker. */
  registry: SessionRegistry;
  store: SessionStore;
  audit: SessionAudit;
  config: TerminalConfig;
  logger: LoggerService;
  /** Makes the command recorder of a session; without it no `command_executed` is recorded. */
  createCapture?: (
    size: { cols: number; rows: number },
    options: { tty: boolean },
  ) => CommandCapture;
  instanceId?: string;
  /** Records sessions (asciicast) when given. */
  recordings?: { writer: RecordingWriter; store: RecordingStore };
}

const HEARTBEAT_MS = 15_000;

/**
 * The live sessions of this backend replica and their records in the portal database: admission
 * (audit health, per-user limit), tracking, termination (also of sessions served by another
 * replica), heartbeats, and clean-up after a replica died.
 *
 * @internal
 */
export class TerminalSessions {
  readonly instanceId: string;
  private heartbeatTimer?: NodeJS.Timeout;

  constructor(private readonly options: TerminalSessionsOptions) {
    this.instanceId = options.instanceId ?? randomUUID();
  }

  /** Refuses a new session while it could not be audited, or when the user has too many. */
  async assertCanOpen(userEntityRef: string) {
    const { store, audit, config, recordings } = this.options;
    if (config.auditFailClosed && !audit.healthy) {
      throw new ServiceUnavailableError(
        'terminal sessions are refused while the audit log cannot be written; try again shortly',
      );
    }
    if (recordings?.writer.failClosed && !recordings.writer.healthy) {
      throw new ServiceUnavailableError(
        'terminal sessions are refused while session recordings cannot be written; try again shortly',
      );
    }
    const { totalCount } = await store.listSessions({
      filter: { userEntityRef, status: [...liveSessionStatuses] },
      limit: 1,
      includeTotalCount: true,
    });
    if ((totalCount ?? 0) >= config.maxSessionsPerUser) {
      throw new ConflictError(
        `you already have ${totalCount} open terminal sessions, the most allowed is ${config.maxSessionsPerUser}; close one first`,
      );
    }
  }

  record(event: NewAuditEvent) {
    this.options.audit.record(event);
  }

  /** Starts following a relay, registered with its session as live; returns the observer to give it. */
  track(session: TerminalSession, relay: TerminalRelay): SessionTracker {
    const { config, store, audit, logger, createCapture, recordings } =
      this.options;
    const size = session.initialSize ?? { cols: 80, rows: 24 };
    const recording = recordings?.writer.begin(
      {
        id: session.id,
        ...size,
        title: `${session.userEntityRef} in ${session.cluster}/${session.namespace}/${session.pod}/${session.container}`,
      },
      {
        onFail: reason =>
          relay.close(
            TerminalCloseCode.AuditUnavailable,
            `the session was ended because ${reason}`,
          ),
      },
    );
    const tracker = new SessionTracker({
      session,
      store,
      audit,
      logger,
      idleAfterMs: config.idleAfterMs,
      idleDisconnectAfterMs: config.idleDisconnectAfterMs,
      capture: createCapture?.(size, { tty: session.tty !== false }),
      recording,
      resumeGraceMs: config.resume.graceMs,
    });
    tracker.start(relay, {
      clusterType: config.privateClusters.includes(session.cluster)
        ? 'private'
        : 'public',
      instanceId: this.instanceId,
      instanceUrl: config.resume.instanceUrl,
    });
    this.options.registry.setParts(session, { relay, tracker });
    return tracker;
  }

  get liveCount(): number {
    return this.options.registry.liveCount;
  }

  /**
   * Ends a live session. A session served by this replica is closed at once; one served by another
   * replica is marked terminated in the database, and that replica closes it at its next heartbeat.
   */
  async terminate(
    sessionId: string,
    by: string,
    reason?: string,
  ): Promise<boolean> {
    const { store } = this.options;
    const [ended] = await store.endSessions([sessionId], {
      status: 'terminated',
      endReason: `terminated by ${by}${reason ? `: ${reason}` : ''}`,
      endedAt: new Date(),
    });
    if (!ended) {
      return false;
    }
    const local = this.options.registry.partsOf(sessionId);
    local?.tracker.record({
      eventType: 'terminate',
      details: { by, ...(reason && { reason }) },
    });
    if (!local) {
      const session = await store.getSession(sessionId);
      if (session) {
        this.record({
          ...eventFieldsOf(session),
          eventType: 'terminate',
          details: { by, ...(reason && { reason }) },
        });
      }
    }
    local?.relay.terminate(by, reason);
    return true;
  }

  startHeartbeat(intervalMs = HEARTBEAT_MS) {
    this.heartbeatTimer = setInterval(() => {
      this.heartbeat().catch(error =>
        this.options.logger.warn(
          `terminal session heartbeat failed: ${(error as Error).message}`,
        ),
      );
    }, intervalMs);
    this.heartbeatTimer.unref?.();
  }

  /**
   * Tells the database this replica still serves its sessions, and closes those ended elsewhere:
   * terminated by someone, or reaped as stale while this replica was too slow to say it was alive.
   */
  async heartbeat() {
    const { store } = this.options;
    const entries = this.options.registry.live();
    if (entries.length === 0) {
      return;
    }
    const ids = entries.map(({ session }) => session.id);
    await store.heartbeat(this.instanceId, ids, new Date());
    // One query for all, not one per session: with SQLite each query runs synchronously, and a
    // thousand in a row held the event loop (and every terminal's echo) for tens of milliseconds.
    const stored = new Map((await store.getSessions(ids)).map(s => [s.id, s]));
    let updates = 0;
    for (const { session, tracker, relay } of entries) {
      const id = session.id;
      const row = stored.get(id);
      if (row?.status === 'terminated') {
        relay.terminate(
          row.endReason?.replace(/^terminated by /, '') ?? 'an administrator',
        );
      } else if (row && !liveSessionStatuses.includes(row.status)) {
        // Ended while it was still served here: this replica was too slow to send its heartbeats
        // (the stale-session task took it for dead). The log says the session ended, so it does,
        // rather than go on with commands recorded after its `disconnect`.
        relay.close(
          TerminalCloseCode.GoingAway,
          `the session was ended while this portal replica did not answer (${
            row.endReason ?? row.status
          }); reconnect to go on`,
        );
      } else if (row && row.lastActivityAt < tracker.lastActivityAt) {
        await store.updateSession(id, {
          lastActivityAt: tracker.lastActivityAt,
        });
        if (++updates % 50 === 0)
          await new Promise(resolve => setImmediate(resolve));
      }
    }
  }

  /**
   * Ends sessions whose replica stopped sending heartbeats (it crashed or was killed), so the log
   * never shows them as live forever. Run by one replica at a time (scheduler, global scope).
   */
  async reapStale(olderThan: Date): Promise<number> {
    const { store } = this.options;
    const stale = await store.findStaleSessions(olderThan);
    const ended = await store.endSessions(
      stale.map(s => s.id),
      {
        status: 'closed',
        endReason: 'the backend replica serving it stopped',
        endedAt: new Date(),
      },
    );
    await this.options.recordings?.store
      .finishAbandoned(ended, new Date())
      .catch(error =>
        this.options.logger.warn(
          `could not close the recordings of stale sessions: ${
            (error as Error).message
          }`,
        ),
      );
    for (const session of stale.filter(s => ended.includes(s.id))) {
      this.record({
        ...eventFieldsOf(session),
        eventType: 'disconnect',
        details: { reason: 'the backend replica serving it stopped' },
      });
    }
    return ended.length;
  }

  /** Graceful shutdown: close every session (recording why), then write every queued event. */
  async close() {
    clearInterval(this.heartbeatTimer);
    for (const { relay, tracker } of this.options.registry.live()) {
      relay.close(
        TerminalCloseCode.GoingAway,
        'the portal backend is shutting down',
      );
      await tracker.settled();
    }
    await this.options.recordings?.writer.close();
    await this.options.audit.flush();
    await this.options.audit.close();
  }
}

/** The fields every event of a stored session repeats. */
function eventFieldsOf(session: StoredTerminalSession) {
  return {
    sessionId: session.id,
    userEntityRef: session.userEntityRef,
    entityRef: session.entityRef,
    cluster: session.cluster,
    namespace: session.namespace,
    pod: session.pod,
    container: session.container,
  };
}
