import type { WebSocket } from 'ws';
import { PodRuntime } from '../pods/PodRuntime';
import { resolveInContainer } from '../pods/containerTools';
import { processEnv } from '../pods/processEnv';
import { containerMounts } from '../pods/podVolumes';
import { ObjectStore } from '../store/ObjectStore';
import { SandboxLogger } from '../types';
import {
  CLOSE,
  execFailureStatus,
  exitStatus,
  frame,
  lowestWritableChannel,
  notFoundInPathMessage,
  parseResize,
  RESIZE,
  sendFinalStatus,
  STDIN,
} from './channels';
import { ExecParams } from './execRequest';
import { Proc, spawnOnPipes, spawnOnTerminal } from './processes';

/*
 * One exec: a WebSocket on one side, a process on the other. With a TTY the process runs on a real
 * PTY (resizable); without, on pipes with stdout and stderr kept apart. Output is paused while the
 * socket's send buffer is full so a flood cannot grow memory without bound.
 */

export interface ExecSessionOptions {
  ws: WebSocket;
  params: ExecParams;
  runtime: PodRuntime;
  store: ObjectStore;
  apiHost: string;
  apiPort: number;
  logger: SandboxLogger;
}

/** Above this many unsent bytes the process output is paused; below the low mark it resumes. */
const HIGH_WATER = 1024 * 1024;
const LOW_WATER = 256 * 1024;
/** kubectl sends the terminal size right after connecting; give it this long to arrive before spawning. */
const FIRST_RESIZE_WAIT_MS = 100;
const KILL_GRACE_MS = 1000;

export class ExecSession {
  private proc?: Proc;
  private pendingBytes = 0;
  private paused = false;
  private finished = false;
  private size = { cols: 80, rows: 24 };
  private spawnTimer?: NodeJS.Timeout;
  private readonly earlyInput: Buffer[] = [];
  private stdinClosedEarly = false;
  private unregister?: () => void;

  constructor(private readonly o: ExecSessionOptions) {}

  start(): void {
    const { ws, params } = this.o;
    ws.on('message', (data, isBinary) => {
      if (isBinary) this.onMessage(data as Buffer);
    });
    ws.on('close', () => this.onSocketClosed());
    ws.on('error', () => this.onSocketClosed());
    // Like the API server: one empty frame on the lowest writable channel tells the client we are up.
    this.send(frame(lowestWritableChannel(params)));
    if (params.tty) {
      this.spawnTimer = setTimeout(() => this.spawn(), FIRST_RESIZE_WAIT_MS);
    } else {
      this.spawn();
    }
  }

  private onMessage(data: Buffer): void {
    if (data.length === 0) return;
    const channel = data[0];
    const payload = data.subarray(1);
    if (channel === STDIN && this.o.params.stdin) {
      if (this.proc) this.proc.write(payload);
      else this.earlyInput.push(Buffer.from(payload));
    } else if (channel === RESIZE && this.o.params.tty) {
      const size = parseResize(payload);
      if (!size) return;
      this.size = size;
      if (this.proc) this.proc.resize(size.cols, size.rows);
      else if (this.spawnTimer) this.spawn();
    } else if (channel === CLOSE && payload[0] === STDIN) {
      if (this.proc) this.proc.endInput();
      else this.stdinClosedEarly = true;
    }
  }

  private send(data: Buffer): void {
    const { ws } = this.o;
    if (ws.readyState !== ws.OPEN) return;
    this.pendingBytes += data.length;
    ws.send(data, { binary: true }, () => {
      this.pendingBytes -= data.length;
      if (this.paused && this.pendingBytes < LOW_WATER) {
        this.paused = false;
        this.proc?.resume();
      }
    });
    if (!this.paused && this.pendingBytes > HIGH_WATER) {
      this.paused = true;
      this.proc?.pause();
    }
  }

  private output(channel: number, data: Buffer | string): void {
    this.send(frame(channel, data));
  }

  private spawn(): void {
    clearTimeout(this.spawnTimer);
    this.spawnTimer = undefined;
    if (this.finished || this.proc) return;
    const { params, runtime, store } = this.o;
    const pod = params.pod;
    const paths = runtime.paths(pod);
    const binDir = paths.binDir(params.container);
    const file = resolveInContainer(binDir, params.command[0]);
    if (!file) {
      const containerId =
        (pod.status?.containerStatuses ?? [])
          .find((s: any) => s.name === params.container)
          ?.containerID?.replace(/^[a-z]+:\/\//, '') ?? params.container;
      const missing = params.command[0];
      const message = missing.includes('/')
        ? notFoundInPathMessage(containerId, missing).replace(
            /executable file not found in \$PATH/,
            `stat ${missing}: no such file or directory`,
          )
        : notFoundInPathMessage(containerId, missing);
      this.finish(execFailureStatus(message));
      return;
    }
    try {
      runtime.refreshKubeconfig(pod);
    } catch (error) {
      this.o.logger.warn(
        `exec: could not refresh the in-pod kubeconfig: ${error}`,
      );
    }
    runtime.refreshVolumes(pod);
    const container = (pod.spec?.containers ?? []).find(
      (c: any) => c.name === params.container,
    );
    const env = processEnv(store, pod, container, {
      binDir,
      home: paths.home,
      tty: params.tty,
      apiHost: this.o.apiHost,
      apiPort: this.o.apiPort,
      mounts: containerMounts(paths, pod, container),
    });
    try {
      const handlers = {
        output: (channel: number, data: Buffer) => this.output(channel, data),
        exited: (code: number) => this.exited(code),
        failed: (message: string) =>
          this.finish(
            execFailureStatus(`failed to exec in container: ${message}`),
          ),
      };
      this.proc = params.tty
        ? spawnOnTerminal(file, params.command, {
            cwd: paths.home,
            env,
            size: this.size,
            handlers,
          })
        : spawnOnPipes(file, params.command, {
            cwd: paths.home,
            env,
            streams: params,
            handlers,
          });
    } catch (error) {
      this.finish(
        execFailureStatus(
          `failed to exec in container: ${(error as Error).message}`,
        ),
      );
      return;
    }
    this.unregister = runtime.registerProcess(pod.metadata.uid!, {
      kill: s => this.proc?.kill(s),
    });
    for (const chunk of this.earlyInput.splice(0)) this.proc.write(chunk);
    if (this.stdinClosedEarly) this.proc.endInput();
    if (this.paused) this.proc.pause();
  }

  private exited(code: number): void {
    this.finish(exitStatus(this.o.params.command, code));
  }

  /** Ends the stream with its final Status. */
  private finish(status: unknown): void {
    if (this.finished) return;
    this.finished = true;
    this.unregister?.();
    sendFinalStatus(this.o.ws, status);
  }

  /** The client went away: the process gets a hangup, as when a terminal closes. */
  private onSocketClosed(): void {
    clearTimeout(this.spawnTimer);
    if (this.finished) return;
    this.finished = true;
    const proc = this.proc;
    this.unregister?.();
    if (!proc) return;
    proc.resume();
    proc.kill('SIGHUP');
    setTimeout(() => proc.kill('SIGKILL'), KILL_GRACE_MS).unref();
  }
}
