import { CoreV1Api, type V1Pod } from '@kubernetes/client-node';
import { makeSharedConnectionApiClient } from './sharedConnectionApi';
import type {
  TerminalCluster,
  TerminalClusterErrorReason,
  TerminalPod,
} from '@kubernetes-terminal/backstage-plugin-kubernetes-terminal-common';
import type {
  ClusterRegistry,
  TerminalClusterDetails,
} from './ClusterRegistry';
import type { EntityWorkloadSelector } from './entityTargets';

/** @internal */
export class ClusterAccessError extends Error {
  constructor(readonly reason: TerminalClusterErrorReason, message: string) {
    super(message);
    this.name = 'ClusterAccessError';
  }
}

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
  /** One API client, and so one connection pool, per cluster. */
  private readonly apis = new Map<string, CoreV1Api>();

  constructor(
    private readonly clusters: ClusterRegistry,
    private readonly requestTimeoutMs = 10_000,
  ) {}

  async listForEntity(
    selector: EntityWorkloadSelector,
  ): Promise<TerminalCluster[]> {
    const clusters = this.clusters
      .list()
      .filter(c => !selector.cluster || c.name === selector.cluster);
    return Promise.all(clusters.map(c => this.listInCluster(c, selector)));
  }

  /** The pod, if it is one of the entity's workloads in that cluster; otherwise undefined. */
  async findEntityPod(
    selector: EntityWorkloadSelector,
    clusterName: string,
    namespace: string,
    podName: string,
  ): Promise<TerminalPod | undefined> {
    const cluster = this.clusters.get(clusterName);
    if (!cluster || (selector.cluster && selector.cluster !== clusterName)) {
      return undefined;
    }
    if (selector.namespace && selector.namespace !== namespace) {
      return undefined;
    }
    const result = await this.listInCluster(cluster, {
      ...selector,
      namespace,
    });
    if (result.error) {
      throw new ClusterAccessError(result.error.reason, result.error.message);
    }
    return result.pods.find(p => p.name === podName);
  }

  /** The namespaces the entity's pods are in, in one cluster. */
  async entityNamespaces(
    selector: EntityWorkloadSelector,
    clusterName: string,
  ): Promise<string[]> {
    const cluster = this.clusters.get(clusterName);
    if (!cluster || (selector.cluster && selector.cluster !== clusterName)) {
      return [];
    }
    const result = await this.listInCluster(cluster, selector);
    if (result.error) {
      throw new ClusterAccessError(result.error.reason, result.error.message);
    }
    return namespacesOf(result.pods);
  }

  private async listInCluster(
    cluster: TerminalClusterDetails,
    selector: EntityWorkloadSelector,
  ): Promise<TerminalCluster> {
    const base = {
      name: cluster.name,
      ...(cluster.title && { title: cluster.title }),
    };
    if (!cluster.kubeConfig) {
      return {
        ...base,
        pods: [],
        error: {
          reason: 'ERROR',
          message: cluster.unsupported ?? 'not usable',
        },
      };
    }
    let api = this.apis.get(cluster.name);
    if (!api) {
      api = makeSharedConnectionApiClient(cluster.kubeConfig, CoreV1Api);
      this.apis.set(cluster.name, api);
    }
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
    return {
      reason: 'UNAUTHORIZED',
      message: `cluster '${cluster.name}' rejected the backend's credentials${
        statusMessage ? `: ${statusMessage}` : ''
      }`,
    };
  }
  if (code === 403) {
    return {
      reason: 'FORBIDDEN',
      message: `cluster '${
        cluster.name
      }' does not allow the backend to list pods${
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
  const cause = error instanceof Error ? error.message : String(error);
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
