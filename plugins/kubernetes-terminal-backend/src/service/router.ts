import type { AuthService } from '@backstage/backend-plugin-api';
import { parseEntityRef, stringifyEntityRef } from '@backstage/catalog-model';
import { InputError } from '@backstage/errors';
import {
  type TerminalClustersResponse,
  type TerminalTargetsResponse,
  kubernetesTerminalDebugContainerCreatePermission,
  kubernetesTerminalExecPermission,
  kubernetesTerminalSessionPodCreatePermission,
} from '@kubernetes-terminal/backstage-plugin-kubernetes-terminal-common';
import express from 'express';
import Router from 'express-promise-router';
import { z } from 'zod';
import { entityWorkloadSelector } from '../kubernetes/entityTargets';
import { namespacesOf } from '../kubernetes/PodLister';
import type { StreamGateway } from '../stream/StreamGateway';
import { createAuditEventsRouter } from './auditEventsRouter';
import { createAgentsRouter } from './agentsRouter';
import type { AgentTunnels } from '../agents/AgentTunnels';
import { createEntityLoader } from './entityAccess';
import { clusterAuthSchema, entityRefSchema, parseInput } from './requests';
import {
  type SessionsRouterOptions,
  createSessionsRouter,
} from './sessionsRouter';

/** @internal */
export interface RouterOptions extends SessionsRouterOptions {
  auth: AuthService;
  gateway: StreamGateway;
  /** The agents' tunnels, when some cluster is reached through an agent. */
  agents?: AgentTunnels;
}

const targetsRequestSchema = z
  .object({ entityRef: entityRefSchema, auth: clusterAuthSchema.optional() })
  .strict();

/**
 * The plugin's routes: the terminal WebSockets (through the gateway), the clusters and the entity's
 * targets here; the `/sessions` resource and the audit log in routers of their own.
 *
 * @internal
 */
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
    gateway,
    sessionPods,
  } = options;
  const router = Router();
  router.use(gateway.middleware());
  router.use(express.json({ limit: '16kb' }));

  const loadEntity = createEntityLoader({ httpAuth, catalog, permissions });

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
    res.json(
      await listTargets(req, parseInput(targetsRequestSchema, req.body)),
    );
  });

  router.use(createSessionsRouter(options));
  router.use(createAuditEventsRouter(options));
  router.use(
    createAgentsRouter({
      ...options,
      agentStatus: async () => (await options.agents?.status()) ?? [],
    }),
  );

  return router;
}
