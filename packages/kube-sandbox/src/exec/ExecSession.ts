import { ChildProcess, spawn as spawnChild } from 'node:child_process';
import fs from 'node:fs';
import { constants as osConstants } from 'node:os';
import * as pty from '@lydell/node-pty';
import type { WebSocket } from 'ws';
import { PodRuntime } from '../pods/PodRuntime';
import { resolveInContainer } from '../pods/containerTools';
import { processEnv } from '../pods/processEnv';
import { containerMounts } from '../pods/podVolumes';
import { ObjectStore } from '../store/ObjectStore';
import { SandboxLogger } from '../types';
import {
  CLOSE,
  ERROR,
  execFailureStatus,
  frame,
  nonZeroExitStatus,
  notFoundInPathMessage,
  parseResize,
  RESIZE,
  STDERR,
  STDIN,
  STDOUT,
  SUCCESS_STATUS,
} from './channels';
import { ExecParams } from './execRequest';

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

interface Proc {
  write(data: Buffer): void;
  endInput(): void;
  resize(cols: number, rows: number): void;
  pause(): void;
  resume(): void;
  kill(signal: NodeJS.Signals): void;
}

function killGroup(pid: number | undefined, signal: NodeJS.Signals): void {
  if (!pid) return;
  try {
    // Negative pid: the whole process group, so children of the shell die with it.
    process.kill(-pid, signal);
  } catch {
    try {
      process.kill(pid, signal);
    } catch {
      // already gone
    }
  }
}

