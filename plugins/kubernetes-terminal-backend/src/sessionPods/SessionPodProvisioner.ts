import type { LoggerService } from '@backstage/backend-plugin-api';
import { NotFoundError } from '@backstage/errors';
import { TerminalCloseCode } from '@kubernetes-terminal/backstage-plugin-kubernetes-terminal-common';
import type { V1Pod } from '@kubernetes/client-node';
import {
  type SessionPodIdentity,
  networkPolicyManifest,
  podManifest,
  podOwnerReference,
  roleBindingManifest,
  serviceAccountManifest,
} from './manifests';
import { kubeconfigSecretName } from './names';
import {
  type SessionPodExpiryState,
  eventTime,
  humanDuration,
  humanSpan,
  podProgress,
  readExpiry,
} from './podStatus';
import {
  SessionPodError,
  type SessionPodObjects,
  type SessionPodTarget,
  assertOwner,
} from './SessionPodObjects';
import { KubeRequestError, isAlreadyExists } from './SessionPodKube';
import type { SessionPodsConfig } from './sessionPodsConfig';

/** Another tab or replica is creating the same session pod right now. */
class PodTakenError extends Error {}

/** How long to wait for a session pod another tab or replica is creating. */
const TAKEN_WAIT_MS = 10_000;

/** Steps of the `progress` wire message. @internal */
export type SessionPodStep =
  | 'serviceaccount'
  | 'rolebinding'
  | 'token'
  | 'networkpolicy'
  | 'pod'
  | 'pod-phase'
  | 'event'
  | 'ready';

/** @internal */
export type ProgressSink = (step: SessionPodStep, message: string) => void;

/** @internal */
export interface ProvisionRequest extends SessionPodTarget {
  entityRef: string;
  sessionId: string;
}

/**
 * Starts a user's session pod, or finds the running one: ServiceAccount, Pod, RoleBinding,
 * NetworkPolicy and the Secret holding the pod's kubeconfig, reporting each step and the pod's
 * phase and events while it starts.
 *
 * @internal
 */
export class SessionPodProvisioner {
  private readonly now: () => number;

  constructor(
    private readonly options: {
      objects: SessionPodObjects;
      config: SessionPodsConfig;
      logger: LoggerService;
      pollIntervalMs?: number;
    },
  ) {
    this.now = options.objects.now;
  }

  private get objects(): SessionPodObjects {
    return this.options.objects;
  }

  /**
   * Gives the user a running session pod: reuses the live one, or replaces a finished one, or creates
   * one. Created objects are removed again when provisioning fails.
   */
  async provision(
    request: ProvisionRequest,
    progress: ProgressSink,
  ): Promise<SessionPodExpiryState & { reused: boolean }> {
    const deadline = this.now() + this.options.config.provisionTimeoutMs;
    try {
      return await this.provisionOnce(request, progress, deadline, true);
    } catch (error) {
      throw toSessionPodError(error);
    }
  }

  private async provisionOnce(
    request: ProvisionRequest,
    progress: ProgressSink,
    deadline: number,
    mayRetry: boolean,
  ): Promise<SessionPodExpiryState & { reused: boolean }> {
    const { namespace, pod: name } = request;
    const kube = this.objects.kube(request.cluster);
    const existing = await kube.getPod(namespace, name);
    if (existing) {
      assertOwner(existing, request);
      const state = readExpiry(existing);
      const progressState = podProgress(existing);
      let ended: string | undefined;
      if (!state) ended = 'has no readable expiry';
      else if (state.expiresAt.getTime() <= this.now())
        ended = `expired ${humanSpan(
          this.now() - state.expiresAt.getTime(),
        )} ago`;
      else if (progressState.failure)
        ended = `cannot run (${progressState.description})`;
      if (!ended) {
        progress(
          'pod',
          `reusing your session pod ${name} in ${namespace} (it expires in ${humanSpan(
            state!.expiresAt.getTime() - this.now(),
          )})`,
        );
        await this.waitUntilRunning(request, existing, progress, deadline);
        await this.waitForKubeconfig(request, deadline);
        progress('ready', readyMessage(name, state!, this.now()));
        return { ...state!, reused: true };
      }
      progress(
        'pod',
        `removing your previous session pod ${name}, which ${ended}`,
      );
      await this.objects.deleteAll(request);
      await this.waitUntilGone(request, deadline);
    }
    try {
      return {
        ...(await this.create(request, progress, deadline, !mayRetry)),
        reused: false,
      };
    } catch (error) {
      if (error instanceof PodTakenError && mayRetry) {
        // Another tab or replica is creating it right now: wait for its pod, then use that one. If
        // none appears, what it left is replaced on the second attempt.
        progress(
          'pod',
          'your session pod is being started elsewhere; waiting for it',
        );
        await this.waitForPod(
          request,
          Math.min(deadline, this.now() + TAKEN_WAIT_MS),
        );
        return this.provisionOnce(request, progress, deadline, false);
      }
      throw error;
    }
  }

