import { PodRuntime } from '../pods/PodRuntime';
import { resolveInContainer } from '../pods/containerTools';
import { processEnv } from '../pods/processEnv';
import { containerMounts } from '../pods/podVolumes';
import { ObjectStore } from '../store/ObjectStore';
import { KubeObject, SandboxLogger } from '../types';
import { Proc, spawnOnPipes, spawnOnTerminal } from './processes';

/*
 * The main processes of containers that have one in the sandbox: ephemeral containers (debug
 * containers), started when they are added to a pod and running until they exit, with clients that
 * attach to them and go again (pods/attach). Regular sandbox containers have no main process: a pod
 * only stands for a workload, and exec starts what a shell asks for.
 */

/** One attached client. */
export interface AttachClient {
  output(channel: number, data: Buffer): void;
  /** The process exited with this status. */
  ended(code: number): void;
}

/** What an attached client may do to the process. */
export interface Attachment {
  write(data: Buffer): void;
  resize(cols: number, rows: number): void;
  detach(): void;
}

interface MainProcess {
  proc: Proc;
  clients: Set<AttachClient>;
}

/** A shell the image is assumed to start with when the container names no command. */
const DEFAULT_ENTRYPOINTS = ['sh', 'bash'];

export class MainProcesses {
  private readonly running = new Map<string, MainProcess>();

  constructor(
    private readonly o: {
      runtime: PodRuntime;
      store: ObjectStore;
      apiHost: string;
      /** Known once the sandbox listens. */
      apiPort: () => number;
      logger: SandboxLogger;
    },
  ) {}

  /**
   * Starts a container's main process: its `command` and `args`, or else the image's shell. Throws,
   * with the container runtime's words, when there is nothing to start.
   */
  start(pod: KubeObject, container: any, onExit: (code: number) => void) {
    const { runtime, store } = this.o;
    const paths = runtime.paths(pod);
    const binDir = paths.binDir(container.name);
    const declared: string[] = [
      ...(container.command ?? []),
      ...(container.args ?? []),
    ];
    const command = declared.length
      ? declared
      : [
          DEFAULT_ENTRYPOINTS.find(shell =>
            resolveInContainer(binDir, shell),
          ) ?? 'sh',
        ];
    const file = resolveInContainer(binDir, command[0]);
    if (!file) {
      throw new Error(
        `exec: "${command[0]}": executable file not found in $PATH`,
      );
    }
    const tty = Boolean(container.tty);
    const env = processEnv(store, pod, container, {
      binDir,
      home: paths.home,
      tty,
      apiHost: this.o.apiHost,
      apiPort: this.o.apiPort(),
      mounts: containerMounts(paths, pod, container),
    });
    const key = keyOf(pod.metadata.uid!, container.name);
    const clients = new Set<AttachClient>();
    let unregister = () => {};
    const handlers = {
      // Output with nobody attached is read and dropped, as a runtime's log would take it.
      output: (channel: number, data: Buffer) =>
        clients.forEach(c => c.output(channel, data)),
      exited: (code: number) => {
        this.running.delete(key);
        unregister();
        clients.forEach(c => c.ended(code));
        clients.clear();
        onExit(code);
      },
      failed: (message: string) => {
        this.o.logger.warn(
          `container ${container.name} of ${pod.metadata.namespace}/${pod.metadata.name}: ${message}`,
        );
        handlers.exited(128);
      },
    };
    const proc = tty
      ? spawnOnTerminal(file, command, {
          cwd: paths.home,
          env,
          size: { cols: 80, rows: 24 },
          handlers,
        })
      : spawnOnPipes(file, command, {
          cwd: paths.home,
          env,
          streams: {
            stdin: Boolean(container.stdin),
            stdout: true,
            stderr: true,
          },
          handlers,
        });
    unregister = runtime.registerProcess(pod.metadata.uid!, {
      kill: signal => proc.kill(signal),
    });
    this.running.set(key, { proc, clients });
  }

  /** Whether the container has a main process running now. */
  has(podUid: string, container: string): boolean {
    return this.running.has(keyOf(podUid, container));
  }

  /** Attaches a client; undefined when the container has no main process running. */
  attach(
    podUid: string,
    container: string,
    client: AttachClient,
  ): Attachment | undefined {
    const main = this.running.get(keyOf(podUid, container));
    if (!main) return undefined;
    main.clients.add(client);
    return {
      write: data => main.proc.write(data),
      resize: (cols, rows) => main.proc.resize(cols, rows),
      detach: () => main.clients.delete(client),
    };
  }
}

function keyOf(podUid: string, container: string): string {
  return `${podUid}/${container}`;
}
