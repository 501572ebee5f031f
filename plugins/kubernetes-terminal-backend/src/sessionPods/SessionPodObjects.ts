import type { LoggerService } from '@backstage/backend-plugin-api';
import { ConflictError, NotFoundError } from '@backstage/errors';
import { TerminalCloseCode } from '@kubernetes-terminal/backstage-plugin-kubernetes-terminal-common';
import type { V1Pod } from '@kubernetes/client-node';
import { isIP } from 'node:net';
import type { ClusterRegistry } from '../kubernetes/ClusterRegistry';
import { RelayFailure } from '../stream/RelayFailure';
import {
  type SessionPodIdentity,
  kubeconfigSecretManifest,
  podOwnerReference,
  renderKubeconfig,
} from './manifests';
import {
  EXPIRES_AT_ANNOTATION,
  EXPIRES_AT_LABEL,
  KUBECONFIG_KEY,
  USER_ANNOTATION,
  expiresAtLabelValue,
  kubeconfigSecretName,
} from './names';
import {
  type SessionPodExpiryState,
  humanDuration,
  humanSpan,
  readExpiry,
} from './podStatus';
import {
  KubeRequestError,
  type ObjectRef,
  SESSION_OBJECT_KINDS,
  SessionPodKube,
  isAlreadyExists,
  isConflict,
} from './SessionPodKube';
import type { SessionPodsConfig } from './sessionPodsConfig';

/** A session pod of a user in a cluster and namespace. @internal */
export interface SessionPodTarget {
  cluster: string;
  namespace: string;
  pod: string;
  userEntityRef: string;
}

/** Provisioning failed; the close code and reason tell the browser why. @internal */
export class SessionPodError extends RelayFailure {}

/** The session pod is at its cap; `state` is its current expiry. @internal */
export class SessionPodCapError extends ConflictError {
  constructor(message: string, readonly state: SessionPodExpiryState) {
    super(message);
  }
}

const API_SERVER_CACHE_MS = 10 * 60_000;

/**
 * The objects of existing session pods, acted on with the backend's credentials: the pod's
 * kubeconfig (a token bound to the pod), extension up to the cap, deletion.
 *
 * @internal
 */
export class SessionPodObjects {
  private readonly kubes = new Map<string, SessionPodKube>();
  private readonly apiServers = new Map<
    string,
    { cidrs: string[]; at: number }
  >();
  readonly now: () => number;

  constructor(
    private readonly options: {
      clusters: ClusterRegistry;
      config: SessionPodsConfig;
      logger: LoggerService;
      now?: () => number;
    },
  ) {
    this.now = options.now ?? Date.now;
  }

  kube(cluster: string): SessionPodKube {
    let kube = this.kubes.get(cluster);
    if (!kube) {
      const kubeConfig = this.options.clusters.get(cluster)?.kubeConfig;
      if (!kubeConfig) {
        throw new NotFoundError(`cluster ${cluster} is not configured`);
      }
      kube = new SessionPodKube(kubeConfig);
      this.kubes.set(cluster, kube);
    }
    return kube;
  }

  /** Creates an object; one left behind under the same name (a crashed backend's) is replaced. */
  async createReplacing(
    target: SessionPodTarget,
    kind: ObjectRef['kind'],
    create: () => Promise<unknown>,
  ) {
    try {
      await create();
    } catch (error) {
      if (!isAlreadyExists(error)) {
        throw error;
      }
      const name =
        kind === 'Secret' ? kubeconfigSecretName(target.pod) : target.pod;
      await this.kube(target.cluster).delete({
        kind,
        namespace: target.namespace,
        name,
      });
      await create();
    }
  }

  /** A token bound to the pod expiring with the session, written as the pod's kubeconfig. */
  async issueKubeconfig(
    target: SessionPodTarget,
    id: Pick<SessionPodIdentity, 'expiresAt'> & Partial<SessionPodIdentity>,
    pod: V1Pod,
    mode: 'create' | 'update',
  ): Promise<{ expiresAt: Date }> {
    const kube = this.kube(target.cluster);
    const { namespace, pod: name } = target;
    const seconds = Math.max(
      1,
      Math.ceil((id.expiresAt.getTime() - this.now()) / 1000),
    );
    const token = await kube.requestToken(
      namespace,
      name,
      { name, uid: pod.metadata!.uid! },
      seconds,
    );
    const caData =
      (await kube.rootCaData(namespace)) ??
      this.options.clusters.get(target.cluster)?.caData;
    const kubeconfig = renderKubeconfig({
      cluster: target.cluster,
      server: this.options.config.forCluster(target.cluster).apiServerUrl,
      caData,
      namespace,
      user: name,
      token: token.token,
    });
    if (mode === 'create') {
      const owner = podOwnerReference({ name, uid: pod.metadata!.uid! });
      await this.createReplacing(target, 'Secret', () =>
        kube.createSecret(
          kubeconfigSecretManifest(id as SessionPodIdentity, kubeconfig, owner),
        ),
      );
    } else {
      await kube.patch(
        { kind: 'Secret', namespace, name: kubeconfigSecretName(name) },
        {
          metadata: {
            labels: { [EXPIRES_AT_LABEL]: expiresAtLabelValue(id.expiresAt) },
          },
          data: {
            [KUBECONFIG_KEY]: Buffer.from(kubeconfig, 'utf8').toString(
              'base64',
            ),
          },
        },
      );
    }
    return { expiresAt: token.expiresAt };
  }

