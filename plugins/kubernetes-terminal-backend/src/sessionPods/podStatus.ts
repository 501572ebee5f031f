import type { CoreV1Event, V1Pod } from '@kubernetes/client-node';
import {
  EXPIRES_AT_ANNOTATION,
  MAX_EXPIRES_AT_ANNOTATION,
  SESSION_POD_CONTAINER,
} from './names';

/** When a session pod expires, and the cap extensions can reach. @internal */
export interface SessionPodExpiryState {
  expiresAt: Date;
  maxExpiresAt: Date;
}

/** The expiry stored on the pod; undefined when the annotations are missing or unreadable. @internal */
export function readExpiry(pod: V1Pod): SessionPodExpiryState | undefined {
  const annotations = pod.metadata?.annotations ?? {};
  const expiresAt = new Date(annotations[EXPIRES_AT_ANNOTATION] ?? '');
  const maxExpiresAt = new Date(annotations[MAX_EXPIRES_AT_ANNOTATION] ?? '');
  if (
    Number.isNaN(expiresAt.getTime()) ||
    Number.isNaN(maxExpiresAt.getTime())
  ) {
    return undefined;
  }
  return { expiresAt, maxExpiresAt };
}

/** Waiting reasons after which a pod will not start by itself. */
const FAILURES = new Set([
  'ErrImagePull',
  'ImagePullBackOff',
  'InvalidImageName',
  'ErrImageNeverPull',
  'CreateContainerConfigError',
  'CreateContainerError',
  'RunContainerError',
  'CrashLoopBackOff',
]);

/** @internal */
export interface SessionPodProgressState {
  /** e.g. `Pending (ContainerCreating)`, `Running`. */
  description: string;
  running: boolean;
  failure?: { reason: string; message: string };
}

/** How far the session pod's container got. @internal */
export function podProgress(pod: V1Pod): SessionPodProgressState {
  const phase = pod.status?.phase ?? 'Pending';
  const container = pod.status?.containerStatuses?.find(
    c => c.name === SESSION_POD_CONTAINER,
  );
  const waiting = container?.state?.waiting;
  const terminated = container?.state?.terminated;
  const detail =
    waiting?.reason ??
    (terminated
      ? `terminated: ${terminated.reason ?? terminated.exitCode}`
      : undefined);
  const description = detail ? `${phase} (${detail})` : phase;
  if (pod.metadata?.deletionTimestamp) {
    return {
      description: `${description}, being deleted`,
      running: false,
      failure: { reason: 'PodDeleted', message: 'the pod is being deleted' },
    };
  }
  if (waiting?.reason && FAILURES.has(waiting.reason)) {
    return {
      description,
      running: false,
      failure: {
        reason: waiting.reason,
        message: waiting.message ?? waiting.reason,
      },
    };
  }
  if (terminated || phase === 'Failed' || phase === 'Succeeded') {
    const reason = pod.status?.reason ?? terminated?.reason ?? phase;
    const message =
      pod.status?.message ??
      terminated?.message ??
      (terminated
        ? `the container exited with code ${terminated.exitCode}`
        : `the pod is ${phase}`);
    return { description, running: false, failure: { reason, message } };
  }
  return {
    description,
    running: phase === 'Running' && !!container?.state?.running,
  };
}

/** Oldest first, by the best time the event carries. @internal */
export function eventTime(event: CoreV1Event): number {
  const at =
    event.lastTimestamp ??
    event.eventTime ??
    event.firstTimestamp ??
    event.metadata?.creationTimestamp;
  return at ? new Date(at as unknown as string).getTime() : 0;
}

/**
 * How long until (or since) a moment, as shown in the terminal: `45 s`, `29 min`, `7 h 30 min`. A span
 * rather than a clock time, which would be in the server's zone, not the person's.
 *
 * @internal
 */
export function humanSpan(ms: number): string {
  const seconds = Math.max(0, Math.round(ms / 1000));
  if (seconds < 90) return `${seconds} s`;
  const minutes = Math.round(seconds / 60);
  if (minutes < 120) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  return minutes % 60 ? `${hours} h ${minutes % 60} min` : `${hours} h`;
}

/** `2 min`, `30 s`, `8 h`, as shown to users. @internal */
export function humanDuration(ms: number): string {
  if (ms % 3600_000 === 0) return `${ms / 3600_000} h`;
  if (ms % 60_000 === 0) return `${ms / 60_000} min`;
  return `${Math.round(ms / 1000)} s`;
}
