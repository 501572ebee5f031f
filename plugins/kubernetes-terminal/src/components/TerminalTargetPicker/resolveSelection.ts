import type {
  TerminalCluster,
  TerminalContainer,
  TerminalPod,
} from '@kubernetes-terminal/backstage-plugin-kubernetes-terminal-common';
import type { TerminalTarget } from '../../types';

/** @internal */
export interface ResolvedSelection {
  selection: Partial<TerminalTarget>;
  cluster?: TerminalCluster;
  namespaces: string[];
  pods: TerminalPod[];
  pod?: TerminalPod;
  containers: TerminalContainer[];
  /** Set once every level is chosen. */
  target?: TerminalTarget;
}

/** Clusters a terminal can be opened in: listed without error and with at least one pod. */
export function usableClusters(clusters: TerminalCluster[]): TerminalCluster[] {
  return clusters.filter(c => !c.error && c.pods.length > 0);
}

/**
 * Completes a partial choice level by level: a value that no longer exists is dropped together with
 * everything below it, and a level with exactly one option is chosen automatically.
 *
 * @internal
 */
export function resolveSelection(
  clusters: TerminalCluster[],
  wanted: Partial<TerminalTarget> | undefined,
): ResolvedSelection {
  const result: ResolvedSelection = {
    selection: {},
    namespaces: [],
    pods: [],
    containers: [],
  };

  const candidates = usableClusters(clusters);
  const cluster =
    candidates.find(c => c.name === wanted?.cluster) ??
    (candidates.length === 1 ? candidates[0] : undefined);
  if (!cluster) {
    return result;
  }
  result.cluster = cluster;
  result.selection.cluster = cluster.name;
  result.namespaces = [...new Set(cluster.pods.map(p => p.namespace))].sort();

  const namespace =
    result.namespaces.find(n => n === wanted?.namespace) ??
    (result.namespaces.length === 1 ? result.namespaces[0] : undefined);
  if (!namespace) {
    return result;
  }
  result.selection.namespace = namespace;
  result.pods = cluster.pods.filter(p => p.namespace === namespace);

  const pod =
    result.pods.find(p => p.name === wanted?.pod) ??
    (result.pods.length === 1 ? result.pods[0] : undefined);
  if (!pod) {
    return result;
  }
  result.pod = pod;
  result.selection.pod = pod.name;
  result.containers = pod.containers;

  const container =
    pod.containers.find(c => c.name === wanted?.container) ??
    (pod.containers.length === 1 ? pod.containers[0] : undefined);
  if (!container) {
    return result;
  }
  result.selection.container = container.name;
  result.target = {
    cluster: cluster.name,
    namespace,
    pod: pod.name,
    container: container.name,
  };
  return result;
}
