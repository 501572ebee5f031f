import type {
  BackstageCredentials,
  HttpAuthService,
  PermissionsService,
} from '@backstage/backend-plugin-api';
import {
  ConflictError,
  InputError,
  NotAllowedError,
  NotFoundError,
} from '@backstage/errors';
import {
  AuthorizeResult,
  type BasicPermission,
} from '@backstage/plugin-permission-common';
import {
  ASCIICAST_CONTENT_TYPE,
  TERMINAL_AUDIT_EVENT_TYPES,
  TERMINAL_SESSION_STATUSES,
  type TerminalSessionDetail,
  type TerminalSessionRecord,
  kubernetesTerminalAuditReadPermission,
  kubernetesTerminalRecordingReadPermission,
  kubernetesTerminalSessionTerminatePermission,
} from '@kubernetes-terminal/backstage-plugin-kubernetes-terminal-common';
import type express from 'express';
import Router from 'express-promise-router';
import { z } from 'zod';
import type {
  SessionStore,
  StoredTerminalSession,
} from '../database/SessionStore';
import type { RecordingStore } from '../recording/RecordingStore';
import { toAsciicastLines } from '../recording/recordingFormat';
import type { TerminalSessions } from '../sessions/TerminalSessions';
import { CSV_HEADER, toApiEvent, toCsvLine } from './exportFormats';

/** @internal */
export interface AuditRouterOptions {
  httpAuth: HttpAuthService;
  permissions: PermissionsService;
  store: SessionStore;
  terminalSessions: TerminalSessions;
  /** Where session recordings are kept; absent when sessions are not recorded. */
  recordings?: RecordingStore;
}

const EXPORT_MAX_ROWS = 100_000;

const list = <T extends string>(values: readonly [T, ...T[]]) =>
  z
    .union([z.enum(values), z.array(z.enum(values)).max(values.length)])
    .transform(v => (Array.isArray(v) ? v : [v]));
const isoDate = z
  .string()
  .max(40)
  .refine(v => !Number.isNaN(Date.parse(v)), 'must be an ISO 8601 date')
  .transform(v => new Date(v));
const text = z.string().min(1).max(1024);
const page = {
  cursor: z.string().max(512).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(50),
};

const sessionQuery = z
  .object({
    user: text.optional(),
    entityRef: text.optional(),
    cluster: text.optional(),
    namespace: text.optional(),
    status: list(TERMINAL_SESSION_STATUSES as [any, ...any[]]).optional(),
    kind: z.enum(['exec', 'session-pod', 'debug']).optional(),
    from: isoDate.optional(),
    to: isoDate.optional(),
    ...page,
  })
  .strict();

const eventQuery = z
  .object({
    sessionId: z.string().uuid().optional(),
    user: text.optional(),
    entityRef: text.optional(),
    cluster: text.optional(),
    namespace: text.optional(),
    type: list(TERMINAL_AUDIT_EVENT_TYPES as [any, ...any[]]).optional(),
    from: isoDate.optional(),
    to: isoDate.optional(),
    q: z.string().min(1).max(256).optional(),
    ...page,
  })
  .strict();

function parse<T extends z.ZodTypeAny>(schema: T, value: unknown): z.infer<T> {
  const result = schema.safeParse(value);
  if (!result.success) {
    const issue = result.error.issues[0];
    throw new InputError(
      `${issue.path.join('.') || 'query'}: ${issue.message}`,
    );
  }
  return result.data;
}

/** @internal */
export function toApiSession(
  session: StoredTerminalSession,
): TerminalSessionRecord {
  const {
    heartbeatAt,
    backendInstance,
    // A replica's internal address: for the other replicas, never for the API's readers.
    backendAddress: _backendAddress,
    createdAt,
    lastActivityAt,
    expiresAt,
    maxExpiresAt,
    endedAt,
    ...rest
  } = session;
  return {
    ...rest,
    createdAt: createdAt.toISOString(),
    lastActivityAt: lastActivityAt.toISOString(),
    ...(expiresAt && { expiresAt: expiresAt.toISOString() }),
    ...(maxExpiresAt && { maxExpiresAt: maxExpiresAt.toISOString() }),
    ...(endedAt && { endedAt: endedAt.toISOString() }),
  };
}

/**
 * The sessions list, session detail and termination, and the audit log with its exports. Everyone
 * sees their own sessions and events; `kubernetes.terminal.audit.read` shows everyone's.
 *
 * @internal
 */
