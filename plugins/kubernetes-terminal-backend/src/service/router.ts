import type {
  AuthService,
  HttpAuthService,
  LoggerService,
  PermissionsService,
} from '@backstage/backend-plugin-api';
import { parseEntityRef, stringifyEntityRef } from '@backstage/catalog-model';
import {
  AuthenticationError,
  ConflictError,
  InputError,
  NotAllowedError,
  NotFoundError,
  ServiceUnavailableError,
} from '@backstage/errors';
import type { CatalogService } from '@backstage/plugin-catalog-node';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import {
  type CreateTerminalSessionResponse,
  type TerminalClustersResponse,
  type TerminalTargetsResponse,
  kubernetesTerminalDebugContainerCreatePermission,
  kubernetesTerminalExecPermission,
  kubernetesTerminalSessionPodCreatePermission,
} from '@kubernetes-terminal/backstage-plugin-kubernetes-terminal-common';
import type { DebugContainersConfig } from '../debugContainers/debugContainersConfig';
import type { ResourcePermission } from '@backstage/plugin-permission-common';
import express from 'express';
import Router from 'express-promise-router';
import { z } from 'zod';
import type { ClusterRegistry } from '../kubernetes/ClusterRegistry';
import {
  type CallerFor,
  ClusterAccessError,
  type PodLister,
  namespacesOf,
} from '../kubernetes/PodLister';
import type { ClusterCallers } from '../kubernetes/impersonation';
import { entityWorkloadSelector } from '../kubernetes/entityTargets';
import {
  type SessionStore,
  type StoredTerminalSession,
  liveSessionStatuses,
} from '../database/SessionStore';
import { REPLICA_PLUGIN_ID, type ReplicaClient } from './ReplicaClient';
import type { TerminalSessions } from '../sessions/TerminalSessions';
import { SESSION_POD_CONTAINER, sessionPodName } from '../sessionPods/names';
import type { SessionPodManager } from '../sessionPods/SessionPodManager';
import type { StreamGateway } from '../stream/StreamGateway';
import type { SessionRegistry } from './SessionRegistry';
import type { TicketStore } from './TicketStore';

/** @internal */
export interface RouterOptions {
  logger: LoggerService;
  auth: AuthService;
  httpAuth: HttpAuthService;
  permissions: PermissionsService;
  catalog: CatalogService;
  clusters: ClusterRegistry;
  callers: ClusterCallers;
  pods: PodLister;
  sessions: SessionRegistry;
  tickets: TicketStore;
  gateway: StreamGateway;
  terminalSessions: TerminalSessions;
  store: SessionStore;
  sessionPods?: SessionPodManager;
  /** Offered when `enabled`. */
  debugContainers?: DebugContainersConfig;
  /** Forwards resumes of sessions another replica holds. */
  replicas?: ReplicaClient;
}

// Kubernetes names: DNS-1123 labels for namespaces and containers, subdomains for pods.
const dnsLabel = z
  .string()
  .max(63)
  .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, 'must be a DNS-1123 label');
const dnsSubdomain = z
  .string()
  .max(253)
  .regex(
    /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/,
    'must be a DNS-1123 subdomain',
  );
const entityRefSchema = z
  .string()
  .min(1)
  .max(1024)
  .transform((ref, ctx) => {
    try {
      return stringifyEntityRef(parseEntityRef(ref));
    } catch (e) {
      ctx.addIssue({
        code: z.ZodIssueCode.custom,
        message: (e as Error).message,
      });
      return z.NEVER;
    }
  });

/** The person's own cluster credentials (TerminalClusterAuth): tokens, never logged or stored. */
const token = z.string().min(1).max(16384);
const clusterAuthSchema = z
  .object({
    google: token.optional(),
    aks: token.optional(),
    oidc: z.record(z.string().min(1).max(253), token).optional(),
  })
  // The Kubernetes plugin's request bodies may carry more providers; they are not ours to read.
  .strip();

const targetsRequestSchema = z
  .object({ entityRef: entityRefSchema, auth: clusterAuthSchema.optional() })
  .strict();

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

function parseBody<T extends z.ZodTypeAny>(
  schema: T,
  body: unknown,
): z.infer<T> {
  const parsed = schema.safeParse(body);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    // A token's value is never echoed back: the path names it.
    throw new InputError(`${issue.path.join('.') || 'body'}: ${issue.message}`);
  }
  return parsed.data;
}

