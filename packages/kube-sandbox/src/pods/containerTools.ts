import fs from 'node:fs';
import path from 'node:path';
import { KubeObject } from '../types';

/*
 * What a sandbox "image" contains: a list of host binaries, exposed to the container's processes as a
 * directory of symlinks that is their only PATH. A container without `bash` therefore really has no
 * bash, which is what shell-fallback logic needs to be tested against. This is not isolation: the
 * processes run as the sandbox's OS user and can reach any absolute path on the host.
 */

/** Per-container tool list on a pod: `tools.sandbox.kubernetes-terminal.io/<container>: "bash,sh,ls"`. @public */
export const TOOLS_ANNOTATION_PREFIX = 'tools.sandbox.kubernetes-terminal.io/';

/** Tools of an image the sandbox does not know: a shell-ful general-purpose image. @public */
export const DEFAULT_TOOLS = [
  'sh',
  'bash',
  'ls',
  'cat',
  'echo',
  'env',
  'stty',
  'pwd',
  'mkdir',
  'rm',
  'cp',
  'mv',
  'touch',
  'head',
  'tail',
  'grep',
  'sed',
  'awk',
  'sleep',
  'id',
  'whoami',
  'uname',
  'date',
  'printf',
  'true',
  'false',
  'test',
  'tr',
  'wc',
  'sort',
  'uniq',
  'find',
  'ps',
  'clear',
  'tput',
  'less',
  'hostname',
  'seq',
  'yes',
  'kill',
  'tty',
  'stat',
  'du',
  'df',
  'ln',
  'chmod',
  'dirname',
  'basename',
  'xargs',
  'tee',
  'cut',
];

/** Images the sandbox knows without a seed: minimal ones without bash, kubectl ones with kubectl. */
const BUILTIN_IMAGES: Record<string, string[]> = {
  busybox: DEFAULT_TOOLS.filter(t => t !== 'bash'),
  alpine: DEFAULT_TOOLS.filter(t => t !== 'bash'),
  kubectl: [...DEFAULT_TOOLS, 'kubectl'],
  'kubectl-shell': [...DEFAULT_TOOLS, 'kubectl'],
};

export type ImageToolMap = Record<string, string[]>;

/** `registry.example.com:5000/team/app:1.2@sha256:…` → candidate keys, most specific first. */
function imageKeys(image: string): string[] {
  const withoutDigest = image.split('@')[0];
  const lastSlash = withoutDigest.lastIndexOf('/');
  const colon = withoutDigest.lastIndexOf(':');
  const repository =
    colon > lastSlash ? withoutDigest.slice(0, colon) : withoutDigest;
  const short = repository.slice(repository.lastIndexOf('/') + 1);
  return [...new Set([image, withoutDigest, repository, short])];
}

export function toolsForContainer(
  pod: KubeObject,
  containerName: string,
  images: ImageToolMap,
): string[] {
  const annotation =
    pod.metadata.annotations?.[`${TOOLS_ANNOTATION_PREFIX}${containerName}`];
  if (annotation !== undefined) {
    return annotation.split(/[\s,]+/).filter(Boolean);
  }
  const container = [
    ...(pod.spec?.containers ?? []),
    ...(pod.spec?.initContainers ?? []),
    ...(pod.spec?.ephemeralContainers ?? []),
  ].find((c: any) => c.name === containerName);
  const keys = imageKeys(String(container?.image ?? ''));
  for (const map of [images, BUILTIN_IMAGES]) {
    for (const key of keys) {
      if (map[key]) return map[key];
    }
  }
  return DEFAULT_TOOLS;
}

const STANDARD_DIRS = [
  '/usr/local/sbin',
  '/usr/local/bin',
  '/usr/sbin',
  '/usr/bin',
  '/sbin',
  '/bin',
];
const hostBinaryCache = new Map<string, string | undefined>();

/** `which`, over the sandbox's own PATH plus the standard directories. */
export function findHostBinary(name: string): string | undefined {
  if (hostBinaryCache.has(name)) return hostBinaryCache.get(name);
  let found: string | undefined;
  if (/^[A-Za-z0-9._+-]+$/.test(name)) {
    const dirs = [
      ...(process.env.PATH ?? '').split(path.delimiter).filter(Boolean),
      ...STANDARD_DIRS,
    ];
    for (const dir of dirs) {
      const candidate = path.join(dir, name);
      try {
        fs.accessSync(candidate, fs.constants.X_OK);
        if (fs.statSync(candidate).isFile()) {
          found = candidate;
          break;
        }
      } catch {
        // not here
      }
    }
  }
  hostBinaryCache.set(name, found);
  return found;
}

/**
 * A tool is a host binary's name, or `name=binary` for a binary known by another name inside the
 * container: `sh=busybox` is an Alpine-like image whose `sh` is busybox ash (busybox picks its applet
 * by the name it is run as). `binary` may be an absolute path.
 */
function hostBinaryOf(tool: string): { name: string; target?: string } {
  const eq = tool.indexOf('=');
  if (eq < 0) return { name: tool, target: findHostBinary(tool) };
  const name = tool.slice(0, eq);
  const binary = tool.slice(eq + 1);
  if (!path.isAbsolute(binary)) return { name, target: findHostBinary(binary) };
  try {
    fs.accessSync(binary, fs.constants.X_OK);
    return { name, target: binary };
  } catch {
    return { name };
  }
}

/** Fills `dir` with symlinks to the host binaries of `tools`; returns the tools that were not found. */
export function buildBinDir(dir: string, tools: string[]): string[] {
  fs.mkdirSync(dir, { recursive: true });
  const missing: string[] = [];
  for (const tool of tools) {
    const { name, target } = hostBinaryOf(tool);
    if (!target || !/^[A-Za-z0-9._+-]+$/.test(name)) {
      missing.push(tool);
      continue;
    }
    const link = path.join(dir, name);
    try {
      fs.symlinkSync(target, link);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
  }
  return missing;
}

/** Resolves argv[0] inside a container: absolute paths by basename, bare names by the container PATH. */
export function resolveInContainer(
  binDir: string,
  command: string,
): string | undefined {
  const name = command.includes('/') ? path.basename(command) : command;
  if (!name || name === '.' || name === '..') return undefined;
  const candidate = path.join(binDir, name);
  try {
    fs.accessSync(candidate, fs.constants.X_OK);
    return candidate;
  } catch {
    return undefined;
  }
}
