import { RESOURCE_TYPES } from '../resources';
import { ObjectStore } from '../store/ObjectStore';
import { badRequest } from '../status';
import { KubeObject } from '../types';

/** A validated `pods/exec` request. */
export interface ExecParams {
  namespace: string;
  pod: KubeObject;
  container: string;
  command: string[];
  stdin: boolean;
  stdout: boolean;
  stderr: boolean;
  tty: boolean;
}

/** A validated `pods/attach` request. */
export type AttachParams = Omit<ExecParams, 'command'>;

/** A pod's containers of every kind, regular first, then init and ephemeral ones. */
export function allContainers(pod: KubeObject): any[] {
  return [
    ...(pod.spec?.containers ?? []),
    ...(pod.spec?.initContainers ?? []),
    ...(pod.spec?.ephemeralContainers ?? []),
  ];
}

/** The status of one container of any kind. */
export function containerStatusOf(pod: KubeObject, container: string): any {
  return [
    ...(pod.status?.containerStatuses ?? []),
    ...(pod.status?.initContainerStatuses ?? []),
    ...(pod.status?.ephemeralContainerStatuses ?? []),
  ].find((s: any) => s.name === container);
}

/** strconv.ParseBool, which the API server uses for query parameters. */
export function parseBool(value: string | null): boolean {
  return (
    value !== null && ['1', 't', 'T', 'true', 'TRUE', 'True'].includes(value)
  );
}

/**
 * Checks an exec request the way the API server and kubelet do, with their messages, before any
 * upgrade: so a refused WebSocket and kubectl's SPDY retry both show the same Status.
 */
export function parseExecRequest(
  store: ObjectStore,
  namespace: string,
  podName: string,
  url: URL,
): ExecParams {
  const { pod, container } = podAndContainer(store, namespace, podName, url);
  const command = url.searchParams.getAll('command');
  if (command.length === 0) {
    throw badRequest('you must specify at least 1 command');
  }
  const streams = parseStreams(url);
  checkRunning(pod, container, 'exec into');
  return { namespace, pod, container, command, ...streams };
}

/**
 * Checks an attach request as the API server and kubelet do: the container must run, and have
 * been created with stdin for stdin to be attached.
 */
export function parseAttachRequest(
  store: ObjectStore,
  namespace: string,
  podName: string,
  url: URL,
): AttachParams {
  const { pod, container } = podAndContainer(store, namespace, podName, url);
  const streams = parseStreams(url);
  checkRunning(pod, container, 'attach to');
  const spec = allContainers(pod).find((c: any) => c.name === container);
  if (streams.stdin && !spec?.stdin) {
    throw badRequest(
      `cannot attach to container ${container}: it was not created with stdin`,
    );
  }
  return { namespace, pod, container, ...streams };
}

function podAndContainer(
  store: ObjectStore,
  namespace: string,
  podName: string,
  url: URL,
): { pod: KubeObject; container: string } {
  const pod = store.mustGet(RESOURCE_TYPES.pods, namespace, podName);
  const containers: string[] = allContainers(pod).map((c: any) => c.name);
  const requested = url.searchParams.get('container') ?? '';
  // The API server wants a container name for multi-container pods; the sandbox defaults to the
  // kubectl default-container annotation or the first container, which is friendlier for tests.
  const container =
    requested ||
    pod.metadata.annotations?.['kubectl.kubernetes.io/default-container'] ||
    containers[0];
  if (!containers.includes(container)) {
    throw badRequest(`container ${container} is not valid for pod ${podName}`);
  }
  return { pod, container };
}

function parseStreams(url: URL) {
  const stdin = parseBool(url.searchParams.get('stdin'));
  const stdout = parseBool(url.searchParams.get('stdout'));
  const tty = parseBool(url.searchParams.get('tty'));
  // As the kubelet does: with a TTY, stderr is merged into the terminal and the flag ignored.
  const stderr = parseBool(url.searchParams.get('stderr')) && !tty;
  if (!stdin && !stdout && !parseBool(url.searchParams.get('stderr'))) {
    throw badRequest('you must specify at least 1 of stdin, stdout, stderr');
  }
  return { stdin, stdout, stderr, tty };
}

function checkRunning(pod: KubeObject, container: string, what: string) {
  const phase = pod.status?.phase;
  if (phase === 'Succeeded' || phase === 'Failed') {
    throw badRequest(
      `cannot ${what} a container in a completed pod; current phase is ${phase}`,
    );
  }
  const status = containerStatusOf(pod, container);
  if (phase !== 'Running' || !status?.state?.running) {
    throw badRequest(`container not found ("${container}")`);
  }
}
