import type { LoggerService } from '@backstage/backend-plugin-api';
import type {
  TerminalSessionExpiry,
  TerminalSessionPodAvailability,
} from '@kubernetes-terminal/backstage-plugin-kubernetes-terminal-common';
import { formatProgressLine } from '@kubernetes-terminal/backstage-plugin-kubernetes-terminal-common';
import type { ClusterRegistry } from '../kubernetes/ClusterRegistry';
import type { NewAuditEvent, SessionStore } from '../database/SessionStore';
import type { TerminalSession } from '../service/SessionRegistry';
import type { SessionTracker } from '../sessions/SessionTracker';
import type { TerminalRelay } from '../stream/TerminalRelay';
import type { SessionPodExpiryState } from './podStatus';
import { SessionPodLifetime, toTerminalExpiry } from './SessionPodLifetime';
import { SessionPodObjects, type SessionPodTarget } from './SessionPodObjects';
import {
  type ProgressSink,
  SessionPodProvisioner,
} from './SessionPodProvisioner';
import type { SessionPodsConfig } from './sessionPodsConfig';

/** @internal */
export interface SessionPodManagerOptions {
  clusters: ClusterRegistry;
  config: SessionPodsConfig;
  store: SessionStore;
  /** Records an audit event. */
  record(event: NewAuditEvent): void;
  logger: LoggerService;
  pollIntervalMs?: number;
}

/** What a session-pod session needs from the stream gateway. @internal */
export interface SessionPodAttachment {
  /** Provisions (or reuses) the pod, then starts following its expiry. */
  prepare(): Promise<void>;
  /** The browser asked to extend. */
  extend(): void;
  /** The connection ended; the pod lives on until it expires. */
  stop(): void;
}

type SessionFields = Pick<
  TerminalSession,
  | 'id'
  | 'userEntityRef'
  | 'entityRef'
  | 'cluster'
  | 'namespace'
  | 'pod'
  | 'container'
  | 'clientIp'
  | 'userAgent'
>;

/**
 * The kubectl session pods of this backend replica: availability per cluster, provisioning (one at a
 * time per user, cluster and namespace), extension, and the expiry of each connection.
 *
 * @internal
 */
export class SessionPodManager {
  readonly objects: SessionPodObjects;
  private readonly provisioner: SessionPodProvisioner;
  private readonly inflight = new Map<string, Promise<unknown>>();
  private readonly listeners = new Map<
    string,
    Set<(state: SessionPodExpiryState) => void>
  >();

  constructor(private readonly options: SessionPodManagerOptions) {
    this.objects = new SessionPodObjects(options);
    this.provisioner = new SessionPodProvisioner({
      objects: this.objects,
      config: options.config,
      logger: options.logger,
      pollIntervalMs: options.pollIntervalMs,
    });
  }

  get config(): SessionPodsConfig {
    return this.options.config;
  }

  /** Whether a cluster offers session pods: configured so, and usable by the backend. */
  enabledIn(cluster: string): boolean {
    return (
      this.options.config.forCluster(cluster).enabled &&
      !!this.options.clusters.get(cluster)?.kubeConfig
    );
  }

  /** The `sessionPod` field of a cluster in `GET /targets`; undefined when the mode is off. */
  availability(
    cluster: string,
    canCreate: boolean,
    namespaces: string[],
  ): TerminalSessionPodAvailability | undefined {
    if (!this.options.config.anyEnabled) {
      return undefined;
    }
    const enabled = this.enabledIn(cluster);
    return {
      enabled,
      canCreate: enabled && canCreate,
      namespaces: enabled ? namespaces : [],
      clusterRole: this.options.config.forCluster(cluster).clusterRole,
    };
  }

