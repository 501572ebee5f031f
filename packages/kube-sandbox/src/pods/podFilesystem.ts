import fs from 'node:fs';
import path from 'node:path';
import { KubeObject } from '../types';
import { buildBinDir, ImageToolMap, toolsForContainer } from './containerTools';

/*
 * Each pod gets `<stateDir>/pods/<namespace>_<name>_<uid8>/`: `home/` is cwd and HOME of every
 * process, `bin/<container>/` is a container's PATH, `volumes/<name>/` a volume (see podVolumes).
 */

export interface PodPaths {
  root: string;
  home: string;
  binDir(container: string): string;
  volumeDir(volume: string): string;
}

export function podPaths(stateDir: string, pod: KubeObject): PodPaths {
  const root = path.join(
    stateDir,
    'pods',
    `${pod.metadata.namespace}_${pod.metadata.name}_${(
      pod.metadata.uid ?? ''
    ).slice(0, 8)}`,
  );
  return {
    root,
    home: path.join(root, 'home'),
    binDir: container => path.join(root, 'bin', container),
    volumeDir: volume => path.join(root, 'volumes', volume),
  };
}

/** Creates the pod's directories; returns `container: missing tools` for tools the host lacks. */
export function preparePodFilesystem(
  paths: PodPaths,
  pod: KubeObject,
  images: ImageToolMap,
): Record<string, string[]> {
  fs.mkdirSync(paths.home, { recursive: true });
  // A prompt naming the pod, since bash's \h would show the host's name.
  const bashrc = path.join(paths.home, '.bashrc');
  if (!fs.existsSync(bashrc)) {
    fs.writeFileSync(bashrc, `PS1='${pod.metadata.name}:\\w\\$ '\n`);
  }
  const missing: Record<string, string[]> = {};
  for (const c of pod.spec?.containers ?? []) {
    const absent = buildBinDir(
      paths.binDir(c.name),
      toolsForContainer(pod, c.name, images),
    );
    if (absent.length) missing[c.name] = absent;
  }
  return missing;
}

/**
 * Writes `~/.kube/config`: the sandbox's stand-in for the projected service-account token and
 * in-cluster config a real pod gets.
 */
export function writeInPodKubeconfig(
  paths: PodPaths,
  kubeconfig: string,
): void {
  const dir = path.join(paths.home, '.kube');
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, 'config');
  const tmp = `${file}.${process.pid}.${Date.now()}.tmp`;
  fs.writeFileSync(tmp, kubeconfig, { mode: 0o600 });
  fs.renameSync(tmp, file);
}

export function removePodFilesystem(paths: PodPaths): void {
  try {
    fs.rmSync(paths.root, { recursive: true, force: true, maxRetries: 3 });
  } catch {
    // A process still writing there may race us; the state dir is temporary anyway.
  }
}
