import type { LoggerService } from '@backstage/backend-plugin-api';
import type { V1ObjectMeta } from '@kubernetes/client-node';
import type { ClusterRegistry } from '../kubernetes/ClusterRegistry';
import {
  liveSessionStatuses,
  type NewAuditEvent,
  type SessionStore,
} from '../database/SessionStore';
import {
  ENTITY_ANNOTATION,
  EXPIRES_AT_LABEL,
  MANAGED_SELECTOR,
  SESSION_ID_LABEL,
  SESSION_POD_CONTAINER,
  SESSION_POD_LABEL,
  USER_ANNOTATION,
} from './names';
import { readExpiry } from './podStatus';
import { SESSION_OBJECT_KINDS } from './SessionPodKube';
import type { SessionPodObjects } from './SessionPodObjects';
import type { SessionPodsConfig } from './sessionPodsConfig';

/** A connection expires its pod on time; the janitor leaves it that long before stepping in. */
const GRACE_MS = 5_000;

/** @internal */
export interface SessionPodJanitorOptions {
  clusters: ClusterRegistry;
  config: SessionPodsConfig;
  objects: SessionPodObjects;
  store: SessionStore;
  record(event: NewAuditEvent): void;
  logger: LoggerService;
  now?: () => number;
}

/**
 * Deletes expired session pods, by label, in every cluster that offers them — including those whose
 * backend crashed — and objects a crashed provisioning left without a pod. Ends the sessions still
 * marked live on a deleted pod as `expired` and records `expire` with `{ by: 'janitor' }`. Run by one
 * replica at a time (scheduler, global scope); the pod's `activeDeadlineSeconds` is the safety net
 * when no backend runs at all.
 *
 * @internal
 */
export class SessionPodJanitor {
  private readonly now: () => number;

  constructor(private readonly options: SessionPodJanitorOptions) {
    this.now = options.now ?? Date.now;
  }

  async run(): Promise<{ pods: number; objects: number }> {
    const total = { pods: 0, objects: 0 };
    for (const cluster of this.options.clusters.list()) {
      if (
        !cluster.kubeConfig ||
        !this.options.config.forCluster(cluster.name).enabled
      ) {
        continue;
      }
      try {
        const swept = await this.sweep(cluster.name);
        total.pods += swept.pods;
        total.objects += swept.objects;
      } catch (error) {
        this.options.logger.warn(
          `session pod janitor: cluster ${cluster.name}: ${
            (error as Error).message
          }`,
        );
      }
    }
    return total;
  }

  private async sweep(
    cluster: string,
  ): Promise<{ pods: number; objects: number }> {
    const { objects } = this.options;
    const kube = objects.kube(cluster);
    const now = this.now();
    const kept = new Set<string>();
    let pods = 0;
    let deleted = 0;
    for (const pod of await kube.list('Pod', MANAGED_SELECTOR)) {
      const meta = pod.metadata ?? {};
      const state = readExpiry(pod);
      const created = new Date(meta.creationTimestamp ?? 0).getTime();
      const expiresAt =
        state?.expiresAt.getTime() ??
        created + this.options.config.maxLifetimeMs;
      const finished =
        pod.status?.phase === 'Failed' || pod.status?.phase === 'Succeeded';
      if (expiresAt + GRACE_MS > now && !finished) {
        kept.add(`${meta.namespace}/${meta.name}`);
        continue;
      }
      const target = { cluster, namespace: meta.namespace!, pod: meta.name! };
      deleted += await objects.deleteAll(target);
      pods += 1;
      await this.recordExpiry(
        cluster,
        meta,
        new Date(expiresAt),
        finished ? pod.status?.reason : undefined,
      );
    }
    for (const kind of SESSION_OBJECT_KINDS) {
      for (const object of await kube.list(kind, MANAGED_SELECTOR)) {
        const meta = object.metadata ?? {};
        const owner = meta.labels?.[SESSION_POD_LABEL];
        const expiresAt = Number(meta.labels?.[EXPIRES_AT_LABEL]) * 1000;
        if (
          kept.has(`${meta.namespace}/${owner}`) ||
          !(expiresAt + GRACE_MS <= now)
        ) {
          continue;
        }
        if (
          await kube.delete({
            kind,
            namespace: meta.namespace!,
            name: meta.name!,
          })
        ) {
          deleted += 1;
        }
      }
    }
    if (pods > 0 || deleted > 0) {
      this.options.logger.info(
        `session pod janitor: deleted ${pods} expired session pods and ${deleted} objects in cluster ${cluster}`,
      );
    }
    return { pods, objects: deleted };
  }

  private async recordExpiry(
    cluster: string,
    meta: V1ObjectMeta,
    expiresAt: Date,
    podReason?: string,
  ) {
    const { store, record } = this.options;
    // When is in the event's details (expiresAt) and shown in the reader's own time.
    const endReason =
      'the session pod expired; its objects were deleted by the clean-up janitor';
    const details = {
      by: 'janitor',
      expiresAt: expiresAt.toISOString(),
      ...(podReason && { podReason }),
    };
    const live = await store.listSessions({
      filter: {
        kind: 'session-pod',
        cluster,
        namespace: meta.namespace,
        pod: meta.name,
        status: [...liveSessionStatuses],
      },
      limit: 500,
      includeTotalCount: false,
    });
    const ended = await store.endSessions(
      live.items.map(s => s.id),
      { status: 'expired', endReason, endedAt: new Date(this.now()) },
    );
    for (const session of live.items.filter(s => ended.includes(s.id))) {
      record({
        sessionId: session.id,
        eventType: 'expire',
        userEntityRef: session.userEntityRef,
        entityRef: session.entityRef,
        cluster,
        namespace: session.namespace,
        pod: session.pod,
        container: session.container,
        details,
      });
    }
    if (ended.length === 0) {
      // Nobody was connected: the event goes to the session that started the pod.
      record({
        sessionId: meta.labels?.[SESSION_ID_LABEL],
        eventType: 'expire',
        userEntityRef: meta.annotations?.[USER_ANNOTATION] ?? 'unknown',
        entityRef: meta.annotations?.[ENTITY_ANNOTATION],
        cluster,
        namespace: meta.namespace,
        pod: meta.name,
        container: SESSION_POD_CONTAINER,
        details,
      });
    }
  }
}
