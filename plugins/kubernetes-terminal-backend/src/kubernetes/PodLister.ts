import { CoreV1Api, type V1Pod } from '@kubernetes/client-node';
import type {
  TerminalCluster,
  TerminalClusterErrorReason,
  TerminalPod,
} from '@kubernetes-terminal/backstage-plugin-kubernetes-terminal-common';
import type { ClusterCaller } from './clusterAuth';
import type {
  ClusterRegistry,
  TerminalClusterDetails,
} from './ClusterRegistry';
import type { EntityWorkloadSelector } from './entityTargets';
import { ClusterAccessError } from './errors';
import { AgentUnavailableError } from '../agents/AgentTunnels';

export { ClusterAccessError };

/**
 * Whom the calls to a cluster are made for (the person's token, their impersonated identity); it may
 * throw a ClusterAccessError, e.g. when the person's credential for the cluster is missing.
 *
 * @internal
 */
export type CallerFor = (
  cluster: TerminalClusterDetails,
) => Promise<ClusterCaller>;

/** The distinct namespaces of some pods, sorted. @internal */
export function namespacesOf(pods: TerminalPod[]): string[] {
  return [...new Set(pods.map(p => p.namespace))].sort();
}

/**
 * Lists an entity's pods in every configured cluster; a cluster that fails is reported, not fatal.
 *
 * @internal
 */
export class PodLister {
  constructor(
    private readonly clusters: ClusterRegistry,
    private readonly requestTimeoutMs = 10_000,
  ) {}

  async listForEntity(
    selector: EntityWorkloadSelector,
    callerFor: CallerFor,
  ): Promise<TerminalCluster[]> {
    const clusters = this.clusters
      .list()
      .filter(c => !selector.cluster || c.name === selector.cluster);
    return Promise.all(
      clusters.map(c => this.listInCluster(c, selector, callerFor)),
    );
  }

  /** The pod, if it is one of the entity's workloads in that cluster; otherwise undefined. */
  async findEntityPod(
    selector: EntityWorkloadSelector,
    clusterName: string,
    namespace: string,
    podName: string,
    callerFor: CallerFor,
  ): Promise<TerminalPod | undefined> {
    const cluster = this.clusters.get(clusterName);
    if (!cluster || (selector.cluster && selector.cluster !== clusterName)) {
      return undefined;
    }
    if (selector.namespace && selector.namespace !== namespace) {
      return undefined;
    }
    const result = await this.listInCluster(
      cluster,
      { ...selector, namespace },
      callerFor,
    );
    if (result.error) {
      throw new ClusterAccessError(result.error.reason, result.error.message);
    }
    return result.pods.find(p => p.name === podName);
  }

  /** The namespaces the entity's pods are in, in one cluster. */
  async entityNamespaces(
    selector: EntityWorkloadSelector,
    clusterName: string,
    callerFor: CallerFor,
  ): Promise<string[]> {
    const cluster = this.clusters.get(clusterName);
    if (!cluster || (selector.cluster && selector.cluster !== clusterName)) {
      return [];
    }
    const result = await this.listInCluster(cluster, selector, callerFor);
    if (result.error) {
      throw new ClusterAccessError(result.error.reason, result.error.message);
    }
    return namespacesOf(result.pods);
  }

  private async listInCluster(
    cluster: TerminalClusterDetails,
    selector: EntityWorkloadSelector,
    callerFor: CallerFor,
  ): Promise<TerminalCluster> {
    const base = {
      name: cluster.name,
      ...(cluster.title && { title: cluster.title }),
      ...(cluster.browserAuthProvider && {
        authProvider: cluster.browserAuthProvider,
      }),
    };
    if (!cluster.access) {
      return {
        ...base,
        pods: [],
        error: {
          reason: 'ERROR',
          message: cluster.unsupported ?? 'not usable',
        },
      };
    }
    let caller: ClusterCaller;
    try {
      caller = await callerFor(cluster);
    } catch (error) {
      if (error instanceof ClusterAccessError) {
        return {
          ...base,
          pods: [],
          error: { reason: error.reason, message: error.message },
        };
      }
      throw error;
    }
    const api = cluster.access(caller).api(CoreV1Api);
    try {
      const list = await withTimeout(
        selector.namespace
          ? api.listNamespacedPod({
              namespace: selector.namespace,
              labelSelector: selector.labelSelector,
            })
          : api.listPodForAllNamespaces({
              labelSelector: selector.labelSelector,
            }),
        this.requestTimeoutMs,
      );
      return { ...base, pods: list.items.map(toTerminalPod) };
    } catch (error) {
      const { reason, message } = describeClusterError(cluster, error);
      return { ...base, pods: [], error: { reason, message } };
    }
  }
}