/** @internal */
export async function createRouter(
  options: RouterOptions,
): Promise<express.Router> {
  const {
    httpAuth,
    permissions,
    catalog,
    clusters,
    callers,
    pods,
    sessions,
    tickets,
    gateway,
    terminalSessions,
    store,
    sessionPods,
    replicas,
  } = options;
  const router = Router();
  router.use(gateway.middleware());
  router.use(express.json({ limit: '16kb' }));

  /** The entity, and which of the permissions the caller holds on it. */
  async function loadEntity(
    entityRef: string,
    req: express.Request,
    wanted: ResourcePermission<'catalog-entity'>[],
  ) {
    const credentials = await httpAuth.credentials(req, { allow: ['user'] });
    const entity = await catalog.getEntityByRef(entityRef, { credentials });
    if (!entity) {
      throw new NotFoundError(`entity ${entityRef} not found`);
    }
    const decisions = await permissions.authorize(
      wanted.map(permission => ({ permission, resourceRef: entityRef })),
      { credentials },
    );
    return {
      credentials,
      entity,
      allowed: decisions.map(d => d.result === AuthorizeResult.ALLOW),
    };
  }

  /** A call to a cluster, its failure told as the HTTP error that fits. */
  async function clusterCall<T>(call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (error) {
      if (!(error instanceof ClusterAccessError)) throw error;
      if (error.reason === 'SIGN_IN_REQUIRED') {
        throw new AuthenticationError(error.message);
      }
      if (error.reason === 'FORBIDDEN') {
        throw new NotAllowedError(error.message);
      }
      throw new ServiceUnavailableError(error.message);
    }
  }

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

  router.get('/health', (_req, res) => {
    res.json({ status: 'ok' });
  });

  router.get('/clusters', async (req, res) => {
    await httpAuth.credentials(req, { allow: ['user'] });
    const response: TerminalClustersResponse = {
      items: clusters.list().map(c => ({
        name: c.name,
        ...(c.title && { title: c.title }),
        ...(c.browserAuthProvider && { authProvider: c.browserAuthProvider }),
        ...(c.unsupported && { unusable: c.unsupported }),
      })),
    };
    res.json(response);
  });

  /** The entity's pods per cluster; `auth` carries the person's credentials for clusters that need them. */
  async function listTargets(
    req: express.Request,
    body: z.infer<typeof targetsRequestSchema>,
  ): Promise<TerminalTargetsResponse> {
    const {
      credentials,
      entity,
      allowed: [canExec, canCreateSessionPod, canDebugContainers],
    } = await loadEntity(body.entityRef, req, [
      kubernetesTerminalExecPermission,
      kubernetesTerminalSessionPodCreatePermission,
      kubernetesTerminalDebugContainerCreatePermission,
    ]);
    const selector = entityWorkloadSelector(entity);
    const debugOffered = Boolean(options.debugContainers?.enabled);
    const canDebug = debugOffered && canDebugContainers;
    const response: TerminalTargetsResponse = {
      entityRef: body.entityRef,
      annotated: selector.annotated,
      canExec,
      ...(debugOffered && { canDebug }),
      clusters: [],
    };
    if (!canExec && !canCreateSessionPod && !canDebug) {
      // Nothing to open: no inventory of the entity's pods, only what explains the refusal.
      const owner = entity.spec?.owner;
      response.denied = {
        permissions: [
          kubernetesTerminalExecPermission.name,
          ...(sessionPods?.config.anyEnabled
            ? [kubernetesTerminalSessionPodCreatePermission.name]
            : []),
          ...(debugOffered
            ? [kubernetesTerminalDebugContainerCreatePermission.name]
            : []),
        ],
        ...(typeof owner === 'string' && {
          owner: stringifyEntityRef(
            parseEntityRef(owner, {
              defaultKind: 'group',
              defaultNamespace: entity.metadata.namespace ?? 'default',
            }),
          ),
        }),
      };
      return response;
    }
    if (selector.annotated) {
      response.labelSelector = selector.labelSelector;
      response.clusters = await pods.listForEntity(selector, cluster =>
        callers.callerFor(cluster, credentials, body.auth),
      );
      for (const cluster of response.clusters) {
        const sessionPod = sessionPods?.availability(
          cluster.name,
          canCreateSessionPod,
          selector.namespace
            ? [selector.namespace]
            : namespacesOf(cluster.pods),
        );
        if (sessionPod) {
          cluster.sessionPod = sessionPod;
        }
      }
    }
    return response;
  }

  router.get('/targets', async (req, res) => {
    const parsed = entityRefSchema.safeParse(req.query.entityRef);
    if (!parsed.success) {
      throw new InputError(`entityRef: ${parsed.error.issues[0].message}`);
    }
    res.json(await listTargets(req, { entityRef: parsed.data }));
  });

  router.post('/targets', async (req, res) => {
    res.json(await listTargets(req, parseBody(targetsRequestSchema, req.body)));
  });

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
      ? parseBody(createDebugSessionSchema, req.body)
      : parseBody(createSessionSchema, req.body);
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
    const body = parseBody(createSessionPodSchema, req.body);
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
    const { id } = parseBody(z.object({ id: z.string().uuid() }), req.params);
    const { offset } = parseBody(resumeSchema, req.body ?? {});
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
    const { id } = parseBody(z.object({ id: z.string().uuid() }), req.params);
    const { offset, userEntityRef } = parseBody(
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
    const { id } = parseBody(z.object({ id: z.string().uuid() }), req.params);
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
    if (stored.status !== 'active' && stored.status !== 'idle') {
      throw new ConflictError(
        `terminal session ${id} has ended (${stored.status})`,
      );
    }
    res.json(await sessionPods.extend(stored));
  });

  return router;
}