  private async waitForPod(target: SessionPodTarget, until: number) {
    const kube = this.objects.kube(target.cluster);
    while (
      !(await kube.getPod(target.namespace, target.pod)) &&
      this.now() < until
    ) {
      await sleep(this.options.pollIntervalMs ?? 500);
    }
  }

  private async create(
    request: ProvisionRequest,
    progress: ProgressSink,
    deadline: number,
    replaceLeftovers: boolean,
  ): Promise<SessionPodExpiryState> {
    const { config } = this.options;
    const settings = config.forCluster(request.cluster);
    const kube = this.objects.kube(request.cluster);
    const { namespace, pod: name } = request;
    const createdAt = this.now();
    const id: SessionPodIdentity = {
      name,
      namespace,
      userEntityRef: request.userEntityRef,
      entityRef: request.entityRef,
      sessionId: request.sessionId,
      expiresAt: new Date(createdAt + config.expiryMs),
      maxExpiresAt: new Date(createdAt + config.maxLifetimeMs),
    };
    progress(
      'serviceaccount',
      `creating service account ${name} in namespace ${namespace}`,
    );
    try {
      await kube.createServiceAccount(serviceAccountManifest(id));
    } catch (error) {
      if (!isAlreadyExists(error)) {
        throw error;
      }
      // Replacing the account of a session pod being started elsewhere would void its token; one
      // without a pod for longer than a provisioning takes was left by a crash.
      const existing = await kube.getServiceAccount(namespace, name);
      const age =
        this.now() -
        new Date(existing?.metadata?.creationTimestamp ?? 0).getTime();
      const starting =
        !!existing &&
        !existing.metadata?.ownerReferences?.length &&
        age < config.provisionTimeoutMs;
      if (starting && !replaceLeftovers) {
        throw new PodTakenError();
      }
      await kube.delete({ kind: 'ServiceAccount', namespace, name });
      await kube.createServiceAccount(serviceAccountManifest(id));
    }
    let pod: V1Pod;
    try {
      progress('pod', `creating pod ${name} (image ${settings.image})`);
      try {
        pod = await kube.createPod(
          podManifest(id, settings, config.maxLifetimeMs),
        );
      } catch (error) {
        if (isAlreadyExists(error)) {
          throw new PodTakenError();
        }
        throw error;
      }
    } catch (error) {
      if (!(error instanceof PodTakenError)) {
        await this.objects.deleteAll(request);
      }
      throw error;
    }
    try {
      const owner = podOwnerReference({ name, uid: pod.metadata!.uid! });
      await kube.patch(
        { kind: 'ServiceAccount', namespace, name },
        { metadata: { ownerReferences: [owner] } },
      );
      progress(
        'rolebinding',
        `binding ${name} to ClusterRole ${settings.clusterRole} in namespace ${namespace}`,
      );
      await this.objects.createReplacing(request, 'RoleBinding', () =>
        kube.createRoleBinding(
          roleBindingManifest(id, settings.clusterRole, owner),
        ),
      );
      if (settings.networkPolicy.enabled) {
        const cidrs = await this.objects.apiServerCidrs(request.cluster);
        progress(
          'networkpolicy',
          `denying ingress; allowing egress only to DNS and the API server${
            cidrs.length ? ` (${cidrs.join(', ')})` : ''
          }`,
        );
        if (cidrs.length === 0) {
          this.options.logger.warn(
            `session pod ${namespace}/${name}: the API server's addresses of cluster ${request.cluster} are unknown; set kubernetesTerminal.sessionPods.networkPolicy.apiServerCidrs`,
          );
        }
        await this.objects.createReplacing(request, 'NetworkPolicy', () =>
          kube.createNetworkPolicy(
            networkPolicyManifest(id, settings.networkPolicy, cidrs, owner),
          ),
        );
      } else {
        progress(
          'networkpolicy',
          'no network policy: switched off in the portal configuration',
        );
      }
      const token = await this.objects.issueKubeconfig(
        request,
        id,
        pod,
        'create',
      );
      progress(
        'token',
        `issued a token for ${name}, bound to the pod and valid for ${humanSpan(
          token.expiresAt.getTime() - this.now(),
        )}, mounted as its kubeconfig`,
      );
      await this.waitUntilRunning(request, pod, progress, deadline);
      progress('ready', readyMessage(name, id, this.now()));
      return { expiresAt: id.expiresAt, maxExpiresAt: id.maxExpiresAt };
    } catch (error) {
      await this.objects.deleteAll(request);
      throw error;
    }
  }

