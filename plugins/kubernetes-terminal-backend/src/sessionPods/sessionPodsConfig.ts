import type { Config } from '@backstage/config';
import { readDurationFromConfig } from '@backstage/config';
import type { JsonObject } from '@backstage/types';
import { durationToMilliseconds } from '@backstage/types';

/** @internal */
export interface SessionPodResources {
  requests: { cpu: string; memory: string };
  limits: { cpu: string; memory: string };
}

/** @internal */
export interface SessionPodNetworkPolicy {
  enabled: boolean;
  /** Where the API server's endpoints are; empty: discovered from `default/kubernetes` Endpoints. */
  apiServerCidrs: string[];
  apiServerPorts: number[];
  dnsPort: number;
  extraEgress: JsonObject[];
}

/** The settings of one cluster, the global ones with the cluster's overrides applied. @internal */
export interface SessionPodClusterSettings {
  enabled: boolean;
  image: string;
  command: string[];
  clusterRole: string;
  /** The API server as the pod reaches it; goes into the pod's kubeconfig. */
  apiServerUrl: string;
  podAnnotations: Record<string, string>;
  resources: SessionPodResources;
  networkPolicy: SessionPodNetworkPolicy;
}

/** @internal */
export interface SessionPodsConfig {
  /** Whether any cluster offers session pods. */
  anyEnabled: boolean;
  expiryMs: number;
  extendByMs: number;
  maxLifetimeMs: number;
  warningBeforeMs: number;
  provisionTimeoutMs: number;
  janitorIntervalMs: number;
  /** The settings for a cluster; `enabled` false when the cluster does not offer session pods. */
  forCluster(cluster: string): SessionPodClusterSettings;
}

