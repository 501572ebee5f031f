import { randomBytes } from 'node:crypto';
import { KubeObject } from '../types';

/*
 * The statuses and events the kubelet would write for the transitions the sandbox emulates. Pure
 * functions: PodRuntime decides when, these decide what.
 */

export interface KubeletEvent {
  type: 'Normal' | 'Warning';
  reason: string;
  message: string;
  fieldPath?: string;
}

const fieldPathOf = (c: any) => `spec.containers{${c.name}}`;

function condition(type: string, at: string) {
  return { type, status: 'True', lastProbeTime: null, lastTransitionTime: at };
}

export function runningStatus(pod: KubeObject, ip: string, now: string): any {
  const startTime = pod.status?.startTime ?? now;
  return {
    ...pod.status,
    phase: 'Running',
    conditions: [
      condition('PodReadyToStartContainers', now),
      condition('Initialized', startTime),
      condition('Ready', now),
      condition('ContainersReady', now),
      condition('PodScheduled', startTime),
    ],
    podIP: ip,
    podIPs: [{ ip }],
    startTime,
    containerStatuses: (pod.spec.containers ?? []).map((c: any) => ({
      name: c.name,
      state: { running: { startedAt: now } },
      lastState: {},
      ready: true,
      restartCount: 0,
      image: c.image,
      imageID: `${c.image.split(':')[0]}@sha256:${randomBytes(32).toString(
        'hex',
      )}`,
      containerID: `containerd://${randomBytes(32).toString('hex')}`,
      started: true,
    })),
  };
}

export function startedEvents(pod: KubeObject): KubeletEvent[] {
  return (pod.spec.containers ?? []).flatMap((c: any) => [
    {
      type: 'Normal',
      reason: 'Pulled',
      message: `Container image "${c.image}" already present on machine`,
      fieldPath: fieldPathOf(c),
    },
    {
      type: 'Normal',
      reason: 'Created',
      message: `Created container: ${c.name}`,
      fieldPath: fieldPathOf(c),
    },
    {
      type: 'Normal',
      reason: 'Started',
      message: `Started container ${c.name}`,
      fieldPath: fieldPathOf(c),
    },
  ]);
}

function waitingMessage(
  pod: KubeObject,
  c: any,
  reason: string,
  source: string,
): string {
  switch (reason) {
    case 'CrashLoopBackOff':
      return `back-off 5m0s restarting failed container=${c.name} pod=${pod.metadata.name}_${pod.metadata.namespace}(${pod.metadata.uid})`;
    case 'ImagePullBackOff':
      return `Back-off pulling image "${c.image}"`;
    case 'ErrImagePull':
      return `failed to pull and unpack image "${c.image}": not found (declared by ${source})`;
    default:
      return `declared by ${source}`;
  }
}

/** A declared failure: containers waiting with `reason`; CrashLoopBackOff pods are Running, the rest Pending. */
export function failedStatus(
  pod: KubeObject,
  reason: string,
  source: string,
): any {
  const crashLoop = reason === 'CrashLoopBackOff';
  return {
    ...pod.status,
    phase: crashLoop ? 'Running' : 'Pending',
    containerStatuses: (pod.spec.containers ?? []).map((c: any) => ({
      name: c.name,
      state: {
        waiting: { reason, message: waitingMessage(pod, c, reason, source) },
      },
      lastState: crashLoop
        ? { terminated: { exitCode: 1, reason: 'Error' } }
        : {},
      ready: false,
      restartCount: crashLoop ? 5 : 0,
      image: c.image,
      imageID: '',
      started: false,
    })),
  };
}

export function failedEvents(pod: KubeObject, reason: string): KubeletEvent[] {
  return (pod.spec.containers ?? []).flatMap((c: any): KubeletEvent[] => {
    const fieldPath = fieldPathOf(c);
    if (reason === 'ImagePullBackOff' || reason === 'ErrImagePull') {
      return [
        {
          type: 'Warning',
          reason: 'Failed',
          message: `Failed to pull image "${c.image}": not found`,
          fieldPath,
        },
        {
          type: 'Warning',
          reason: 'Failed',
          message: 'Error: ErrImagePull',
          fieldPath,
        },
        ...(reason === 'ImagePullBackOff'
          ? ([
              {
                type: 'Normal',
                reason: 'BackOff',
                message: `Back-off pulling image "${c.image}"`,
                fieldPath,
              },
              {
                type: 'Warning',
                reason: 'Failed',
                message: 'Error: ImagePullBackOff',
                fieldPath,
              },
            ] as KubeletEvent[])
          : []),
      ];
    }
    if (reason === 'CrashLoopBackOff') {
      return [
        {
          type: 'Warning',
          reason: 'BackOff',
          message: 'Back-off restarting failed container',
          fieldPath,
        },
      ];
    }
    return [
      {
        type: 'Warning',
        reason: 'Failed',
        message: `Error: ${reason}`,
        fieldPath,
      },
    ];
  });
}

export const DEADLINE_MESSAGE =
  'Pod was active on the node longer than the specified deadline';

/** Phase Failed with reason DeadlineExceeded; containers terminated as by SIGKILL. */
export function deadlineExceededStatus(pod: KubeObject, now: string): any {
  return {
    ...pod.status,
    phase: 'Failed',
    reason: 'DeadlineExceeded',
    message: DEADLINE_MESSAGE,
    conditions: (pod.status?.conditions ?? []).map((c: any) =>
      c.type === 'Ready' || c.type === 'ContainersReady'
        ? {
            ...c,
            status: 'False',
            reason: 'PodFailed',
            lastTransitionTime: now,
          }
        : c,
    ),
    containerStatuses: (pod.status?.containerStatuses ?? []).map((s: any) => ({
      ...s,
      ready: false,
      started: false,
      state: {
        terminated: {
          exitCode: 137,
          reason: 'Error',
          startedAt: s.state?.running?.startedAt ?? null,
          finishedAt: now,
          ...(s.containerID ? { containerID: s.containerID } : {}),
        },
      },
    })),
  };
}