function lowestWritableChannel(params: ExecParams): number {
  if (params.stdout) return STDOUT;
  if (params.stderr) return STDERR;
  return ERROR;
}

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
      this.proc = params.tty
        ? this.spawnPty(file, env, paths.home)
        : this.spawnPipes(file, env, paths.home);
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

  private spawnPty(
    file: string,
    env: Record<string, string>,
    cwd: string,
  ): Proc {
    const term = pty.spawn(file, this.o.params.command.slice(1), {
      name: 'xterm-256color',
      cols: this.size.cols,
      rows: this.size.rows,
      cwd,
      env,
      encoding: null,
    });
    term.onData(data => this.output(STDOUT, data as unknown as Buffer));
    keepOutputToTheEnd(term, data => this.output(STDOUT, data));
    term.onExit(({ exitCode, signal }) =>
      this.exited(signal ? 128 + signal : exitCode),
    );
    return {
      write: data =>
        (term as unknown as { write(d: Buffer): void }).write(data),
      // A terminal has no half-close; ^D is what ends input on a line-disciplined PTY.
      endInput: () => term.write('\x04'),
      resize: (cols, rows) => {
        try {
          term.resize(cols, rows);
        } catch {
          // the process may just have exited
        }
      },
      pause: () => term.pause(),
      resume: () => term.resume(),
      kill: signal => killGroup(term.pid, signal),
    };
  }

  private spawnPipes(
    file: string,
    env: Record<string, string>,
    cwd: string,
  ): Proc {
    const { params } = this.o;
    const child: ChildProcess = spawnChild(file, params.command.slice(1), {
      cwd,
      env,
      argv0: params.command[0],
      stdio: [
        params.stdin ? 'pipe' : 'ignore',
        params.stdout ? 'pipe' : 'ignore',
        params.stderr ? 'pipe' : 'ignore',
      ],
      // Its own process group, so a kill reaches everything the command started.
      detached: true,
    });
    child.stdin?.on('error', () => undefined);
    child.stdout?.on('data', d => this.output(STDOUT, d));
    child.stderr?.on('data', d => this.output(STDERR, d));
    let spawnError: Error | undefined;
    child.on('error', error => {
      spawnError = error;
    });
    child.on('close', (code, signal) => {
      if (spawnError) {
        this.finish(
          execFailureStatus(
            `failed to exec in container: ${spawnError.message}`,
          ),
        );
        return;
      }
      const signalNumber = signal
        ? (osConstants.signals as Record<string, number>)[signal] ?? 9
        : 0;
      this.exited(signal ? 128 + signalNumber : code ?? 0);
    });
    return {
      write: data => child.stdin?.write(data),
      endInput: () => child.stdin?.end(),
      resize: () => undefined,
      pause: () => {
        child.stdout?.pause();
        child.stderr?.pause();
      },
      resume: () => {
        child.stdout?.resume();
        child.stderr?.resume();
      },
      kill: signal => killGroup(child.pid, signal),
    };
  }

  private exited(code: number): void {
    this.finish(
      code === 0
        ? SUCCESS_STATUS
        : nonZeroExitStatus(this.o.params.command, code),
    );
  }

  /** Writes the final Status on the error channel, then closes the socket normally, as the API server does. */
  private finish(status: unknown): void {
    if (this.finished) return;
    this.finished = true;
    this.unregister?.();
    const { ws } = this.o;
    if (ws.readyState !== ws.OPEN) return;
    ws.send(frame(ERROR, JSON.stringify(status)), { binary: true }, () => {
      if (ws.readyState === ws.OPEN) ws.close(1000);
    });
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

interface PtyInternals {
  /** The slave's path (`/dev/pts/N`). */
  _pty?: string;
  /** The master. */
  _fd?: number;
  _socket?: {
    destroy(error?: Error): unknown;
    pause(): unknown;
    read(): Buffer | string | null;
  };
  /** Set by node-pty when it learns that the child exited. */
  _boundClose?: boolean;
}

/**
 * A process's last output used to be lost now and then (the soak's `exit` without its line end),
 * most often when its client was slow: when a terminal's session leader exits, Linux hangs the
 * terminal up, and a pseudo-terminal's hangup flushes what its master had not read yet; and
 * node-pty, told the child exited, destroys a master that has not ended within 200 ms, as a paused
 * one does not. A container runtime copies a process's output to the end before it reports the
 * exit. So here, as terminal emulators do, the sandbox holds the slave open itself (no hangup
 * flush), and when the child exits it reads the master to the end (the stream's buffer, then the
 * kernel's until it is empty), hands it on in order, closes the slave and ends the master, so that
 * node-pty reports the exit at once. Relies on node-pty's internal names (`_pty`, `_fd`,
 * `_socket`, `_boundClose`), pinned by the tests in ExecSession.test.ts.
 */
function keepOutputToTheEnd(
  term: pty.IPty,
  onData: (data: Buffer) => void,
): void {
  const internals = term as unknown as PtyInternals;
  const { _pty: slavePath, _fd: fd, _socket: socket } = internals;
  if (!slavePath || typeof fd !== 'number' || !socket) {
    return;
  }
  let slave: number | undefined;
  try {
    slave = fs.openSync(slavePath, fs.constants.O_RDWR | fs.constants.O_NOCTTY);
  } catch {
    return;
  }
  const readToTheEnd = () => {
    socket.pause();
    for (let chunk = socket.read(); chunk !== null; chunk = socket.read()) {
      onData(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk));
    }
    const buffer = Buffer.alloc(64 * 1024);
    // Bounded: a terminal buffers a few pages; EAGAIN (the slave still held) or EIO: empty.
    for (let i = 0; i < 1024; i++) {
      let n: number;
      try {
        n = fs.readSync(fd, buffer, 0, buffer.length, null);
      } catch {
        break;
      }
      if (n <= 0) break;
      onData(Buffer.from(buffer.subarray(0, n)));
    }
  };
  const release = () => {
    if (slave !== undefined) {
      fs.closeSync(slave);
      slave = undefined;
    }
  };
  const destroy = socket.destroy.bind(socket);
  let ended = false;
  socket.destroy = (error?: Error) => {
    if (!ended) {
      ended = true;
      readToTheEnd();
      release();
    }
    return destroy(error);
  };
  // node-pty sets this the moment the child exits (before its 200 ms wait): end the master now.
  let boundClose = internals._boundClose;
  Object.defineProperty(internals, '_boundClose', {
    configurable: true,
    get: () => boundClose,
    set: value => {
      boundClose = value;
      if (value) socket.destroy();
    },
  });
}
