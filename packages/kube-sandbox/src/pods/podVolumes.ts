import fs from 'node:fs';
import path from 'node:path';
import { RESOURCE_TYPES } from '../resources';
import { ObjectStore } from '../store/ObjectStore';
import { KubeObject } from '../types';
import { PodPaths } from './podFilesystem';

/*
 * The sandbox's stand-in for the kubelet's volume manager: `emptyDir`, `secret`, `configMap` and
 * `projected` (secret and configMap sources) volumes become directories under the pod's own directory.
 * There is no mount namespace, so a process finds a volume only through a path it is told: a
 * container's env value naming a path inside one of its volumeMounts is rewritten to the directory
 * (see `mountedPath`). Secret and ConfigMap changes are written at once (a kubelet takes up to a
 * minute).
 */

/** A container's volumeMounts as host directories, longest mount path first. */
export interface VolumeMount {
  mountPath: string;
  hostPath: string;
}

const KEY = /^[-._a-zA-Z0-9]+$/;

interface Projection {
  kind: 'secret' | 'configMap';
  name: string;
  optional: boolean;
  items?: Array<{ key: string; path: string; mode?: number }>;
  defaultMode?: number;
}

function projectionsOf(volume: any): Projection[] | undefined {
  const one = (
    kind: Projection['kind'],
    source: any,
    defaultMode?: number,
  ) => ({
    kind,
    name: kind === 'secret' ? source.secretName ?? source.name : source.name,
    optional: !!source.optional,
    items: Array.isArray(source.items) ? source.items : undefined,
    defaultMode: source.defaultMode ?? defaultMode,
  });
  if (volume?.secret) return [one('secret', volume.secret)];
  if (volume?.configMap) return [one('configMap', volume.configMap)];
  if (volume?.projected) {
    return (volume.projected.sources ?? []).flatMap((s: any) => {
      if (s?.secret)
        return [one('secret', s.secret, volume.projected.defaultMode)];
      if (s?.configMap)
        return [one('configMap', s.configMap, volume.projected.defaultMode)];
      return [];
    });
  }
  if (volume?.emptyDir) return [];
  return undefined;
}

function filesOf(
  store: ObjectStore,
  namespace: string,
  p: Projection,
): Array<{ path: string; content: Buffer; mode: number }> | undefined {
  const resource =
    p.kind === 'secret' ? RESOURCE_TYPES.secrets : RESOURCE_TYPES.configmaps;
  const object = store.get(resource, namespace, p.name);
  if (!object) return p.optional ? [] : undefined;
  const data: Record<string, Buffer> = {};
  for (const [key, value] of Object.entries(object.data ?? {})) {
    data[key] =
      p.kind === 'secret'
        ? Buffer.from(String(value), 'base64')
        : Buffer.from(String(value), 'utf8');
  }
  for (const [key, value] of Object.entries(object.binaryData ?? {})) {
    data[key] = Buffer.from(String(value), 'base64');
  }
  const mode = p.defaultMode ?? 0o644;
  const selected = p.items
    ? p.items
        .filter(i => data[i.key] !== undefined)
        .map(i => ({
          path: i.path,
          content: data[i.key],
          mode: i.mode ?? mode,
        }))
    : Object.entries(data).map(([key, content]) => ({
        path: key,
        content,
        mode,
      }));
  return selected.filter(f =>
    f.path
      .split('/')
      .every(
        segment => KEY.test(segment) && segment !== '..' && segment !== '.',
      ),
  );
}

/** Writes a volume's files, replacing each atomically and removing keys that went away. */
function writeVolume(
  dir: string,
  files: Array<{ path: string; content: Buffer; mode: number }>,
): void {
  fs.mkdirSync(dir, { recursive: true });
  const wanted = new Set(files.map(f => f.path));
  for (const f of files) {
    const file = path.join(dir, f.path);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const tmp = `${file}.${process.pid}.${Date.now()}.tmp`;
    // The sandbox's OS user must keep reading what it wrote, whatever mode the pod asked for.
    fs.writeFileSync(tmp, f.content, { mode: f.mode | 0o400 });
    fs.renameSync(tmp, file);
  }
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    if (entry.isFile() && !wanted.has(entry.name)) {
      fs.rmSync(path.join(dir, entry.name), { force: true });
    }
  }
}

/**
 * Materialises the pod's volumes; a missing, non-optional Secret or ConfigMap leaves its volume
 * absent (a kubelet would keep the pod in ContainerCreating with FailedMount events).
 */
export function writePodVolumes(
  store: ObjectStore,
  paths: PodPaths,
  pod: KubeObject,
): void {
  const namespace = pod.metadata.namespace!;
  for (const volume of pod.spec?.volumes ?? []) {
    if (!volume?.name || !KEY.test(volume.name)) continue;
    const projections = projectionsOf(volume);
    if (!projections) continue;
    const dir = paths.volumeDir(volume.name);
    if (projections.length === 0) {
      fs.mkdirSync(dir, { recursive: true });
      continue;
    }
    const files: Array<{ path: string; content: Buffer; mode: number }> = [];
    let complete = true;
    for (const p of projections) {
      const found = filesOf(store, namespace, p);
      if (!found) complete = false;
      else files.push(...found);
    }
    if (complete) writeVolume(dir, files);
  }
}

/** Whether the pod has a volume fed by that Secret or ConfigMap. */
export function podUsesObject(
  pod: KubeObject,
  kind: 'secret' | 'configMap',
  name: string,
): boolean {
  return (pod.spec?.volumes ?? []).some((v: any) =>
    (projectionsOf(v) ?? []).some(p => p.kind === kind && p.name === name),
  );
}

/** The container's volumeMounts of volumes the sandbox materialises. */
export function containerMounts(
  paths: PodPaths,
  pod: KubeObject,
  container: any,
): VolumeMount[] {
  const volumes = new Map<string, any>(
    (pod.spec?.volumes ?? []).map((v: any) => [v?.name, v]),
  );
  return (container?.volumeMounts ?? [])
    .filter(
      (m: any) =>
        typeof m?.mountPath === 'string' &&
        m.mountPath.startsWith('/') &&
        KEY.test(m.name ?? '') &&
        projectionsOf(volumes.get(m.name)) !== undefined,
    )
    .map((m: any) => ({
      mountPath: m.mountPath.replace(/\/+$/, '') || '/',
      hostPath: paths.volumeDir(m.name),
    }))
    .sort(
      (a: VolumeMount, b: VolumeMount) =>
        b.mountPath.length - a.mountPath.length,
    );
}

/** A path as the container names it, translated into the volume directory it lies in. */
export function mountedPath(value: string, mounts: VolumeMount[]): string {
  for (const m of mounts) {
    if (m.mountPath === '/') continue;
    if (value === m.mountPath) return m.hostPath;
    if (value.startsWith(`${m.mountPath}/`)) {
      return path.join(m.hostPath, value.slice(m.mountPath.length + 1));
    }
  }
  return value;
}