const ROLE_NAME = /^[^/%]+$/;
const QUANTITY = /^[0-9]+(\.[0-9]+)?(m|k|Ki|Mi|Gi|Ti|M|G|T)?$/;
const ANNOTATION_KEY =
  /^([a-z0-9]([-a-z0-9.]*[a-z0-9])?\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;

function readSettings(
  section: Config | undefined,
  base: SessionPodClusterSettings | undefined,
  where: string,
): SessionPodClusterSettings {
  const string = (key: string, fallback: string) => {
    const value = section?.getOptionalString(key) ?? fallback;
    if (!value.trim()) {
      throw new Error(`${where}.${key} must not be empty`);
    }
    return value;
  };
  const command = section?.getOptionalStringArray('command') ??
    base?.command ?? ['sleep', 'infinity'];
  if (command.length === 0) {
    throw new Error(`${where}.command must list at least the program to run`);
  }
  const clusterRole = string('clusterRole', base?.clusterRole ?? 'view');
  if (!ROLE_NAME.test(clusterRole)) {
    throw new Error(
      `${where}.clusterRole '${clusterRole}' is not a valid ClusterRole name`,
    );
  }
  const quantity = (key: string, fallback: string) => {
    const value = section?.getOptionalString(key) ?? fallback;
    if (!QUANTITY.test(value)) {
      throw new Error(
        `${where}.${key} '${value}' is not a Kubernetes quantity such as 100m or 128Mi`,
      );
    }
    return value;
  };
  const r = base?.resources;
  const resources: SessionPodResources = {
    requests: {
      cpu: quantity('resources.requests.cpu', r?.requests.cpu ?? '50m'),
      memory: quantity(
        'resources.requests.memory',
        r?.requests.memory ?? '64Mi',
      ),
    },
    limits: {
      cpu: quantity('resources.limits.cpu', r?.limits.cpu ?? '500m'),
      memory: quantity('resources.limits.memory', r?.limits.memory ?? '256Mi'),
    },
  };
  const n = base?.networkPolicy;
  const ports = (key: string, fallback: number[]) => {
    const value = section?.getOptional<unknown>(key) ?? fallback;
    if (
      !Array.isArray(value) ||
      value.length === 0 ||
      !value.every(p => Number.isInteger(p) && p >= 1 && p <= 65535)
    ) {
      throw new Error(`${where}.${key} must list port numbers`);
    }
    return value as number[];
  };
  const dnsPort =
    section?.getOptionalNumber('networkPolicy.dnsPort') ?? n?.dnsPort ?? 53;
  if (!Number.isInteger(dnsPort) || dnsPort < 1 || dnsPort > 65535) {
    throw new Error(`${where}.networkPolicy.dnsPort must be a port number`);
  }
  const networkPolicy: SessionPodNetworkPolicy = {
    enabled:
      section?.getOptionalBoolean('networkPolicy.enabled') ??
      n?.enabled ??
      true,
    apiServerCidrs:
      section?.getOptionalStringArray('networkPolicy.apiServerCidrs') ??
      n?.apiServerCidrs ??
      [],
    apiServerPorts: ports(
      'networkPolicy.apiServerPorts',
      n?.apiServerPorts ?? [443, 6443],
    ),
    dnsPort,
    extraEgress:
      section
        ?.getOptionalConfigArray('networkPolicy.extraEgress')
        ?.map(c => c.get<JsonObject>()) ??
      n?.extraEgress ??
      [],
  };
  for (const cidr of networkPolicy.apiServerCidrs) {
    if (!/^[0-9a-fA-F.:]+\/\d{1,3}$/.test(cidr)) {
      throw new Error(
        `${where}.networkPolicy.apiServerCidrs: '${cidr}' is not a CIDR such as 10.0.0.1/32`,
      );
    }
  }
  const podAnnotations: Record<string, string> = { ...base?.podAnnotations };
  // Annotation keys hold dots and slashes, which config keys may not: read the object as it is.
  const annotations = section?.getOptional<unknown>('podAnnotations') ?? {};
  if (
    typeof annotations !== 'object' ||
    Array.isArray(annotations) ||
    annotations === null
  ) {
    throw new Error(
      `${where}.podAnnotations must be an object of annotation keys and values`,
    );
  }
  for (const [key, value] of Object.entries(annotations)) {
    if (!ANNOTATION_KEY.test(key) || typeof value !== 'string') {
      throw new Error(
        `${where}.podAnnotations: '${key}' is not a valid annotation key with a string value`,
      );
    }
    podAnnotations[key] = value;
  }
  return {
    enabled: section?.getOptionalBoolean('enabled') ?? base?.enabled ?? false,
    image: string('image', base?.image ?? 'bitnami/kubectl:latest'),
    command,
    clusterRole,
    apiServerUrl: string(
      'apiServerUrl',
      base?.apiServerUrl ?? 'https://kubernetes.default.svc',
    ),
    podAnnotations,
    resources,
    networkPolicy,
  };
}

/**
 * Reads `kubernetesTerminal.sessionPods`: global settings, each overridable per cluster under
 * `clusters.<name>`.
 *
 * @internal
 */
export function readSessionPodsConfig(
  terminal: Config | undefined,
): SessionPodsConfig {
  const section = terminal?.getOptionalConfig('sessionPods');
  const where = 'kubernetesTerminal.sessionPods';
  const global = readSettings(section, undefined, where);
  const clusters = new Map<string, SessionPodClusterSettings>();
  const clusterSection = section?.getOptionalConfig('clusters');
  for (const name of clusterSection?.keys() ?? []) {
    clusters.set(
      name,
      readSettings(
        clusterSection!.getConfig(name),
        global,
        `${where}.clusters.${name}`,
      ),
    );
  }
  const duration = (key: string, fallbackMs: number) => {
    const ms = section?.has(key)
      ? durationToMilliseconds(readDurationFromConfig(section, { key }))
      : fallbackMs;
    if (!(ms > 0)) {
      throw new Error(`${where}.${key} must be a positive duration`);
    }
    return ms;
  };
  const expiryMs = duration('expiry', 30 * 60_000);
  const maxLifetimeMs = duration('maxLifetime', 8 * 3600_000);
  if (maxLifetimeMs < expiryMs) {
    throw new Error(`${where}.maxLifetime must not be shorter than expiry`);
  }
  return {
    anyEnabled: global.enabled || [...clusters.values()].some(c => c.enabled),
    expiryMs,
    extendByMs: duration('extendBy', 30 * 60_000),
    maxLifetimeMs,
    warningBeforeMs: duration('warningBefore', 5 * 60_000),
    provisionTimeoutMs: duration('provisionTimeout', 2 * 60_000),
    janitorIntervalMs: duration('janitorInterval', 60_000),
    forCluster: cluster => clusters.get(cluster) ?? global,
  };
}
