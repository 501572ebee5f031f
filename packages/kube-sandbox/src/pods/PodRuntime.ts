import { ServiceAccountTokens } from '../auth/serviceAccountTokens';
import { EventRecorder } from '../events';
import { nowTimestamp } from '../registry/podStrategy';
import { RESOURCE_TYPES } from '../resources';
import { ObjectStore, StoreEvent } from '../store/ObjectStore';
import { KubeObject, SandboxLogger } from '../types';
import { renderKubeconfig } from '../kubeconfig';
import { randomBytes } from 'node:crypto';
import { buildBinDir, ImageToolMap, toolsForContainer } from './containerTools';
import {
  DEADLINE_MESSAGE,
  deadlineExceededStatus,
  failedEvents,
  failedStatus,
  KubeletEvent,
  runningStatus,
  startedEvents,
} from './podStatus';
import {
  podPaths,
  PodPaths,
  preparePodFilesystem,
  removePodFilesystem,
  writeInPodKubeconfig,
} from './podFilesystem';
import { podUsesObject, writePodVolumes } from './podVolumes';

/*
 * The sandbox's kubelet: moves pods from Pending to Running after a delay (or into a declared
 * failure), enforces activeDeadlineSeconds, and kills the processes of pods that go away.
 */

/** Per-pod start delay in milliseconds, overriding the sandbox default. @public */
export const START_DELAY_ANNOTATION =
  'sandbox.kubernetes-terminal.io/start-delay-ms';
/** Declares a failure the pod shows instead of starting, e.g. `ImagePullBackOff`. @public */
export const FAIL_ANNOTATION = 'sandbox.kubernetes-terminal.io/fail';

/** A running exec process, killed by process group. */
export interface ProcessHandle {
  kill(signal: NodeJS.Signals): void;
}

/** Starts a container's main process (ephemeral containers); throws when it cannot. */
export interface MainProcessStarter {
  start(pod: KubeObject, container: any, onExit: (code: number) => void): void;
}

/**
 * Ephemeral containers whose image reference contains this fail to pull, as a missing image does:
 * the sandbox's stand-in for `registry.example.com/no-such/image`.
 */
export const UNPULLABLE_IMAGE_MARK = 'no-such';

export interface PodRuntimeOptions {
  store: ObjectStore;
  events: EventRecorder;
  tokens: ServiceAccountTokens;
  stateDir: string;
  startDelayMs: number;
  images: ImageToolMap;
  logger: SandboxLogger;
  /** The sandbox's HTTPS URL and CA, known only once it listens. */
  apiEndpoint: () => { server: string; caCertificate: string };
}

const KILL_GRACE_MS = 1000;

export class PodRuntime {
  private readonly timers = new Map<string, NodeJS.Timeout[]>();
  private readonly processes = new Map<string, Set<ProcessHandle>>();
  private readonly unsubscribe: () => void;
  private nextIp = 10;
  /** Set by the server, which knows the API address a process's environment names. */
  mainProcesses?: MainProcessStarter;

  constructor(private readonly options: PodRuntimeOptions) {
    this.unsubscribe = options.store.subscribe(event =>
      this.onStoreEvent(event),
    );
  }

  private onStoreEvent(event: StoreEvent): void {
    if (
      (event.resource === RESOURCE_TYPES.secrets ||
        event.resource === RESOURCE_TYPES.configmaps) &&
      event.type !== 'DELETED'
    ) {
      this.onVolumeSource(event);
      return;
    }
    if (event.resource !== RESOURCE_TYPES.pods) return;
    const pod = event.object;
    const uid = pod.metadata.uid!;
    if (event.type === 'ADDED') {
      const annotated = Number(
        pod.metadata.annotations?.[START_DELAY_ANNOTATION],
      );
      const delay =
        Number.isFinite(annotated) && annotated >= 0
          ? annotated
          : this.options.startDelayMs;
      // Always deferred: a write from inside a store listener would reach later listeners out of order.
      this.schedule(uid, delay, () => this.start(pod));
      this.scheduleDeadline(pod);
    } else if (event.type === 'MODIFIED') {
      const before = new Set(
        (event.previous?.spec?.ephemeralContainers ?? []).map(
          (c: any) => c.name,
        ),
      );
      for (const container of pod.spec?.ephemeralContainers ?? []) {
        if (!before.has(container.name)) {
          this.schedule(uid, 0, () => this.startEphemeral(pod, container.name));
        }
      }
      if (
        event.previous?.spec?.activeDeadlineSeconds !==
        pod.spec?.activeDeadlineSeconds
      ) {
        this.scheduleDeadline(pod);
      }
    } else if (event.type === 'DELETED') {
      this.clearTimers(uid);
      this.killProcesses(uid);
      const paths = this.paths(pod);
      setTimeout(() => removePodFilesystem(paths), KILL_GRACE_MS + 100).unref();
    }
  }