  attach(
    session: TerminalSession,
    relay: TerminalRelay,
    tracker: SessionTracker,
  ): SessionPodAttachment {
    const target = targetOf(session);
    let lifetime: SessionPodLifetime | undefined;
    let unsubscribe: (() => void) | undefined;
    let stopped = false;
    return {
      prepare: async () => {
        const state = await this.ensure(session, (step, message) => {
          relay.notify({ type: 'progress', step, message });
          // The recording replays what the person saw: the start-up too, as their terminal drew it.
          tracker.recordShown(formatProgressLine(step, message));
        });
        if (stopped) {
          return;
        }
        tracker.updateExpiry(state);
        lifetime = new SessionPodLifetime({
          backend: {
            currentExpiry: () => this.objects.currentExpiry(target),
            expire: async () => {
              await this.objects.deleteAll(target);
            },
            extend: () => this.extend(session),
          },
          config: this.options.config,
          relay,
          record: event => tracker.record(event),
          logger: this.options.logger,
        });
        unsubscribe = this.subscribe(target, next => {
          session.expiresAt = next.expiresAt;
          session.maxExpiresAt = next.maxExpiresAt;
          lifetime?.update(next);
        });
        lifetime.start(state);
      },
      extend: () => {
        void lifetime?.extend();
      },
      stop: () => {
        stopped = true;
        lifetime?.stop();
        unsubscribe?.();
      },
    };
  }

  /**
   * Extends the session's pod by `extendBy` up to its cap, records `extend`, updates every live
   * session row of the pod and tells the pod's other connections on this replica. Throws a
   * `ConflictError` at the cap or when the pod has ended.
   */
  async extend(session: SessionFields): Promise<TerminalSessionExpiry> {
    const target = targetOf(session);
    const state = await this.objects.extend(target);
    await this.options.store
      .updateSessionPodExpiry(target, state)
      .catch(error =>
        this.options.logger.warn(
          `could not store a session pod's expiry: ${error.message}`,
        ),
      );
    this.options.record({
      sessionId: session.id,
      eventType: 'extend',
      userEntityRef: session.userEntityRef,
      entityRef: session.entityRef,
      cluster: session.cluster,
      namespace: session.namespace,
      pod: session.pod,
      container: session.container,
      clientIp: session.clientIp,
      userAgent: session.userAgent,
      details: {
        expiresAt: state.expiresAt.toISOString(),
        maxExpiresAt: state.maxExpiresAt.toISOString(),
      },
    });
    for (const listener of this.listeners.get(keyOf(target)) ?? []) {
      listener(state);
    }
    return toTerminalExpiry(state, this.options.config.extendByMs);
  }

  /** One provisioning per pod at a time: a second tab waits for the first, then reuses its pod. */
  private async ensure(session: TerminalSession, progress: ProgressSink) {
    const key = keyOf(targetOf(session));
    for (
      let running = this.inflight.get(key);
      running;
      running = this.inflight.get(key)
    ) {
      progress(
        'pod',
        'waiting for your session pod, which another terminal of yours is starting',
      );
      await running.catch(() => undefined);
    }
    const provisioning = this.provisioner.provision(
      {
        ...targetOf(session),
        entityRef: session.entityRef,
        sessionId: session.id,
      },
      progress,
    );
    this.inflight.set(key, provisioning);
    try {
      return await provisioning;
    } finally {
      if (this.inflight.get(key) === provisioning) {
        this.inflight.delete(key);
      }
    }
  }

  private subscribe(
    target: SessionPodTarget,
    listener: (state: SessionPodExpiryState) => void,
  ) {
    const key = keyOf(target);
    const set = this.listeners.get(key) ?? new Set();
    set.add(listener);
    this.listeners.set(key, set);
    return () => {
      set.delete(listener);
      if (set.size === 0) {
        this.listeners.delete(key);
      }
    };
  }
}

function targetOf(session: SessionFields): SessionPodTarget {
  return {
    cluster: session.cluster,
    namespace: session.namespace,
    pod: session.pod,
    userEntityRef: session.userEntityRef,
  };
}

function keyOf(target: SessionPodTarget): string {
  return `${target.cluster}\u0000${target.namespace}\u0000${target.pod}`;
}
