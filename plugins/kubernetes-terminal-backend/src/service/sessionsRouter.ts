import type {
  BackstageCredentials,
  HttpAuthService,
  LoggerService,
  PermissionsService,
} from '@backstage/backend-plugin-api';
import {
  ConflictError,
  InputError,
  NotAllowedError,
  NotFoundError,
  ServiceUnavailableError,
} from '@backstage/errors';
import type { CatalogService } from '@backstage/plugin-catalog-node';
import {
  AuthorizeResult,
  type BasicPermission,
} from '@backstage/plugin-permission-common';
import {
  ASCIICAST_CONTENT_TYPE,
  TERMINAL_SESSION_STATUSES,
  type CreateTerminalSessionResponse,
  type TerminalSessionDetail,
  type TerminalSessionRecord,
  kubernetesTerminalDebugContainerCreatePermission,
  kubernetesTerminalExecPermission,
  kubernetesTerminalRecordingReadPermission,
  kubernetesTerminalSessionPodCreatePermission,
  kubernetesTerminalSessionTerminatePermission,
} from '@kubernetes-terminal/backstage-plugin-kubernetes-terminal-common';
import type express from 'express';
import Router from 'express-promise-router';
import { z } from 'zod';
import {
  type SessionStore,
  type StoredTerminalSession,
  liveSessionStatuses,
} from '../database/SessionStore';
import type { DebugContainersConfig } from '../debugContainers/debugContainersConfig';
import type { ClusterRegistry } from '../kubernetes/ClusterRegistry';
import type { ClusterCallers } from '../kubernetes/impersonation';
import { entityWorkloadSelector } from '../kubernetes/entityTargets';
import type { CallerFor, PodLister } from '../kubernetes/PodLister';
import type { RecordingStore } from '../recording/RecordingStore';
import { toAsciicastLines } from '../recording/recordingFormat';
import { SESSION_POD_CONTAINER, sessionPodName } from '../sessionPods/names';
import { toApiEvent } from './exportFormats';
import type { SessionPodManager } from '../sessionPods/SessionPodManager';
import type { TerminalSessions } from '../sessions/TerminalSessions';
import { clusterCall, createEntityLoader } from './entityAccess';
import { REPLICA_PLUGIN_ID, type ReplicaClient } from './ReplicaClient';
import {
  clusterAuthSchema,
  createReader,
  dnsLabel,
  dnsSubdomain,
  entityRefSchema,
  isoDate,
  list,
  page,
  parseInput,
  text,
} from './requests';
import type { SessionRegistry } from './SessionRegistry';
import type { TicketStore } from './TicketStore';

/** @internal */
export interface SessionsRouterOptions {
  logger: LoggerService;
  httpAuth: HttpAuthService;
  permissions: PermissionsService;
  catalog: CatalogService;
  clusters: ClusterRegistry;
  callers: ClusterCallers;
  pods: PodLister;
  sessions: SessionRegistry;
  tickets: TicketStore;
  terminalSessions: TerminalSessions;
  store: SessionStore;
  sessionPods?: SessionPodManager;
  /** Offered when `enabled`. */
  debugContainers?: DebugContainersConfig;
  /** Forwards resumes of sessions another replica holds. */
  replicas?: ReplicaClient;
  /** Where session recordings are kept; absent when sessions are not recorded. */
  recordings?: RecordingStore;
}

const createSessionSchema = z
  .object({
    kind: z.literal('exec').optional(),
    entityRef: entityRefSchema,
    cluster: z.string().min(1).max(253),
    namespace: dnsLabel,
    pod: dnsSubdomain,
    container: dnsLabel,
    cols: z.number().int().min(1).max(1000).optional(),
    rows: z.number().int().min(1).max(1000).optional(),
    tty: z.boolean().optional(),
    auth: clusterAuthSchema.optional(),
  })
  .strict();

const createDebugSessionSchema = createSessionSchema
  .omit({ kind: true, tty: true })
  .extend({ kind: z.literal('debug') })
  .strict();

const createSessionPodSchema = z
  .object({
    kind: z.literal('session-pod'),
    entityRef: entityRefSchema,
    cluster: z.string().min(1).max(253),
    namespace: dnsLabel,
    cols: z.number().int().min(1).max(1000).optional(),
    rows: z.number().int().min(1).max(1000).optional(),
  })
  .strict();