export function createAuditRouter(options: AuditRouterOptions): express.Router {
  const { httpAuth, permissions, store, terminalSessions, recordings } =
    options;
  const router = Router();

  async function caller(req: express.Request) {
    const credentials = await httpAuth.credentials(req, { allow: ['user'] });
    const [decision] = await permissions.authorize(
      [{ permission: kubernetesTerminalAuditReadPermission }],
      { credentials },
    );
    return {
      credentials,
      user: credentials.principal.userEntityRef,
      canReadAll: decision.result === AuthorizeResult.ALLOW,
    };
  }

  /** The session of `:id` if the caller may see it: their own, or anyone's with audit.read. */
  async function visibleSession(req: express.Request) {
    const id = parse(z.string().uuid(), req.params.id);
    const who = await caller(req);
    const session = await store.getSession(id);
    // Someone else's session is reported as missing, not as forbidden: its id says nothing.
    if (!session || (!who.canReadAll && session.userEntityRef !== who.user)) {
      throw new NotFoundError(`terminal session ${id} not found`);
    }
    return { id, session, ...who };
  }

  /** Refuses, and audits the refusal, unless the caller holds the permission. */
  async function requirePermission(
    who: { credentials: BackstageCredentials; user: string; id: string },
    permission: BasicPermission,
    action: string,
    refusal: string,
  ) {
    const [decision] = await permissions.authorize([{ permission }], {
      credentials: who.credentials,
    });
    if (decision.result === AuthorizeResult.ALLOW) return;
    terminalSessions.record({
      eventType: 'denied',
      userEntityRef: who.user,
      sessionId: who.id,
      details: { action, permission: permission.name },
    });
    throw new NotAllowedError(refusal);
  }

  function eventFilter(
    q: z.infer<typeof eventQuery>,
    user: string,
    canReadAll: boolean,
  ) {
    if (!canReadAll && q.user && q.user !== user) {
      throw new NotAllowedError(
        'reading other users\u2019 terminal events needs the kubernetes.terminal.audit.read permission',
      );
    }
    return {
      sessionId: q.sessionId,
      userEntityRef: canReadAll ? q.user : user,
      entityRef: q.entityRef,
      cluster: q.cluster,
      namespace: q.namespace,
      eventType: q.type,
      from: q.from,
      to: q.to,
      text: q.q,
    };
  }

  router.get('/sessions', async (req, res) => {
    const q = parse(sessionQuery, req.query);
    const { user, canReadAll } = await caller(req);
    if (!canReadAll && q.user && q.user !== user) {
      throw new NotAllowedError(
        'listing other users\u2019 sessions needs the kubernetes.terminal.audit.read permission',
      );
    }
    const result = await store.listSessions({
      filter: {
        userEntityRef: canReadAll ? q.user : user,
        entityRef: q.entityRef,
        cluster: q.cluster,
        namespace: q.namespace,
        status: q.status,
        kind: q.kind,
        from: q.from,
        to: q.to,
      },
      limit: q.limit,
      cursor: q.cursor,
    });
    res.json({
      items: result.items.map(toApiSession),
      nextCursor: result.nextCursor,
    });
  });

  router.get('/sessions/:id', async (req, res) => {
    const { id, session, credentials, user } = await visibleSession(req);
    const events = [];
    let cursor: string | undefined;
    do {
      const batch = await store.listEvents({
        filter: { sessionId: id },
        limit: 500,
        cursor,
      });
      events.push(...batch.items);
      cursor = batch.nextCursor;
    } while (cursor && events.length < 5000);
    const live = session.status === 'active' || session.status === 'idle';
    let canTerminate = live && session.userEntityRef === user;
    if (live && !canTerminate) {
      const [decision] = await permissions.authorize(
        [{ permission: kubernetesTerminalSessionTerminatePermission }],
        { credentials },
      );
      canTerminate = decision.result === AuthorizeResult.ALLOW;
    }
    const recording = await recordings?.meta(id);
    let canReadRecording = false;
    if (recording) {
      const [decision] = await permissions.authorize(
        [{ permission: kubernetesTerminalRecordingReadPermission }],
        { credentials },
      );
      canReadRecording = decision.result === AuthorizeResult.ALLOW;
    }
    const detail: TerminalSessionDetail = {
      session: toApiSession(session),
      events: events.reverse().map(toApiEvent),
      canTerminate,
      ...(recording && {
        recording: {
          bytes: recording.bytes,
          truncated: recording.truncated,
          inProgress: !recording.endedAt,
          canRead: canReadRecording,
        },
      }),
    };
    res.json(detail);
  });

  router.get('/sessions/:id/recording', async (req, res) => {
    const q = parse(
      z.object({ download: z.enum(['true', 'false']).optional() }).strict(),
      req.query,
    );
    const who = await visibleSession(req);
    const { id } = who;
    await requirePermission(
      who,
      kubernetesTerminalRecordingReadPermission,
      'recording.read',
      'replaying a session needs the kubernetes.terminal.recording.read permission',
    );
    const stored = await recordings?.read(id);
    if (!stored) {
      throw new NotFoundError(
        recordings
          ? `terminal session ${id} has no recording`
          : 'session recording is turned off (kubernetesTerminal.recording.enabled)',
      );
    }
    res.setHeader('Content-Type', `${ASCIICAST_CONTENT_TYPE}; charset=utf-8`);
    res.setHeader('Cache-Control', 'no-store');
    if (q.download === 'true') {
      res.setHeader(
        'Content-Disposition',
        `attachment; filename="terminal-session-${id}.cast"`,
      );
      res.setHeader('Access-Control-Expose-Headers', 'Content-Disposition');
    }
    for await (const part of toAsciicastLines(stored.header, stored.chunks)) {
      if (res.destroyed) return;
      if (!res.write(part)) {
        // Until the reader took it, or went away.
        await new Promise(resolve => {
          res.once('drain', resolve);
          res.once('close', resolve);
        });
      }
    }
    res.end();
  });

  router.delete('/sessions/:id', async (req, res) => {
    const who = await visibleSession(req);
    const { id, session, user } = who;
    if (session.userEntityRef !== user) {
      await requirePermission(
        who,
        kubernetesTerminalSessionTerminatePermission,
        'terminate',
        'ending another user\u2019s session needs the kubernetes.terminal.session.terminate permission',
      );
    }
    const reason =
      typeof req.query.reason === 'string'
        ? req.query.reason.slice(0, 200)
        : undefined;
    if (!(await terminalSessions.terminate(id, user, reason))) {
      throw new ConflictError(
        `terminal session ${id} is not live (${session.status})`,
      );
    }
    res.status(204).end();
  });

  router.get('/audit-events', async (req, res) => {
    const q = parse(eventQuery, req.query);
    const { user, canReadAll } = await caller(req);
    const result = await store.listEvents({
      filter: eventFilter(q, user, canReadAll),
      limit: q.limit,
      cursor: q.cursor,
    });
    res.json({
      items: result.items.map(toApiEvent),
      nextCursor: result.nextCursor,
    });
  });

  router.get('/audit-events/export', async (req, res) => {
    const { format = 'csv', ...rest } = req.query as Record<string, unknown>;
    if (format !== 'csv' && format !== 'json') {
      throw new InputError('format: must be csv or json');
    }
    const q = parse(eventQuery.omit({ cursor: true, limit: true }), rest);
    const { user, canReadAll } = await caller(req);
    const filter = eventFilter({ ...q, limit: 500 }, user, canReadAll);
    const stamp = new Date().toISOString().replace(/[:.]/g, '-');
    res.setHeader(
      'Content-Type',
      format === 'csv'
        ? 'text/csv; charset=utf-8'
        : 'application/json; charset=utf-8',
    );
    res.setHeader(
      'Content-Disposition',
      `attachment; filename="terminal-audit-${stamp}.${format}"`,
    );
    // The app may be on another origin (development); let it read the file name.
    res.setHeader('Access-Control-Expose-Headers', 'Content-Disposition');
    res.write(format === 'csv' ? CSV_HEADER : '[');
    let cursor: string | undefined;
    let rows = 0;
    do {
      const batch = await store.listEvents({ filter, limit: 500, cursor });
      for (const event of batch.items) {
        res.write(
          format === 'csv'
            ? toCsvLine(event)
            : `${rows === 0 ? '' : ','}\n${JSON.stringify(toApiEvent(event))}`,
        );
        rows += 1;
      }
      cursor = batch.nextCursor;
    } while (cursor && rows < EXPORT_MAX_ROWS);
    res.end(format === 'csv' ? '' : '\n]\n');
  });

  return router;
}