  private async waitUntilRunning(
    target: SessionPodTarget,
    created: V1Pod,
    progress: ProgressSink,
    deadline: number,
  ): Promise<void> {
    const kube = this.objects.kube(target.cluster);
    const uid = created.metadata!.uid!;
    const seen = new Set<string>();
    let last = '';
    for (;;) {
      const pod = await kube.getPod(target.namespace, target.pod);
      if (!pod || pod.metadata?.uid !== uid) {
        throw new SessionPodError(
          TerminalCloseCode.UpstreamError,
          'PodDeleted',
          `your session pod ${target.pod} was deleted while it was starting`,
        );
      }
      const state = podProgress(pod);
      if (state.description !== last) {
        last = state.description;
        progress('pod-phase', `pod ${target.pod} is ${state.description}`);
      }
      try {
        const events = await kube.listPodEvents(target.namespace, uid);
        // Events of one second share a timestamp: their names (the time in hex nanoseconds, as
        // the kubelet's recorder makes them) keep the order they happened in.
        for (const event of events.sort(
          (a, b) =>
            eventTime(a) - eventTime(b) ||
            (a.metadata?.name ?? '').localeCompare(b.metadata?.name ?? ''),
        )) {
          const key = `${event.metadata?.uid ?? event.metadata?.name}/${
            event.count ?? 1
          }`;
          if (!seen.has(key)) {
            seen.add(key);
            progress(
              'event',
              `${event.type === 'Warning' ? 'warning: ' : ''}${event.reason}: ${
                event.message ?? ''
              }`.trim(),
            );
          }
        }
      } catch (error) {
        // Events are a courtesy; a backend without `list events` still provisions.
        this.options.logger.debug(
          `session pod events unavailable: ${(error as Error).message}`,
        );
      }
      if (state.failure) {
        throw new SessionPodError(
          TerminalCloseCode.SessionPodFailed,
          state.failure.reason,
          `your session pod cannot start: ${state.failure.reason}: ${state.failure.message}`,
        );
      }
      if (state.running) {
        return;
      }
      const left = deadline - this.now();
      if (left <= 0) {
        throw new SessionPodError(
          TerminalCloseCode.UpstreamError,
          'ProvisionTimeout',
          `your session pod did not start within ${humanDuration(
            this.options.config.provisionTimeoutMs,
          )}; it is ${state.description}`,
        );
      }
      await sleep(Math.min(this.options.pollIntervalMs ?? 500, left));
    }
  }

  /** A pod started by another tab or replica may still be waiting for its kubeconfig. */
  private async waitForKubeconfig(target: SessionPodTarget, deadline: number) {
    const kube = this.objects.kube(target.cluster);
    while (
      !(await kube.getSecret(
        target.namespace,
        kubeconfigSecretName(target.pod),
      ))
    ) {
      if (this.now() >= deadline) {
        throw new SessionPodError(
          TerminalCloseCode.UpstreamError,
          'ProvisionTimeout',
          `your session pod ${target.pod} has no kubeconfig yet; try again in a moment`,
        );
      }
      await sleep(this.options.pollIntervalMs ?? 500);
    }
  }

  private async waitUntilGone(target: SessionPodTarget, deadline: number) {
    const kube = this.objects.kube(target.cluster);
    while (await kube.getPod(target.namespace, target.pod)) {
      if (this.now() >= deadline) {
        throw new SessionPodError(
          TerminalCloseCode.UpstreamError,
          'ProvisionTimeout',
          `your previous session pod ${target.pod} is still being deleted; try again in a moment`,
        );
      }
      await sleep(this.options.pollIntervalMs ?? 500);
    }
  }
}

function readyMessage(
  name: string,
  state: SessionPodExpiryState,
  now: number,
): string {
  return `session pod ${name} is ready; it expires in ${humanSpan(
    state.expiresAt.getTime() - now,
  )} and can be extended to ${humanSpan(
    state.maxExpiresAt.getTime() - now,
  )} from now`;
}

function toSessionPodError(error: unknown): Error {
  if (error instanceof SessionPodError || error instanceof NotFoundError) {
    return error;
  }
  if (error instanceof KubeRequestError) {
    if (error.code === 403) {
      return new SessionPodError(
        TerminalCloseCode.Forbidden,
        'Forbidden',
        `the portal is not allowed to set up your session pod: ${error.message}`,
      );
    }
    if (error.code === 404) {
      return new SessionPodError(
        TerminalCloseCode.NotFound,
        'NotFound',
        error.message,
      );
    }
    return new SessionPodError(
      TerminalCloseCode.UpstreamError,
      error.reason ?? 'UpstreamError',
      error.message,
    );
  }
  return new SessionPodError(
    TerminalCloseCode.UpstreamError,
    'UpstreamError',
    error instanceof Error ? error.message : String(error),
  );
}

function sleep(ms: number) {
  return new Promise(resolve => setTimeout(resolve, ms));
}
