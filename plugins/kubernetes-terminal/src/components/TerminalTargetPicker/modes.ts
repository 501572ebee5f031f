import type {
  TerminalCluster,
  TerminalSessionKind,
} from '@kubernetes-terminal/backstage-plugin-kubernetes-terminal-common';
import {
  DEBUG_NOT_ALLOWED_MESSAGE,
  NOT_ALLOWED_MESSAGE,
  SESSION_POD_NOT_ALLOWED_MESSAGE,
} from '../../hooks/connectionState';
import { usableClusters } from './resolveSelection';
import {
  sessionPodClusters,
  usableSessionPodClusters,
} from './resolveSessionPodSelection';

/** Whether a mode is offered, and why not when it is shown but disabled. @internal */
export interface TerminalModeAvailability {
  shown: boolean;
  disabledReason?: string;
}

/** @internal */
export type TerminalModes = Record<
  TerminalSessionKind,
  TerminalModeAvailability
>;

/** @internal */
export const NO_PODS_REASON = 'No pods of this entity were found';

/** @internal */
export const NO_SESSION_POD_NAMESPACE_REASON =
  'No cluster can start a session pod for this entity right now';

/**
 * The container shell is always shown; the session pod only where the portal switched it on; the
 * debug container where the portal offers it (`canDebug` given).
 *
 * @internal
 */
export function terminalModes(
  clusters: TerminalCluster[],
  canExec: boolean,
  canDebug?: boolean,
): TerminalModes {
  let execReason: string | undefined;
  if (!canExec) {
    execReason = NOT_ALLOWED_MESSAGE;
  } else if (usableClusters(clusters).length === 0) {
    execReason = NO_PODS_REASON;
  }

  const enabled = sessionPodClusters(clusters);
  let sessionPodReason: string | undefined;
  if (!enabled.some(c => c.sessionPod!.canCreate)) {
    sessionPodReason = SESSION_POD_NOT_ALLOWED_MESSAGE;
  } else if (usableSessionPodClusters(clusters).length === 0) {
    sessionPodReason = NO_SESSION_POD_NAMESPACE_REASON;
  }

  let debugReason: string | undefined;
  if (!canDebug) {
    debugReason = DEBUG_NOT_ALLOWED_MESSAGE;
  } else if (usableClusters(clusters).length === 0) {
    debugReason = NO_PODS_REASON;
  }

  return {
    exec: { shown: true, disabledReason: execReason },
    debug: { shown: canDebug !== undefined, disabledReason: debugReason },
    'session-pod': {
      shown: enabled.length > 0,
      disabledReason: sessionPodReason,
    },
  };
}

/** Whether a mode can be chosen. @internal */
export function isModeUsable(modes: TerminalModes, mode: TerminalSessionKind) {
  return modes[mode].shown && !modes[mode].disabledReason;
}

/**
 * The mode the picker starts in: the remembered one if it can be used, else the first usable.
 *
 * @internal
 */
export function initialMode(
  modes: TerminalModes,
  remembered: TerminalSessionKind | undefined,
): TerminalSessionKind {
  if (remembered && isModeUsable(modes, remembered)) {
    return remembered;
  }
  const kinds: TerminalSessionKind[] = ['exec', 'session-pod', 'debug'];
  return kinds.find(kind => isModeUsable(modes, kind)) ?? 'exec';
}