  /** A Secret or ConfigMap changed: rewrite the volumes of the started pods that project it. */
  private onVolumeSource(event: StoreEvent): void {
    const kind =
      event.resource === RESOURCE_TYPES.secrets ? 'secret' : 'configMap';
    const { namespace, name } = event.object.metadata;
    for (const pod of this.options.store.list(RESOURCE_TYPES.pods, namespace)) {
      if (pod.status?.phase === 'Running' && podUsesObject(pod, kind, name!)) {
        this.refreshVolumes(pod);
      }
    }
  }

  /** Writes the pod's Secret, ConfigMap and emptyDir volumes into its directory. */
  refreshVolumes(pod: KubeObject): void {
    try {
      writePodVolumes(this.options.store, this.paths(pod), pod);
    } catch (error) {
      this.options.logger.warn(
        `pod ${pod.metadata.namespace}/${pod.metadata.name}: could not write its volumes: ${error}`,
      );
    }
  }

  paths(pod: KubeObject): PodPaths {
    return podPaths(this.options.stateDir, pod);
  }

  private schedule(
    uid: string,
    delayMs: number,
    fn: () => void,
    key = uid,
  ): void {
    const timer = setTimeout(() => {
      const list = this.timers.get(key);
      const index = list?.indexOf(timer) ?? -1;
      if (index >= 0) list!.splice(index, 1);
      try {
        fn();
      } catch (error) {
        this.options.logger.error(
          `pod runtime: ${(error as Error).stack ?? error}`,
        );
      }
    }, delayMs);
    const list = this.timers.get(key) ?? [];
    list.push(timer);
    this.timers.set(key, list);
  }

  private clearTimers(uid: string): void {
    for (const key of [uid, `${uid}/deadline`]) {
      for (const t of this.timers.get(key) ?? []) clearTimeout(t);
      this.timers.delete(key);
    }
  }

  /** Re-reads the pod so a timer never acts on a deleted or replaced object. */
  private current(pod: KubeObject): KubeObject | undefined {
    const found = this.options.store.get(
      RESOURCE_TYPES.pods,
      pod.metadata.namespace,
      pod.metadata.name!,
    );
    return found && found.metadata.uid === pod.metadata.uid ? found : undefined;
  }

  /** Moves a pod to Running now; the seed uses it so seeded pods are ready when the sandbox is. */
  startNow(namespace: string, name: string): void {
    const pod = this.options.store.get(RESOURCE_TYPES.pods, namespace, name);
    if (!pod) return;
    for (const t of this.timers.get(pod.metadata.uid!) ?? []) clearTimeout(t);
    this.timers.delete(pod.metadata.uid!);
    this.start(pod);
  }

  private start(created: KubeObject): void {
    const pod = this.current(created);
    if (!pod || pod.status?.phase !== 'Pending') return;
    const failure = pod.metadata.annotations?.[FAIL_ANNOTATION];
    if (failure) {
      pod.status = failedStatus(pod, failure, FAIL_ANNOTATION);
      this.recordAll(
        this.options.store.update(RESOURCE_TYPES.pods, pod),
        failedEvents(pod, failure),
      );
      return;
    }
    const paths = this.paths(pod);
    const missing = preparePodFilesystem(paths, pod, this.options.images);
    for (const [container, tools] of Object.entries(missing)) {
      this.options.logger.debug?.(
        `pod ${pod.metadata.namespace}/${
          pod.metadata.name
        } container ${container}: host lacks ${tools.join(', ')}`,
      );
    }
    this.refreshKubeconfig(pod);
    this.refreshVolumes(pod);
    const ip = `10.244.${Math.floor(this.nextIp / 250)}.${
      (this.nextIp % 250) + 2
    }`;
    this.nextIp++;
    pod.status = runningStatus(pod, ip, nowTimestamp());
    this.recordAll(
      this.options.store.update(RESOURCE_TYPES.pods, pod),
      startedEvents(pod),
    );
  }