  /** The expiry stored on the live pod, or undefined when the pod is gone. */
  async currentExpiry(
    target: SessionPodTarget,
  ): Promise<SessionPodExpiryState | undefined> {
    const pod = await this.kube(target.cluster).getPod(
      target.namespace,
      target.pod,
    );
    if (!pod || pod.metadata?.deletionTimestamp) {
      return undefined;
    }
    return readExpiry(pod);
  }

  /**
   * Moves the expiry by `extendBy`, up to the cap stored on the pod, and gives the pod a token that
   * lasts as long. Concurrent extensions (two tabs, two replicas) serialize on the pod's
   * resourceVersion.
   */
  async extend(target: SessionPodTarget): Promise<SessionPodExpiryState> {
    const kube = this.kube(target.cluster);
    const { extendByMs, maxLifetimeMs } = this.options.config;
    for (let attempt = 0; ; attempt++) {
      const pod = await kube.getPod(target.namespace, target.pod);
      const state =
        pod && !pod.metadata?.deletionTimestamp ? readExpiry(pod) : undefined;
      if (!pod || !state || state.expiresAt.getTime() <= this.now()) {
        throw new ConflictError(`your session pod ${target.pod} has ended`);
      }
      assertOwner(pod, target);
      if (state.expiresAt >= state.maxExpiresAt) {
        throw new SessionPodCapError(
          `your session pod has reached its maximum lifetime of ${humanDuration(
            maxLifetimeMs,
          )} and ends in ${humanSpan(
            state.maxExpiresAt.getTime() - this.now(),
          )}`,
          state,
        );
      }
      const expiresAt = new Date(
        Math.min(
          state.expiresAt.getTime() + extendByMs,
          state.maxExpiresAt.getTime(),
        ),
      );
      try {
        await kube.patch(
          { kind: 'Pod', namespace: target.namespace, name: target.pod },
          {
            metadata: {
              resourceVersion: pod.metadata!.resourceVersion,
              annotations: { [EXPIRES_AT_ANNOTATION]: expiresAt.toISOString() },
              labels: { [EXPIRES_AT_LABEL]: expiresAtLabelValue(expiresAt) },
            },
          },
        );
      } catch (error) {
        if (isConflict(error) && attempt < 5) {
          continue;
        }
        throw error;
      }
      const results = await Promise.allSettled([
        this.issueKubeconfig(target, { expiresAt }, pod, 'update'),
        ...SESSION_OBJECT_KINDS.filter(k => k !== 'Secret').map(kind =>
          kube.patch(
            { kind, namespace: target.namespace, name: target.pod },
            {
              metadata: {
                labels: { [EXPIRES_AT_LABEL]: expiresAtLabelValue(expiresAt) },
              },
            },
          ),
        ),
      ]);
      for (const r of results) {
        if (
          r.status === 'rejected' &&
          !(r.reason instanceof KubeRequestError && r.reason.code === 404)
        ) {
          this.options.logger.warn(
            `session pod ${target.namespace}/${target.pod} extended, but: ${
              (r.reason as Error).message
            }`,
          );
        }
      }
      return { expiresAt, maxExpiresAt: state.maxExpiresAt };
    }
  }

  /** Deletes the pod and every object of its session; returns how many existed. */
  async deleteAll(
    target: Omit<SessionPodTarget, 'userEntityRef'>,
  ): Promise<number> {
    const kube = this.kube(target.cluster);
    const refs: ObjectRef[] = [
      { kind: 'Pod', namespace: target.namespace, name: target.pod },
      ...SESSION_OBJECT_KINDS.map(kind => ({
        kind,
        namespace: target.namespace,
        name: kind === 'Secret' ? kubeconfigSecretName(target.pod) : target.pod,
      })),
    ];
    const results = await Promise.allSettled(refs.map(ref => kube.delete(ref)));
    let deleted = 0;
    for (const r of results) {
      if (r.status === 'fulfilled') {
        deleted += r.value ? 1 : 0;
      } else {
        this.options.logger.warn(
          `session pod clean-up: ${(r.reason as Error).message}`,
        );
      }
    }
    return deleted;
  }

  /** Configured CIDRs, else the `default/kubernetes` Endpoints, else the cluster URL's IP. */
  async apiServerCidrs(cluster: string): Promise<string[]> {
    const configured =
      this.options.config.forCluster(cluster).networkPolicy.apiServerCidrs;
    if (configured.length > 0) {
      return configured;
    }
    const cached = this.apiServers.get(cluster);
    if (cached && this.now() - cached.at < API_SERVER_CACHE_MS) {
      return cached.cidrs;
    }
    let ips = await this.kube(cluster).apiServerAddresses();
    if (ips.length === 0) {
      const host = new URL(
        this.options.clusters.get(cluster)!.url,
      ).hostname.replace(/^\[|\]$/g, '');
      ips = isIP(host) ? [host] : [];
    }
    const cidrs = ips.map(ip => `${ip}/${isIP(ip) === 6 ? 128 : 32}`);
    this.apiServers.set(cluster, { cidrs, at: this.now() });
    return cidrs;
  }
}

/** Refuses a pod of that name that was started for someone else. @internal */
export function assertOwner(pod: V1Pod, target: SessionPodTarget) {
  if (pod.metadata?.annotations?.[USER_ANNOTATION] !== target.userEntityRef) {
    throw new SessionPodError(
      TerminalCloseCode.Forbidden,
      'Forbidden',
      `pod ${target.namespace}/${target.pod} exists but is not your session pod`,
    );
  }
}
