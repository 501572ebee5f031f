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
  const pod = store.mustGet(RESOURCE_TYPES.pods, namespace, podName);
  const containers: string[] = (pod.spec?.containers ?? []).map(
    (c: any) => c.name,
  );
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
  const command = url.searchParams.getAll('command');
  if (command.length === 0) {
    throw badRequest('you must specify at least 1 command');
  }
  const stdin = parseBool(url.searchParams.get('stdin'));
  const stdout = parseBool(url.searchParams.get('stdout'));
  const tty = parseBool(url.searchParams.get('tty'));
  // As the kubelet does: with a TTY, stderr is merged into the terminal and the flag ignored.
  const stderr = parseBool(url.searchParams.get('stderr')) && !tty;
  if (!stdin && !stdout && !parseBool(url.searchParams.get('stderr'))) {
    throw badRequest('you must specify at least 1 of stdin, stdout, stderr');
  }
  const phase = pod.status?.phase;
  if (phase === 'Succeeded' || phase === 'Failed') {
    throw badRequest(
      `cannot exec into a container in a completed pod; current phase is ${phase}`,
    );
  }
  const status = (pod.status?.containerStatuses ?? []).find(
    (s: any) => s.name === container,
  );
  if (phase !== 'Running' || !status?.state?.running) {
    throw badRequest(`container not found ("${container}")`);
  }
  return { namespace, pod, container, command, stdin, stdout, stderr, tty };
}
