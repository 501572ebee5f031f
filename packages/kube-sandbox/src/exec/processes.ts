import { ChildProcess, spawn as spawnChild } from 'node:child_process';
import fs from 'node:fs';
import { constants as osConstants } from 'node:os';
import * as pty from '@lydell/node-pty';
import { STDERR, STDOUT } from './channels';

/*
 * A container's process on this machine: on a real PTY (resizable) or on pipes (stdout and stderr
 * apart), in its own process group. Used by exec and by the main processes of ephemeral containers.
 */

/** A running process, as exec and attach drive it. */
export interface Proc {
  write(data: Buffer): void;
  endInput(): void;
  resize(cols: number, rows: number): void;
  pause(): void;
  resume(): void;
  kill(signal: NodeJS.Signals): void;
}

/** Where a process's output and end go. */
export interface ProcHandlers {
  output(channel: number, data: Buffer): void;
  /** The exit status, 128 + the signal's number when a signal ended it. */
  exited(code: number): void;
  /** The process could not start. */
  failed(message: string): void;
}

export function killGroup(
  pid: number | undefined,
  signal: NodeJS.Signals,
): void {
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

/** `command[0]` resolved to `file`; the rest are its arguments. Throws when it cannot start. */
export function spawnOnTerminal(
  file: string,
  command: string[],
  options: {
    cwd: string;
    env: Record<string, string>;
    size: { cols: number; rows: number };
    handlers: ProcHandlers;
  },
): Proc {
  const { handlers } = options;
  const term = pty.spawn(file, command.slice(1), {
    name: 'xterm-256color',
    cols: options.size.cols,
    rows: options.size.rows,
    cwd: options.cwd,
    env: options.env,
    encoding: null,
  });
  term.onData(data => handlers.output(STDOUT, data as unknown as Buffer));
  keepOutputToTheEnd(term, data => handlers.output(STDOUT, data));
  term.onExit(({ exitCode, signal }) =>
    handlers.exited(signal ? 128 + signal : exitCode),
  );
  return {
    write: data => (term as unknown as { write(d: Buffer): void }).write(data),
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

export function spawnOnPipes(
  file: string,
  command: string[],
  options: {
    cwd: string;
    env: Record<string, string>;
    streams: { stdin: boolean; stdout: boolean; stderr: boolean };
    handlers: ProcHandlers;
  },
): Proc {
  const { handlers, streams } = options;
  const child: ChildProcess = spawnChild(file, command.slice(1), {
    cwd: options.cwd,
    env: options.env,
    argv0: command[0],
    stdio: [
      streams.stdin ? 'pipe' : 'ignore',
      streams.stdout ? 'pipe' : 'ignore',
      streams.stderr ? 'pipe' : 'ignore',
    ],
    // Its own process group, so a kill reaches everything the command started.
    detached: true,
  });
  child.stdin?.on('error', () => undefined);
  child.stdout?.on('data', d => handlers.output(STDOUT, d));
  child.stderr?.on('data', d => handlers.output(STDERR, d));
  let spawnError: Error | undefined;
  child.on('error', error => {
    spawnError = error;
  });
  child.on('close', (code, signal) => {
    if (spawnError) {
      handlers.failed(spawnError.message);
      return;
    }
    const signalNumber = signal
      ? (osConstants.signals as Record<string, number>)[signal] ?? 9
      : 0;
    handlers.exited(signal ? 128 + signalNumber : code ?? 0);
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