  /**
   * An ephemeral container added to a running pod: pulled (or not: see UNPULLABLE_IMAGE_MARK),
   * created and started like the kubelet does, with its status in `ephemeralContainerStatuses`, its
   * events, and its main process; when that exits, the container is terminated for good.
   */
  private startEphemeral(snapshot: KubeObject, name: string): void {
    const pod = this.current(snapshot);
    const container = pod?.spec?.ephemeralContainers?.find(
      (c: any) => c.name === name,
    );
    if (!pod || !container) return;
    const fieldPath = `spec.ephemeralContainers{${name}}`;
    const record = (
      type: 'Normal' | 'Warning',
      reason: string,
      message: string,
    ) => this.options.events.record(pod, type, reason, message, { fieldPath });
    if (pod.status?.phase !== 'Running') {
      this.setEphemeralStatus(pod, container, {
        waiting: {
          reason: 'PodNotRunning',
          message: `pod is ${pod.status?.phase}`,
        },
      });
      return;
    }
    if (String(container.image).includes(UNPULLABLE_IMAGE_MARK)) {
      const message = `Failed to pull image "${container.image}": rpc error: code = NotFound desc = failed to pull and unpack image "${container.image}": not found`;
      record('Normal', 'Pulling', `Pulling image "${container.image}"`);
      record('Warning', 'Failed', message);
      record('Warning', 'Failed', 'Error: ErrImagePull');
      this.setEphemeralStatus(pod, container, {
        waiting: {
          reason: 'ImagePullBackOff',
          message: `Back-off pulling image "${container.image}"`,
        },
      });
      return;
    }
    const paths = this.paths(pod);
    const missing = buildBinDir(
      paths.binDir(name),
      toolsForContainer(pod, name, this.options.images),
    );
    if (missing.length) {
      this.options.logger.debug?.(
        `pod ${pod.metadata.namespace}/${
          pod.metadata.name
        } ephemeral container ${name}: host lacks ${missing.join(', ')}`,
      );
    }
    record(
      'Normal',
      'Pulled',
      `Container image "${container.image}" already present on machine`,
    );
    record('Normal', 'Created', `Created container: ${name}`);
    const startedAt = nowTimestamp();
    try {
      if (!this.mainProcesses) {
        throw new Error('the sandbox runs no processes here');
      }
      this.mainProcesses.start(pod, container, code => {
        const now = this.current(pod);
        if (!now) return;
        this.setEphemeralStatus(now, container, {
          terminated: {
            exitCode: code,
            reason: code === 0 ? 'Completed' : 'Error',
            startedAt,
            finishedAt: nowTimestamp(),
          },
        });
      });
    } catch (error) {
      const message = `failed to create containerd task: failed to start shim: ${
        (error as Error).message
      }`;
      record('Warning', 'Failed', `Error: ${message}`);
      this.setEphemeralStatus(pod, container, {
        terminated: {
          exitCode: 128,
          reason: 'StartError',
          message,
          startedAt: '1970-01-01T00:00:00Z',
          finishedAt: nowTimestamp(),
        },
      });
      return;
    }
    record('Normal', 'Started', `Started container ${name}`);
    this.setEphemeralStatus(pod, container, { running: { startedAt } });
  }

  private setEphemeralStatus(pod: KubeObject, container: any, state: any) {
    const current = this.current(pod);
    if (!current) return;
    const statuses: any[] = [
      ...(current.status?.ephemeralContainerStatuses ?? []),
    ];
    const previous = statuses.find(s => s.name === container.name);
    const next = {
      name: container.name,
      state,
      lastState: {},
      ready: false,
      restartCount: 0,
      image: container.image,
      imageID: previous?.imageID ?? '',
      containerID:
        previous?.containerID ??
        `containerd://${randomBytes(32).toString('hex')}`,
    };
    const index = statuses.findIndex(s => s.name === container.name);
    if (index >= 0) statuses[index] = next;
    else statuses.push(next);
    current.status = {
      ...current.status,
      ephemeralContainerStatuses: statuses,
    };
    this.options.store.update(RESOURCE_TYPES.pods, current);
  }