const offsetSchema = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);
const resumeSchema = z.object({ offset: offsetSchema }).strict();
const forwardedResumeSchema = z
  .object({ offset: offsetSchema, userEntityRef: z.string().min(1).max(1024) })
  .strict();

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
 * The `/sessions` resource, whole: opening a session (a shell, a session pod, a debug container),
 * resuming and extending it, listing and reading sessions with their events and recordings, and
 * ending them. Everyone sees their own sessions; `kubernetes.terminal.audit.read` shows everyone's.
 *
 * @internal
 */
export function createSessionsRouter(
  options: SessionsRouterOptions,
): express.Router {
  const {
    httpAuth,
    permissions,
    catalog,
    clusters,
    callers,
    pods,
    sessions,
    tickets,
    terminalSessions,
    store,
    sessionPods,
    replicas,
    recordings,
  } = options;
  const router = Router();
  const loadEntity = createEntityLoader({ httpAuth, catalog, permissions });
  const reader = createReader(httpAuth, permissions);

  function ticketFor(
    session: { id: string },
    userEntityRef: string,
    resume?: { offset: number },
  ): CreateTerminalSessionResponse {
    const { ticket, expiresAt } = tickets.issue({
      sessionId: session.id,
      userEntityRef,
      ...(resume && { resume }),
    });
    return {
      sessionId: session.id,
      ticket,
      ticketExpiresAt: expiresAt.toISOString(),
      streamPath: `/sessions/${session.id}/stream`,
    };
  }

  router.post('/sessions', async (req, res) => {
    if (req.body?.kind === 'session-pod') {
      res.status(201).json(await createSessionPodSession(req));
      return;
    }
    const debug = req.body?.kind === 'debug';
    if (debug && !Boolean(options.debugContainers?.enabled)) {
      throw new InputError('debug containers are not enabled in this portal');
    }
    const body = debug
      ? parseInput(createDebugSessionSchema, req.body)
      : parseInput(createSessionSchema, req.body);
    const permission = debug
      ? kubernetesTerminalDebugContainerCreatePermission
      : kubernetesTerminalExecPermission;
    const {
      credentials,
      entity,
      allowed: [canExec],
    } = await loadEntity(body.entityRef, req, [permission]);
    if (!canExec) {
      terminalSessions.record({
        eventType: 'denied',
        userEntityRef: credentials.principal.userEntityRef,
        entityRef: body.entityRef,
        cluster: body.cluster,
        namespace: body.namespace,
        pod: body.pod,
        container: body.container,
        clientIp: req.ip,
        userAgent: req.header('user-agent'),
        details: {
          ...(debug && { kind: 'debug' }),
          permission: permission.name,
        },
      });
      throw new NotAllowedError(
        debug
          ? `you are not allowed to start a debug container on ${body.entityRef}`
          : `you are not allowed to open a terminal on ${body.entityRef}`,
      );
    }
    const selector = entityWorkloadSelector(entity);
    if (!selector.annotated) {
      throw new InputError(`${body.entityRef} has no Kubernetes annotations`);
    }
    // The caller the pod is looked up for is the one the session execs as.
    let caller: Awaited<ReturnType<CallerFor>> | undefined;
    const pod = await clusterCall(() =>
      pods.findEntityPod(
        selector,
        body.cluster,
        body.namespace,
        body.pod,
        async cluster => {
          caller = await callers.callerFor(cluster, credentials, body.auth);
          return caller;
        },
      ),
    );
    // The backend's own credentials act on the cluster: only the entity's own pods may be opened.
    if (!pod) {
      throw new NotFoundError(
        `pod ${body.namespace}/${body.pod} in cluster ${body.cluster} is not one of ${body.entityRef}'s workloads`,
      );
    }
    const container = pod.containers.find(c => c.name === body.container);
    if (!container) {
      throw new NotFoundError(
        `pod ${body.pod} has no container ${body.container}`,
      );
    }
    if (pod.phase !== 'Running') {
      throw new ConflictError(`pod ${body.pod} is ${pod.phase}, not Running`);
    }
    const userEntityRef = credentials.principal.userEntityRef;
    await terminalSessions.assertCanOpen(userEntityRef);
    const session = sessions.create(
      {
        ...(debug && { kind: 'debug' as const }),
        userEntityRef,
        entityRef: body.entityRef,
        cluster: body.cluster,
        namespace: body.namespace,
        pod: body.pod,
        container: body.container,
        initialSize:
          body.cols && body.rows
            ? { cols: body.cols, rows: body.rows }
            : undefined,
        ...('tty' in body && body.tty === false && { tty: false }),
        clientIp: req.ip,
        userAgent: req.header('user-agent'),
      },
      caller,
    );
    res.status(201).json(ticketFor(session, userEntityRef));
  });

  /** `POST /sessions` of kind `session-pod`: the pod itself is provisioned once the socket opens. */
  async function createSessionPodSession(
    req: express.Request,
  ): Promise<CreateTerminalSessionResponse> {
    const body = parseInput(createSessionPodSchema, req.body);
    const {
      credentials,
      entity,
      allowed: [canCreate],
    } = await loadEntity(body.entityRef, req, [
      kubernetesTerminalSessionPodCreatePermission,
    ]);
    const userEntityRef = credentials.principal.userEntityRef;
    if (!canCreate) {
      terminalSessions.record({
        eventType: 'denied',
        userEntityRef,
        entityRef: body.entityRef,
        cluster: body.cluster,
        namespace: body.namespace,
        clientIp: req.ip,
        userAgent: req.header('user-agent'),
        details: {
          kind: 'session-pod',
          permission: kubernetesTerminalSessionPodCreatePermission.name,
        },
      });
      throw new NotAllowedError(
        `you are not allowed to start a kubectl session pod for ${body.entityRef}`,
      );
    }
    const selector = entityWorkloadSelector(entity);
    if (!selector.annotated) {
      throw new InputError(`${body.entityRef} has no Kubernetes annotations`);
    }
    if (
      !clusters.get(body.cluster) ||
      (selector.cluster && selector.cluster !== body.cluster)
    ) {
      throw new NotFoundError(
        `${body.entityRef} has no workloads in cluster ${body.cluster}`,
      );
    }
    if (!sessionPods?.enabledIn(body.cluster)) {
      throw new InputError(
        `kubectl session pods are not enabled in cluster ${body.cluster}`,
      );
    }
    const namespaces = selector.namespace
      ? [selector.namespace]
      : await clusterCall(() =>
          pods.entityNamespaces(selector, body.cluster, cluster =>
            callers.callerFor(cluster, credentials),
          ),
        );
    // The pod gets a RoleBinding in this namespace: only the entity's own namespaces qualify.
    if (!namespaces.includes(body.namespace)) {
      throw new NotFoundError(
        `namespace ${body.namespace} in cluster ${body.cluster} is not one of ${
          body.entityRef
        }'s namespaces (${namespaces.join(', ') || 'none'})`,
      );
    }
    await terminalSessions.assertCanOpen(userEntityRef);
    const session = sessions.create({
      kind: 'session-pod',
      userEntityRef,
      entityRef: body.entityRef,
      cluster: body.cluster,
      namespace: body.namespace,
      pod: sessionPodName(userEntityRef),
      container: SESSION_POD_CONTAINER,
      initialSize:
        body.cols && body.rows
          ? { cols: body.cols, rows: body.rows }
          : undefined,
      clientIp: req.ip,
      userAgent: req.header('user-agent'),
    });
    return ticketFor(session, userEntityRef);
  }

  /**
   * A new ticket to take a running session over on a new socket (after a lost connection or a page
   * reload), for its own user only; output resumes from `offset`. Anyone else is told the session
   * does not exist, as in `GET /sessions/:id`, and the attempt is audited. A session held by another
   * replica is resumed there: the call is forwarded to the address it registered.
   */
  router.post('/sessions/:id/resume', async (req, res) => {
    const { id } = parseInput(z.object({ id: z.string().uuid() }), req.params);
    const { offset } = parseInput(resumeSchema, req.body ?? {});
    const credentials = await httpAuth.credentials(req, { allow: ['user'] });
    const user = credentials.principal.userEntityRef;
    const client = { ip: req.ip, userAgent: req.header('user-agent') };
    const local = sessions.get(id);
    const stored = local ? undefined : await store.getSession(id);
    assertOwner(id, local ?? stored, user, client);
    if (local) {
      res.json(resumeLocal(id, user, offset));
      return;
    }
    assertLive(id, stored!);
    if (
      stored!.backendAddress &&
      stored!.backendInstance !== terminalSessions.instanceId &&
      replicas
    ) {
      res.json(
        await replicas.resume(stored!.backendAddress, id, {
          offset,
          userEntityRef: user,
        }),
      );
      return;
    }
    throw new ServiceUnavailableError(
      `terminal session ${id} is held by another portal replica, which this one cannot reach (set kubernetesTerminal.resume.instanceUrl on every replica)`,
    );
  });

  /** A resume forwarded by another replica: only from this plugin's own service token. */
  router.post('/internal/sessions/:id/resume', async (req, res) => {
    const credentials = await httpAuth.credentials(req, { allow: ['service'] });
    if (credentials.principal.subject !== `plugin:${REPLICA_PLUGIN_ID}`) {
      throw new NotAllowedError(
        'only another replica of this plugin may forward a resume',
      );
    }
    const { id } = parseInput(z.object({ id: z.string().uuid() }), req.params);
    const { offset, userEntityRef } = parseInput(
      forwardedResumeSchema,
      req.body ?? {},
    );
    const local = sessions.get(id);
    if (!local) {
      const stored = await store.getSession(id);
      if (stored) assertLive(id, stored);
      throw new NotFoundError(`terminal session ${id} is not held here`);
    }
    assertOwner(id, local, userEntityRef, {});
    res.json(resumeLocal(id, userEntityRef, offset));
  });

  /** Someone else's session is reported as missing; their attempt is audited. */
  function assertOwner(
    id: string,
    session:
      | Pick<
          StoredTerminalSession,
          | 'userEntityRef'
          | 'entityRef'
          | 'cluster'
          | 'namespace'
          | 'pod'
          | 'container'
        >
      | undefined,
    user: string,
    client: { ip?: string; userAgent?: string },
  ) {
    if (session && session.userEntityRef !== user) {
      terminalSessions.record({
        eventType: 'denied',
        sessionId: id,
        userEntityRef: user,
        entityRef: session.entityRef,
        cluster: session.cluster,
        namespace: session.namespace,
        pod: session.pod,
        container: session.container,
        clientIp: client.ip,
        userAgent: client.userAgent,
        details: {
          action: 'resume',
          reason: `the session is ${session.userEntityRef}'s`,
        },
      });
    }
    if (!session || session.userEntityRef !== user) {
      throw new NotFoundError(`terminal session ${id} not found`);
    }
  }

  function assertLive(id: string, stored: StoredTerminalSession) {
    if (!liveSessionStatuses.includes(stored.status)) {
      throw new ConflictError(
        `terminal session ${id} has ended (${stored.status}): ${
          stored.endReason ?? 'no reason recorded'
        }`,
      );
    }
  }

  function resumeLocal(id: string, user: string, offset: number) {
    const session = sessions.get(id)!;
    if (!sessions.partsOf(id)?.relay.resumable) {
      throw new ConflictError(
        `terminal session ${id} is ${session.state}: only a running shell can be resumed`,
      );
    }
    return ticketFor(session, user, { offset });
  }

  router.post('/sessions/:id/extend', async (req, res) => {
    const { id } = parseInput(z.object({ id: z.string().uuid() }), req.params);
    const credentials = await httpAuth.credentials(req, { allow: ['user'] });
    const user = credentials.principal.userEntityRef;
    const stored = await store.getSession(id);
    const session = stored ?? sessions.get(id);
    // Someone else's session is reported as missing, as in GET /sessions/:id.
    if (!session || session.userEntityRef !== user || !sessionPods) {
      throw new NotFoundError(`terminal session ${id} not found`);
    }
    if (session.kind !== 'session-pod') {
      throw new ConflictError(
        `terminal session ${id} is not a kubectl session pod`,
      );
    }
    if (!stored) {
      throw new ConflictError(`terminal session ${id} has not connected yet`);
    }
    if (!liveSessionStatuses.includes(stored.status)) {
      throw new ConflictError(
        `terminal session ${id} has ended (${stored.status})`,
      );
    }
    res.json(await sessionPods.extend(stored));
  });

  /** The session of `:id` if the caller may see it: their own, or anyone's with audit.read. */
  async function visibleSession(req: express.Request) {
    const id = parseInput(z.string().uuid(), req.params.id, 'query');
    const who = await reader(req);
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

  router.get('/sessions', async (req, res) => {
    const q = parseInput(sessionQuery, req.query, 'query');
    const { user, canReadAll } = await reader(req);
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
    const live = liveSessionStatuses.includes(session.status);
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
    const q = parseInput(
      z.object({ download: z.enum(['true', 'false']).optional() }).strict(),
      req.query,
      'query',
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

  return router;
}
