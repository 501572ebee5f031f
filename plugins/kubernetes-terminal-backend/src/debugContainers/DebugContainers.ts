import {
  CoreV1Api,
  PatchStrategy,
  setHeaderOptions,
  type V1EphemeralContainer,
  type V1Pod,
} from '@kubernetes/client-node';
import { createHash } from 'node:crypto';
import { parseEntityRef } from '@backstage/catalog-model';
import { TerminalCloseCode } from '@kubernetes-terminal/backstage-plugin-kubernetes-terminal-common';
import type { ClusterAccess } from '../kubernetes/ClusterRegistry';
import type { NewAuditEvent } from '../database/SessionStore';
import type { TerminalSession } from '../service/SessionRegistry';
import { toKubeRequestError } from '../sessionPods/SessionPodKube';
import { RelayFailure } from '../stream/RelayFailure';
import {
  securityContextOf,
  type DebugContainersConfig,
} from './debugContainersConfig';

/*
 * Debug containers: an ephemeral container added beside one of the entity's containers (its target,
 * whose processes it sees where the cluster shares them), then attached to, as `kubectl debug -it
 * --target` does. A person's running debug container for the same target is re-attached instead of
 * adding another, since ephemeral containers cannot be removed from a pod.
 */

/** The env var naming who added a debug container: visible in the pod spec, matched on reuse. */
export const DEBUG_USER_ENV = 'KUBERNETES_TERMINAL_USER';

const strategicMerge = setHeaderOptions(
  'Content-Type',
  PatchStrategy.StrategicMergePatch,
);

/** Waiting reasons after which a debug container will not start by itself. */
const FAILED_WAITING = new Set([
  'ErrImagePull',
  'ImagePullBackOff',
  'InvalidImageName',
  'CreateContainerError',
  'CreateContainerConfigError',
  'RunContainerError',
]);

/** `debug-<user>-<hash of user and target>`, a DNS label a person recognises as theirs. @internal */
export function debugContainerBaseName(
  userEntityRef: string,
  target: string,
): string {
  let user = 'user';
  try {
    user = parseEntityRef(userEntityRef).name;
  } catch {
    // keep the fallback
  }
  const slug =
    user
      .toLowerCase()
      .replace(/[^a-z0-9-]+/g, '-')
      .replace(/^-+|-+$/g, '')
      .slice(0, 24) || 'user';
  const hash = createHash('sha256')
    .update(`${userEntityRef}\0${target}`)
    .digest('hex')
    .slice(0, 6);
  return `debug-${slug}-${hash}`;
}

/** Where a debug session goes: a running (or starting) container of the person's, or a new one. */
export type DebugPlan = { name: string; reuse: boolean };

/**
 * The person's debug container for the target if it runs or is starting, else a new name; refused
 * when the pod already holds as many ephemeral containers as allowed.
 *
 * @internal
 */
export function planDebugContainer(
  pod: V1Pod,
  userEntityRef: string,
  target: string,
  maxPerPod: number,
): DebugPlan {
  const base = debugContainerBaseName(userEntityRef, target);
  const ephemeral = pod.spec?.ephemeralContainers ?? [];
  const statuses = pod.status?.ephemeralContainerStatuses ?? [];
  const mine = ephemeral.filter(
    c =>
      (c.name === base || c.name.startsWith(`${base}-`)) &&
      c.targetContainerName === target &&
      c.env?.some(e => e.name === DEBUG_USER_ENV && e.value === userEntityRef),
  );
  for (const container of mine) {
    const state = statuses.find(s => s.name === container.name)?.state;
    if (
      state?.running ||
      (state?.waiting && !FAILED_WAITING.has(state.waiting.reason ?? '')) ||
      !state
    ) {
      return { name: container.name, reuse: true };
    }
  }
  if (ephemeral.length >= maxPerPod) {
    throw new RelayFailure(
      TerminalCloseCode.DebugContainerFailed,
      'DebugContainerLimit',
      `pod ${pod.metadata?.name} already holds ${ephemeral.length} ephemeral containers, the most the portal adds to one pod (debugContainers.maxPerPod); they cannot be removed: the pod's next replacement starts without them`,
    );
  }
  const taken = new Set(
    [
      ...(pod.spec?.containers ?? []),
      ...(pod.spec?.initContainers ?? []),
      ...ephemeral,
    ].map(c => c.name),
  );
  let name = base;
  for (let n = 2; taken.has(name); n++) name = `${base}-${n}`;
  return { name, reuse: false };
}

/** @internal */
export interface DebugContainerRequest {
  session: TerminalSession;
  access: ClusterAccess;
  progress: (step: string, message: string) => void;
  record: (
    event: Omit<NewAuditEvent, 'userEntityRef'> & { userEntityRef?: string },
  ) => void;
}

/** @internal */
export class DebugContainers {
  constructor(
    private readonly options: {
      config: DebugContainersConfig;
      pollIntervalMs?: number;
      now?: () => number;
    },
  ) {}

  get config(): DebugContainersConfig {
    return this.options.config;
  }

