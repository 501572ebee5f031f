import type { Config } from '@backstage/config';
import { readDurationFromConfig } from '@backstage/config';
import { durationToMilliseconds } from '@backstage/types';

/**
 * The security context of a debug container, as kubectl debug's `--profile`: `restricted` (the
 * default) runs as non-root without privileges or capabilities; `general` adds SYS_PTRACE, so the
 * debugger can inspect its target's processes; `baseline` sets nothing.
 *
 * @internal
 */
export type DebugProfile = 'restricted' | 'baseline' | 'general';

/** @internal */
export interface DebugContainersConfig {
  enabled: boolean;
  image: string;
  profile: DebugProfile;
  /** Ephemeral containers a pod may collect (they cannot be removed) before no more are added. */
  maxPerPod: number;
  /** A debug container not running after this long fails to open. */
  startTimeoutMs: number;
}

const PROFILES: DebugProfile[] = ['restricted', 'baseline', 'general'];

/** @internal */
export function readDebugContainersConfig(
  section: Config | undefined,
): DebugContainersConfig {
  const debug = section?.getOptionalConfig('debugContainers');
  const profile = (debug?.getOptionalString('profile') ??
    'restricted') as DebugProfile;
  if (!PROFILES.includes(profile)) {
    throw new Error(
      `kubernetesTerminal.debugContainers.profile must be one of ${PROFILES.join(
        ', ',
      )}, not '${profile}'`,
    );
  }
  const maxPerPod = debug?.getOptionalNumber('maxPerPod') ?? 5;
  if (!Number.isInteger(maxPerPod) || maxPerPod < 1) {
    throw new Error(
      'kubernetesTerminal.debugContainers.maxPerPod must be a whole number of at least 1',
    );
  }
  return {
    enabled: debug?.getOptionalBoolean('enabled') ?? false,
    image: debug?.getOptionalString('image') ?? 'busybox:1.36',
    profile,
    maxPerPod,
    startTimeoutMs: debug?.has('startTimeout')
      ? durationToMilliseconds(
          readDurationFromConfig(debug, { key: 'startTimeout' }),
        )
      : 60_000,
  };
}

/** The security context of a profile, as kubectl debug sets it. @internal */
export function securityContextOf(profile: DebugProfile): object | undefined {
  switch (profile) {
    case 'general':
      return { capabilities: { add: ['SYS_PTRACE'] } };
    case 'restricted':
      // kubectl's restricted profile, and a non-root user, so that images whose user is root (as
      // busybox's) start as nobody instead of failing runAsNonRoot.
      return {
        runAsNonRoot: true,
        runAsUser: 65534,
        allowPrivilegeEscalation: false,
        capabilities: { drop: ['ALL'] },
        seccompProfile: { type: 'RuntimeDefault' },
      };
    default:
      return undefined;
  }
}
