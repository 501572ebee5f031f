import type {
  AuthService,
  HttpAuthService,
  LoggerService,
  PermissionsService,
} from '@backstage/backend-plugin-api';
import { parseEntityRef, stringifyEntityRef } from '@backstage/catalog-model';
import {
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
  type TerminalTargetsResponse,
  kubernetesTerminalExecPermission,
} from '@internal/plugin-kubernetes-terminal-common';
import express from 'express';
import Router from 'express-promise-router';
import { z } from 'zod';
import type { ClusterRegistry } from '../kubernetes/ClusterRegistry';
import { ClusterAccessError, type PodLister } from '../kubernetes/PodLister';
import { entityWorkloadSelector } from '../kubernetes/entityTargets';
import type { TerminalSessions } from '../sessions/TerminalSessions';
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
  pods: PodLister;
  sessions: SessionRegistry;
  tickets: TicketStore;
  gateway: StreamGateway;
  terminalSessions: TerminalSessions;
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
      ctx.addIssue({ code: z.ZodIssueCode.custom, message: (e as Error).message });
      return z.NEVER;
    }
  });

const createSessionSchema = z
  .object({
    entityRef: entityRefSchema,
    cluster: z.string().min(1).max(253),
    namespace: dnsLabel,
    pod: dnsSubdomain,
    container: dnsLabel,
    cols: z.number().int().min(1).max(1000).optional(),
    rows: z.number().int().min(1).max(1000).optional(),
  })
  .strict();

/** @internal */
export async function createRouter(options: RouterOptions): Promise<express.Router> {
  const { httpAuth, permissions, catalog, pods, sessions, tickets, gateway, terminalSessions } =
    options;
  const router = Router();
  router.use(gateway.middleware());
  router.use(express.json({ limit: '16kb' }));

  async function loadEntity(entityRef: string, req: express.Request) {
    const credentials = await httpAuth.credentials(req, { allow: ['user'] });
    const entity = await catalog.getEntityByRef(entityRef, { credentials });
    if (!entity) {
      throw new NotFoundError(`entity ${entityRef} not found`);
    }
    const [decision] = await permissions.authorize(
      [{ permission: kubernetesTerminalExecPermission, resourceRef: entityRef }],
      { credentials },
    );
    return { credentials, entity, canExec: decision.result === AuthorizeResult.ALLOW };
  }

  router.get('/health', (_req, res) => {
    res.json({ status: 'ok' });
  });

  router.get('/targets', async (req, res) => {
    const parsed = entityRefSchema.safeParse(req.query.entityRef);
    if (!parsed.success) {
      throw new InputError(`entityRef: ${parsed.error.issues[0].message}`);
    }
    const { entity, canExec } = await loadEntity(parsed.data, req);
    const selector = entityWorkloadSelector(entity);
    const response: TerminalTargetsResponse = {
      entityRef: parsed.data,
      annotated: selector.annotated,
      canExec,
      clusters: [],
    };
    if (selector.annotated) {
      response.labelSelector = selector.labelSelector;
      response.clusters = await pods.listForEntity(selector);
    }
    res.json(response);
  });

  router.post('/sessions', async (req, res) => {
    const parsed = createSessionSchema.safeParse(req.body);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new InputError(`${issue.path.join('.') || 'body'}: ${issue.message}`);
    }
    const body = parsed.data;
    const { credentials, entity, canExec } = await loadEntity(body.entityRef, req);
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
        details: { permission: kubernetesTerminalExecPermission.name },
      });
      throw new NotAllowedError(
        `you are not allowed to open a terminal on ${body.entityRef}`,
      );
    }
    const selector = entityWorkloadSelector(entity);
    if (!selector.annotated) {
      throw new InputError(`${body.entityRef} has no Kubernetes annotations`);
    }
    let pod;
    try {
      pod = await pods.findEntityPod(selector, body.cluster, body.namespace, body.pod);
    } catch (error) {
      if (error instanceof ClusterAccessError) {
        throw new ServiceUnavailableError(error.message);
      }
      throw error;
    }
    // The backend's own credentials act on the cluster: only the entity's own pods may be opened.
    if (!pod) {
      throw new NotFoundError(
        `pod ${body.namespace}/${body.pod} in cluster ${body.cluster} is not one of ${body.entityRef}'s workloads`,
      );
    }
    const container = pod.containers.find(c => c.name === body.container);
    if (!container) {
      throw new NotFoundError(`pod ${body.pod} has no container ${body.container}`);
    }
    if (pod.phase !== 'Running') {
      throw new ConflictError(`pod ${body.pod} is ${pod.phase}, not Running`);
    }
    const userEntityRef = credentials.principal.userEntityRef;
    await terminalSessions.assertCanOpen(userEntityRef);
    const session = sessions.create({
      userEntityRef,
      entityRef: body.entityRef,
      cluster: body.cluster,
      namespace: body.namespace,
      pod: body.pod,
      container: body.container,
      initialSize: body.cols && body.rows ? { cols: body.cols, rows: body.rows } : undefined,
      clientIp: req.ip,
      userAgent: req.header('user-agent'),
    });
    const { ticket, expiresAt } = tickets.issue({ sessionId: session.id, userEntityRef });
    const response: CreateTerminalSessionResponse = {
      sessionId: session.id,
      ticket,
      ticketExpiresAt: expiresAt.toISOString(),
      streamPath: `/sessions/${session.id}/stream`,
    };
    res.status(201).json(response);
  });

  return router;
}