  /**
   * Adds (or finds) the session's debug container and waits until it runs; the session then
   * attaches to `session.debugContainer`. Fails with the cluster's reason.
   */
  async prepare(request: DebugContainerRequest): Promise<void> {
    const { session, access, progress, record } = request;
    const { config } = this.options;
    const core = access.api(CoreV1Api);
    const { namespace, pod: name } = session;
    const target = session.container;
    const pod = await this.call(`read pod ${namespace}/${name}`, () =>
      core.readNamespacedPod({ namespace, name }),
    );
    const plan = planDebugContainer(
      pod,
      session.userEntityRef,
      target,
      config.maxPerPod,
    );
    if (plan.reuse) {
      progress(
        'debug',
        `attaching to your debug container ${plan.name} beside ${target}`,
      );
    } else {
      const container: V1EphemeralContainer = {
        name: plan.name,
        image: config.image,
        targetContainerName: target,
        stdin: true,
        tty: true,
        env: [{ name: DEBUG_USER_ENV, value: session.userEntityRef }],
        ...(securityContextOf(config.profile) && {
          securityContext: securityContextOf(config.profile),
        }),
      };
      progress(
        'debug',
        `adding debug container ${plan.name} (image ${config.image}, profile ${config.profile}) beside ${target}; it stays in the pod until the pod is replaced`,
      );
      try {
        await core.patchNamespacedPodEphemeralcontainers(
          {
            namespace,
            name,
            body: { spec: { ephemeralContainers: [container] } },
          },
          strategicMerge,
        );
      } catch (error) {
        throw this.patchFailure(error, name);
      }
      record({
        eventType: 'debug_container_created',
        details: {
          container: plan.name,
          image: config.image,
          profile: config.profile,
          target,
        },
      });
    }
    await this.waitUntilRunning(core, namespace, name, plan.name, progress);
    session.debugContainer = plan.name;
    progress(
      'ready',
      `attached to debug container ${plan.name}: if no prompt shows, press Enter`,
    );
  }

  private async waitUntilRunning(
    core: CoreV1Api,
    namespace: string,
    name: string,
    container: string,
    progress: (step: string, message: string) => void,
  ) {
    const now = this.options.now ?? Date.now;
    const deadline = now() + this.options.config.startTimeoutMs;
    let said = '';
    for (;;) {
      const pod = await this.call(`read pod ${namespace}/${name}`, () =>
        core.readNamespacedPod({ namespace, name }),
      );
      const state = pod.status?.ephemeralContainerStatuses?.find(
        s => s.name === container,
      )?.state;
      if (state?.running) return;
      if (state?.terminated) {
        throw new RelayFailure(
          TerminalCloseCode.DebugContainerFailed,
          'DebugContainerExited',
          `debug container ${container} has ended (${
            state.terminated.reason ?? 'exited'
          }, exit code ${
            state.terminated.exitCode
          }); ephemeral containers are not restarted`,
        );
      }
      const waiting = state?.waiting;
      if (waiting?.reason && FAILED_WAITING.has(waiting.reason)) {
        throw new RelayFailure(
          TerminalCloseCode.DebugContainerFailed,
          waiting.reason,
          `debug container ${container} cannot start: ${waiting.reason}${
            waiting.message ? `: ${waiting.message}` : ''
          }`,
        );
      }
      const saying = waiting?.reason
        ? `debug container ${container} is ${waiting.reason}`
        : `waiting for debug container ${container} to start`;
      if (saying !== said) {
        progress('debug', saying);
        said = saying;
      }
      if (now() > deadline) {
        throw new RelayFailure(
          TerminalCloseCode.DebugContainerFailed,
          'Timeout',
          `debug container ${container} did not start within ${Math.round(
            this.options.config.startTimeoutMs / 1000,
          )} s`,
        );
      }
      await new Promise(r => setTimeout(r, this.options.pollIntervalMs ?? 250));
    }
  }

  private patchFailure(error: unknown, pod: string): RelayFailure {
    const failure = toKubeRequestError(
      `add a debug container to pod ${pod}`,
      error,
    );
    if (failure.code === 403) {
      return new RelayFailure(
        TerminalCloseCode.Forbidden,
        'Forbidden',
        `the cluster refused: ${failure.message}`,
      );
    }
    // A cluster without the subresource answers 404 with no name in the Status (kubectl's test).
    if (failure.code === 404 && failure.reason === 'NotFound') {
      return new RelayFailure(
        TerminalCloseCode.DebugContainerFailed,
        'EphemeralContainersUnavailable',
        `${failure.message} (is the pod gone, or are ephemeral containers switched off in this cluster?)`,
      );
    }
    return new RelayFailure(
      TerminalCloseCode.DebugContainerFailed,
      failure.reason ?? 'DebugContainerFailed',
      failure.message,
    );
  }

  private async call<T>(what: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (error) {
      const failure = toKubeRequestError(what, error);
      throw new RelayFailure(
        failure.code === 403
          ? TerminalCloseCode.Forbidden
          : TerminalCloseCode.UpstreamError,
        failure.reason ?? 'UpstreamError',
        failure.code === 403
          ? `the cluster refused: ${failure.message}`
          : failure.message,
      );
    }
  }
}
