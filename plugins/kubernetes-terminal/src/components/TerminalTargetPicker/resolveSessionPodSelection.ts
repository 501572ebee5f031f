import type { TerminalCluster } from '@kubernetes-terminal/backstage-plugin-kubernetes-terminal-common';
import type { TerminalSessionPodTarget } from '../../types';

/** @internal */
export interface ResolvedSessionPodSelection {
  selection: { cluster?: string; namespace?: string };
  cluster?: TerminalCluster;
  namespaces: string[];
  /** Set once cluster and namespace are chosen. */
  target?: TerminalSessionPodTarget;
}

/** Clusters with the session pod mode switched on, usable or not. @internal */
export function sessionPodClusters(
  clusters: TerminalCluster[],
): TerminalCluster[] {
  return clusters.filter(c => c.sessionPod?.enabled);
}

/**
 * Whether a session pod can be started in a cluster: reachable, switched on, allowed, with a
 * namespace.
 *
 * @internal
 */
export function isSessionPodUsable(cluster: TerminalCluster): boolean {
  const { error, sessionPod } = cluster;
  return Boolean(
    !error &&
      sessionPod?.enabled &&
      sessionPod.canCreate &&
      sessionPod.namespaces.length > 0,
  );
}

/** @internal */
export function usableSessionPodClusters(
  clusters: TerminalCluster[],
): TerminalCluster[] {
  return clusters.filter(isSessionPodUsable);
}

/**
 * Completes a partial choice of cluster and namespace for a session pod, as `resolveSelection`
 * does for containers: a value that no longer exists is dropped, a single option is chosen.
 *
 * @internal
 */
export function resolveSessionPodSelection(
  clusters: TerminalCluster[],
  wanted: { cluster?: string; namespace?: string } | undefined,
): ResolvedSessionPodSelection {
  const result: ResolvedSessionPodSelection = {
    selection: {},
    namespaces: [],
  };
  const candidates = usableSessionPodClusters(clusters);
  const cluster =
    candidates.find(c => c.name === wanted?.cluster) ??
    (candidates.length === 1 ? candidates[0] : undefined);
  if (!cluster) {
    return result;
  }
  result.cluster = cluster;
  result.selection.cluster = cluster.name;
  result.namespaces = [...new Set(cluster.sessionPod!.namespaces)].sort();

  const namespace =
    result.namespaces.find(n => n === wanted?.namespace) ??
    (result.namespaces.length === 1 ? result.namespaces[0] : undefined);
  if (!namespace) {
    return result;
  }
  result.selection.namespace = namespace;
  result.target = { kind: 'session-pod', cluster: cluster.name, namespace };
  return result;
}