function toTerminalPod(pod: V1Pod): TerminalPod {
  const statuses = pod.status?.containerStatuses ?? [];
  return {
    name: pod.metadata?.name ?? '',
    namespace: pod.metadata?.namespace ?? '',
    phase: pod.status?.phase ?? 'Unknown',
    ready:
      pod.status?.conditions?.some(
        c => c.type === 'Ready' && c.status === 'True',
      ) ?? false,
    containers: (pod.spec?.containers ?? []).map(c => {
      const status = statuses.find(s => s.name === c.name);
      let state = 'waiting';
      if (status?.state?.running) state = 'running';
      else if (status?.state?.terminated)
        state = `terminated${
          status.state.terminated.reason
            ? `: ${status.state.terminated.reason}`
            : ''
        }`;
      else if (status?.state?.waiting?.reason)
        state = `waiting: ${status.state.waiting.reason}`;
      return {
        name: c.name,
        image: c.image,
        ready: status?.ready ?? false,
        state,
      };
    }),
  };
}

function describeClusterError(
  cluster: TerminalClusterDetails,
  error: unknown,
): { reason: TerminalClusterErrorReason; message: string } {
  const code = (error as { code?: number }).code;
  const body = (error as { body?: unknown }).body;
  const statusMessage = parseStatusMessage(body);
  if (code === 401) {
    return cluster.browserAuthProvider
      ? {
          reason: 'SIGN_IN_REQUIRED',
          message: `cluster '${cluster.name}' rejected your ${
            cluster.browserAuthProvider
          } credential (expired?): sign in again${
            statusMessage ? ` (${statusMessage})` : ''
          }`,
        }
      : {
          reason: 'UNAUTHORIZED',
          message: `cluster '${
            cluster.name
          }' rejected the backend's credentials${
            statusMessage ? `: ${statusMessage}` : ''
          }`,
        };
  }
  if (code === 403) {
    const who =
      cluster.browserAuthProvider || cluster.impersonate
        ? 'you'
        : 'the backend';
    return {
      reason: 'FORBIDDEN',
      message: `the cluster refused: cluster '${
        cluster.name
      }' does not allow ${who} to list pods${
        statusMessage ? `: ${statusMessage}` : ''
      }`,
    };
  }
  if (typeof code === 'number') {
    return {
      reason: 'ERROR',
      message: `cluster '${cluster.name}' answered ${code}${
        statusMessage ? `: ${statusMessage}` : ''
      }`,
    };
  }
  if (error instanceof AgentUnavailableError) {
    return { reason: 'UNREACHABLE', message: error.message };
  }
  // fetch says only "fetch failed"; why is in its cause (e.g. the agent's refusal, ECONNREFUSED).
  const reason = (error as { cause?: unknown }).cause;
  const cause =
    error instanceof Error
      ? `${error.message}${
          reason instanceof Error && reason.message !== error.message
            ? `: ${reason.message}`
            : ''
        }`
      : String(error);
  return {
    reason: 'UNREACHABLE',
    message: `cluster '${cluster.name}' at ${cluster.url} cannot be reached: ${cause}`,
  };
}

function parseStatusMessage(body: unknown): string | undefined {
  try {
    const status = typeof body === 'string' ? JSON.parse(body) : body;
    return typeof status?.message === 'string' ? status.message : undefined;
  } catch {
    return undefined;
  }
}

async function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`no answer within ${ms} ms`)),
          ms,
        );
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