  private recordAll(pod: KubeObject, events: KubeletEvent[]): void {
    for (const e of events) {
      this.options.events.record(pod, e.type, e.reason, e.message, {
        fieldPath: e.fieldPath,
      });
    }
  }

  private scheduleDeadline(pod: KubeObject): void {
    const key = `${pod.metadata.uid}/deadline`;
    for (const t of this.timers.get(key) ?? []) clearTimeout(t);
    this.timers.delete(key);
    const seconds = pod.spec?.activeDeadlineSeconds;
    if (!Number.isInteger(seconds) || seconds <= 0) return;
    const start =
      Date.parse(
        pod.status?.startTime ?? pod.metadata.creationTimestamp ?? '',
      ) || Date.now();
    const remaining = Math.max(0, start + seconds * 1000 - Date.now());
    this.schedule(
      pod.metadata.uid!,
      remaining,
      () => this.deadlineExceeded(pod),
      key,
    );
  }

  private deadlineExceeded(original: KubeObject): void {
    const pod = this.current(original);
    if (
      !pod ||
      pod.status?.phase === 'Failed' ||
      pod.status?.phase === 'Succeeded'
    )
      return;
    this.killProcesses(pod.metadata.uid!);
    pod.status = deadlineExceededStatus(pod, nowTimestamp());
    const updated = this.options.store.update(RESOURCE_TYPES.pods, pod);
    this.options.events.record(
      updated,
      'Normal',
      'DeadlineExceeded',
      DEADLINE_MESSAGE,
    );
  }

  /** Writes a fresh in-pod kubeconfig unless the pod or its service account opt out of the token. */
  refreshKubeconfig(pod: KubeObject): void {
    const namespace = pod.metadata.namespace!;
    const saName = pod.spec?.serviceAccountName ?? 'default';
    const sa = this.options.store.get(
      RESOURCE_TYPES.serviceaccounts,
      namespace,
      saName,
    );
    const automount =
      pod.spec?.automountServiceAccountToken ??
      sa?.automountServiceAccountToken ??
      true;
    if (!sa || !automount) return;
    const { token } = this.options.tokens.issue({
      namespace,
      name: saName,
      uid: sa.metadata.uid!,
      expirationSeconds: 3607,
      boundObject: {
        kind: 'Pod',
        name: pod.metadata.name!,
        uid: pod.metadata.uid,
      },
    });
    const { server, caCertificate } = this.options.apiEndpoint();
    writeInPodKubeconfig(
      this.paths(pod),
      renderKubeconfig({
        server,
        caCertificate,
        user: 'service-account',
        token,
        namespace,
      }),
    );
  }

  /** Tracks an exec process so pod deletion, deadlines and close() can kill it. */
  registerProcess(podUid: string, handle: ProcessHandle): () => void {
    const set = this.processes.get(podUid) ?? new Set();
    set.add(handle);
    this.processes.set(podUid, set);
    return () => {
      set.delete(handle);
      if (set.size === 0 && this.processes.get(podUid) === set)
        this.processes.delete(podUid);
    };
  }

  /** SIGHUP (what a closing terminal sends), then SIGKILL for whatever ignores it. */
  killProcesses(podUid: string): void {
    const set = this.processes.get(podUid);
    if (!set) return;
    const handles = [...set];
    for (const h of handles) h.kill('SIGHUP');
    setTimeout(() => {
      for (const h of handles) h.kill('SIGKILL');
    }, KILL_GRACE_MS).unref();
  }

  processCount(): number {
    let n = 0;
    for (const set of this.processes.values()) n += set.size;
    return n;
  }

  close(): void {
    this.unsubscribe();
    for (const key of [...this.timers.keys()]) {
      for (const t of this.timers.get(key) ?? []) clearTimeout(t);
    }
    this.timers.clear();
    for (const set of this.processes.values()) {
      for (const h of set) {
        h.kill('SIGHUP');
        h.kill('SIGKILL');
      }
    }
    this.processes.clear();
  }
}
