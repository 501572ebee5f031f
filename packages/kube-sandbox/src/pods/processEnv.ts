import { RESOURCE_TYPES } from '../resources';
import { ObjectStore } from '../store/ObjectStore';
import { KubeObject } from '../types';
import { mountedPath, VolumeMount } from './podVolumes';

/*
 * The environment an exec'd process sees: deliberately minimal (nothing of the sandbox's own
 * environment leaks in), then the container's `env`/`envFrom` resolved as the kubelet does.
 */

export interface ProcessEnvOptions {
  binDir: string;
  home: string;
  tty: boolean;
  apiHost: string;
  apiPort: number;
  /** The container's volumes; env values naming paths inside them point into their directories. */
  mounts?: VolumeMount[];
}

function fieldRef(pod: KubeObject, path: string): string {
  const label = /^metadata\.labels\['(.+)'\]$/.exec(path);
  if (label) return pod.metadata.labels?.[label[1]] ?? '';
  const annotation = /^metadata\.annotations\['(.+)'\]$/.exec(path);
  if (annotation) return pod.metadata.annotations?.[annotation[1]] ?? '';
  switch (path) {
    case 'metadata.name':
      return pod.metadata.name ?? '';
    case 'metadata.namespace':
      return pod.metadata.namespace ?? '';
    case 'metadata.uid':
      return pod.metadata.uid ?? '';
    case 'spec.nodeName':
      return pod.spec?.nodeName ?? '';
    case 'spec.serviceAccountName':
      return pod.spec?.serviceAccountName ?? '';
    case 'status.podIP':
      return pod.status?.podIP ?? '';
    case 'status.hostIP':
      return pod.status?.hostIP ?? '';
    default:
      return '';
  }
}

function keyRef(
  store: ObjectStore,
  namespace: string,
  ref: any,
  secret: boolean,
): string | undefined {
  if (!ref?.name || !ref.key) return undefined;
  const resource = secret ? RESOURCE_TYPES.secrets : RESOURCE_TYPES.configmaps;
  const object = store.get(resource, namespace, ref.name);
  const raw = object?.data?.[ref.key];
  if (raw === undefined) return undefined;
  return secret
    ? Buffer.from(String(raw), 'base64').toString('utf8')
    : String(raw);
}

/** `$(VAR)` references to earlier variables, as the kubelet expands them; `$$` escapes. */
function expand(value: string, env: Record<string, string>): string {
  return value.replace(
    /\$\$|\$\(([-._a-zA-Z][-._a-zA-Z0-9]*)\)/g,
    (match, name) => {
      if (match === '$$') return '$';
      return env[name] ?? match;
    },
  );
}

export function processEnv(
  store: ObjectStore,
  pod: KubeObject,
  container: any,
  options: ProcessEnvOptions,
): Record<string, string> {
  const namespace = pod.metadata.namespace!;
  const env: Record<string, string> = {
    PATH: options.binDir,
    HOME: options.home,
    HOSTNAME: pod.metadata.name!,
    KUBERNETES_SERVICE_HOST: options.apiHost,
    KUBERNETES_SERVICE_PORT: String(options.apiPort),
  };
  if (options.tty) env.TERM = 'xterm-256color';
  for (const source of container?.envFrom ?? []) {
    const secret = !!source?.secretRef;
    const ref = source?.secretRef ?? source?.configMapRef;
    if (!ref?.name) continue;
    const object = store.get(
      secret ? RESOURCE_TYPES.secrets : RESOURCE_TYPES.configmaps,
      namespace,
      ref.name,
    );
    for (const [key, raw] of Object.entries(object?.data ?? {})) {
      env[`${source.prefix ?? ''}${key}`] = secret
        ? Buffer.from(String(raw), 'base64').toString('utf8')
        : String(raw);
    }
  }
  for (const entry of container?.env ?? []) {
    if (!entry?.name) continue;
    let value: string | undefined;
    if (entry.value !== undefined) value = expand(String(entry.value), env);
    else if (entry.valueFrom?.fieldRef)
      value = fieldRef(pod, entry.valueFrom.fieldRef.fieldPath);
    else if (entry.valueFrom?.secretKeyRef)
      value = keyRef(store, namespace, entry.valueFrom.secretKeyRef, true);
    else if (entry.valueFrom?.configMapKeyRef)
      value = keyRef(store, namespace, entry.valueFrom.configMapKeyRef, false);
    else value = '';
    if (value !== undefined)
      env[entry.name] = mountedPath(value, options.mounts ?? []);
  }
  // Host paths would break the illusion of the image (a PATH of /usr/bin finds the host's bash), so
  // the sandbox's own PATH and HOME win over the pod spec.
  env.PATH = options.binDir;
  env.HOME = options.home;
  return env;
}
