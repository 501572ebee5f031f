import type { LoggerService } from '@backstage/backend-plugin-api';
import { CoreV1Api } from '@kubernetes/client-node';
import type { ClusterAccess } from '../kubernetes/ClusterRegistry';
import {
  TERMINAL_ACK_WINDOW_BYTES,
  TERMINAL_PROTOCOL_VERSION,
  TerminalCloseCode,
  type TerminalCloseCodeValue,
  type TerminalServerMessage,
  parseTerminalClientMessage,
} from '@kubernetes-terminal/backstage-plugin-kubernetes-terminal-common';
import type { Socket } from 'node:net';
import WebSocket from 'ws';
import type { TerminalSession } from '../service/SessionRegistry';
import {
  ExecChannel,
  type ExecFrameSink,
  ExecRefusedError,
  type KubeStatus,
  exitCodeOf,
  isCommandNotFound,
  openExecStream,
} from './execUpstream';
import { RelayFailure } from './RelayFailure';
import { HeldOutput, type OutputBudget } from './HeldOutput';

/** How long a started shell may stay silent before we trust that it runs and send the user's input. */
const SHELL_COMMIT_DELAY_MS = 400;
/** Input typed before a shell is confirmed is held, up to this much. */
const MAX_PENDING_INPUT_BYTES = 256 * 1024;
/** The close code a peer's close frame without a status is reported with. */
const NO_STATUS_CODE = 1005;
/**
 * Output waiting in the browser socket's buffer at which the container is paused until the socket
 * drains, whatever the acknowledgement window allows.
 */
const SOCKET_BACKLOG_BYTES = 256 * 1024;
/** How long we ask the cluster whether a pod whose shell was killed is being deleted. */
const POD_CHECK_TIMEOUT_MS = 3000;

/**
 * Told what happens in a relayed session, synchronously and on the stream's hot path: an observer
 * must only queue work, never wait.
 *
 * @internal
 */
export interface RelayObserver {
  onConnected(shell: string): void;
  onInput(data: Buffer): void;
  onOutput(data: Buffer): void;
  onResize(cols: number, rows: number): void;
  /** The browser's socket was lost; the session waits for a resume. */
  onDetach?(reason: string): void;
  /** A new socket took the session over. */
  onResume?(info: RelayResumeInfo): void;
  onEnd(code: number, reason: string): void;
}

/** How a resume went. @internal */
export interface RelayResumeInfo {
  /** The offset the browser asked for. */
  offset: number;
  /** Bytes sent again, from `offset` (or what was held) to the end. */
  replayedBytes: number;
  /** Bytes the browser lacked that were no longer held. */
  missedBytes: number;
  /** How long the session was detached, in milliseconds; 0 when it was taken over while connected. */
  detachedMs: number;
}

/** @internal */
export interface TerminalRelayOptions {
  browser: WebSocket;
  session: TerminalSession;
  /** The cluster as the session reaches it (the person's credential or impersonation, or the backend's). */
  access: ClusterAccess;
  shells: string[];
  heartbeatIntervalMs: number;
  logger: LoggerService;
  observer?: RelayObserver;
  /**
   * Runs after `hello`, before the first shell is tried (a session pod is provisioned here); a
   * {@link RelayFailure} ends the session with its code. Input typed meanwhile is held.
   */
  prepare?: () => Promise<void>;
  /** The browser asked to extend the session (`extend` control message). */
  onExtend?: () => void;
  /**
   * How long a session whose browser socket is lost waits to be resumed; 0 (the default) ends it at
   * once. Only a session whose shell runs is kept.
   */
  resumeGraceMs?: number;
  /** Output held for detached sessions across the backend. */
  budget?: OutputBudget;
  /** A shell runs and a browser is attached (again), or its socket was lost. */
  onStateChange?: (state: 'connected' | 'detached') => void;
  onEnd: (reason: string) => void;
}

/**
 * The exec stream's frames for one shell attempt. The relay's hot path calls shared functions only
 * (this class's method, `flushRelay`), not closures made per session: with closures, V8 threw the
 * path's optimised code away ("weak objects" in `--trace-deopt`) when an earlier session was collected,
 * and compiled it again during the next keys (docs/benchmarks.md, "what sets the echo tails").
 */
class UpstreamSink implements ExecFrameSink {
  constructor(
    private readonly relay: TerminalRelay,
    private readonly attempt: number,
  ) {}

  onFrame(channel: number, data: Buffer) {
    this.relay.onUpstreamFrame(this.attempt, channel, data);
  }
}

function flushRelay(relay: TerminalRelay) {
  relay.flushOutput();
}

/**
 * Relays one browser terminal to a container's exec stream: tries each configured shell in turn,
 * holds the user's first keystrokes until a shell runs (without a terminal: sends them at once, and
 * again to the next shell if the first does not exist), forwards resizes, reports the exit status,
 * and pauses the container's output while the browser has not acknowledged enough of it.
 *
 * @internal
 */
export class TerminalRelay {
  private browser?: WebSocket;
  /** Removes the listeners of the current socket. */
  private unbindBrowser?: () => void;
  private readonly options: TerminalRelayOptions;
  private upstream?: WebSocket;
  private attempt = -1;
  private committed = false;
  private commitTimer?: NodeJS.Timeout;
  private pendingInput: Buffer[] = [];
  private pendingBytes = 0;
  /** Output of this tick not yet sent (see `forwardOutput`). */
  private outbox: Buffer[] = [];
  private size?: { cols: number; rows: number };
  private readonly output: HeldOutput;
  private paused = false;
  /** The browser's socket while it has too much waiting to be sent (see `flowControl`). */
  private backlogged?: Socket;
  private detachedAt?: number;
  private graceTimer?: NodeJS.Timeout;
  private ended = false;
  private browserAlive = true;
  private heartbeat?: NodeJS.Timeout;
  private observer?: RelayObserver;
  /** Input goes to a shell before it is known to run (sessions without a terminal). */
  private readonly early: boolean;

  constructor(options: TerminalRelayOptions) {
    this.options = options;
    this.browser = options.browser;
    this.output = new HeldOutput(options.budget);
    this.size = options.session.initialSize;
    this.observer = options.observer;
    this.early = options.session.tty === false;
  }

  /** Sets who is told what happens in this session (before `start`). */
  observe(observer: RelayObserver) {
    this.observer = observer;
  }

  start() {
    this.sendHello();
    this.bindBrowser(this.browser!);
    this.heartbeat = setInterval(
      () => this.beat(),
      this.options.heartbeatIntervalMs,
    );
    this.heartbeat.unref?.();
    void this.prepareThenShell();
  }

  private sendHello() {
    const { session, resumeGraceMs = 0 } = this.options;
    this.send({
      type: 'hello',
      version: TERMINAL_PROTOCOL_VERSION,
      sessionId: session.id,
      target: {
        cluster: session.cluster,
        namespace: session.namespace,
        pod: session.pod,
        container: session.container,
      },
      resumeGraceSeconds: Math.round(resumeGraceMs / 1000),
    });
  }

  private bindBrowser(ws: WebSocket) {
    const onMessage = (data: WebSocket.RawData, isBinary: boolean) =>
      this.onBrowserMessage(data as Buffer, isBinary);
    const onPong = () => {
      this.browserAlive = true;
    };
    const onClose = (code: number) =>
      this.onBrowserGone(ws, {
        // A close frame with 1000 or without a code is the client's choice; 1001 (the page went
        // away: reload, navigation) and 1006 (no close frame: the network) are not.
        ends: code === TerminalCloseCode.Normal || code === NO_STATUS_CODE,
        code: TerminalCloseCode.Normal,
        reason: 'browser disconnected',
      });
    // ws reports a peer breaking the protocol (a bad frame, one too big) as an error, not a lost
    // network: such a client does not get its session kept.
    const onError = (error: Error) =>
      this.onBrowserGone(ws, {
        ends: true,
        code: TerminalCloseCode.ProtocolError,
        reason: `browser socket error: ${error.message}`,
      });
    ws.on('message', onMessage);
    ws.on('pong', onPong);
    ws.on('close', onClose);
    ws.on('error', onError);
    this.unbindBrowser = () => {
      this.backlogged = undefined;
      ws.off('message', onMessage);
      ws.off('pong', onPong);
      ws.off('close', onClose);
      ws.off('error', onError);
    };
  }

  /**
   * The browser's socket is gone. Closed on purpose (code 1000: Disconnect, another target), broken
   * by the client (`ends`), or before a shell runs, the session ends; lost otherwise (network,
   * reload, sleep), it is detached and waits for a resume for the grace period.
   */
  private onBrowserGone(
    ws: WebSocket,
    how: { ends?: boolean; code: TerminalCloseCodeValue; reason: string },
  ) {
    if (this.ended || ws !== this.browser) {
      return;
    }
    this.flushOutput();
    const { ends = false, code, reason } = how;
    const graceMs = this.options.resumeGraceMs ?? 0;
    if (ends || graceMs <= 0 || !this.committed) {
      this.end(code, reason);
      return;
    }
    this.unbindBrowser?.();
    this.unbindBrowser = undefined;
    this.browser = undefined;
    this.detachedAt = Date.now();
    this.graceTimer = setTimeout(() => {
      this.end(
        TerminalCloseCode.Timeout,
        `the browser did not come back within ${describeSeconds(
          graceMs / 1000,
        )} of losing its connection`,
      );
    }, graceMs);
    this.graceTimer.unref?.();
    this.observer?.onDetach?.(reason);
    this.options.onStateChange?.('detached');
    this.flowControl();
  }

  /** Whether a browser may resume this session now (its shell runs, it has not ended). */
  get resumable(): boolean {
    return this.committed && !this.ended;
  }

  /**
   * Takes the session over on a new socket: a socket still attached is closed (`Replaced`), the
   * browser is told where its output resumes (`resumed`), then sent what its terminal lacks from
   * `offset` on, and the shell's output flows again.
   */
  resume(ws: WebSocket, offset: number) {
    if (!this.resumable) {
      ws.close(
        TerminalCloseCode.Unauthorized,
        'session is not waiting for a connection',
      );
      return;
    }
    this.flushOutput();
    const previous = this.browser;
    this.unbindBrowser?.();
    if (
      previous &&
      (previous.readyState === WebSocket.OPEN ||
        previous.readyState === WebSocket.CONNECTING)
    ) {
      previous.close(
        TerminalCloseCode.Replaced,
        'the session was resumed on another connection',
      );
    }
    clearTimeout(this.graceTimer);
    const detachedMs =
      this.detachedAt === undefined ? 0 : Date.now() - this.detachedAt;
    this.detachedAt = undefined;
    this.browser = ws;
    this.browserAlive = true;
    this.bindBrowser(ws);
    const held = this.output.since(offset);
    this.sendHello();
    this.send({ type: 'resumed', from: held.from, missed: held.missed });
    this.send({
      type: 'connected',
      shell: this.options.session.shell ?? '',
      protocol: this.upstream?.protocol ?? '',
    });
    for (const chunk of held.chunks) {
      ws.send(chunk, { binary: true });
    }
    this.observer?.onResume?.({
      offset,
      replayedBytes: held.bytes,
      missedBytes: held.missed,
      detachedMs,
    });
    this.options.onStateChange?.('connected');
    this.flowControl();
  }

  private async prepareThenShell() {
    if (this.options.prepare) {
      try {
        await this.options.prepare();
      } catch (error) {
        if (error instanceof RelayFailure) {
          this.fail(error.code, error.reason, error.message);
        } else {
          this.fail(
            TerminalCloseCode.UpstreamError,
            'UpstreamError',
            error instanceof Error ? error.message : String(error),
          );
        }
        return;
      }
    }
    if (!this.ended) {
      void this.tryShell(0);
    }
  }

  /** Ends the session from outside (shutdown, termination). */
  close(code: TerminalCloseCodeValue, reason: string) {
    this.end(code, reason);
  }

  /**
   * Stops relaying the container: its output and its end are ignored from now on, so that deleting
   * the pod (session pod expiry) does not end the session as an ordinary exit before `close`.
   */
  detachUpstream() {
    this.attempt = -2;
    clearTimeout(this.commitTimer);
    const upstream = this.upstream;
    this.upstream = undefined;
    upstream?.close();
  }

  /** Someone with permission ended the session: the user's terminal says who. */
  terminate(by: string, reason?: string) {
    this.send({ type: 'terminated', by, reason });
    this.end(
      TerminalCloseCode.Terminated,
      `terminated by ${by}${reason ? `: ${reason}` : ''}`,
    );
  }

  /** Sends a control message to the browser (idle warnings and the like). */
  notify(message: TerminalServerMessage) {
    this.send(message);
  }

  private async tryShell(index: number) {
    const { session } = this.options;
    const kubeConfig = this.options.access.kubeConfig;
    this.attempt = index;
    // A debug session attaches to its debug container's own shell: there is nothing to try next.
    const attachTo =
      session.kind === 'debug' ? session.debugContainer : undefined;
    const shells = attachTo ? [this.shellName(0)] : this.options.shells;
    const shell = shells[index];
    if (attachTo && shell === undefined) {
      this.fail(
        TerminalCloseCode.DebugContainerFailed,
        'DebugContainerFailed',
        `debug container ${attachTo} could not be attached to`,
      );
      return;
    }
    if (shell === undefined) {
      this.fail(
        TerminalCloseCode.NoShell,
        'NoShell',
        `container '${session.container}' has none of the shells ${shells.join(
          ', ',
        )}`,
      );
      return;
    }
    let upstream: WebSocket;
    try {
      upstream = await openExecStream(
        kubeConfig,
        {
          namespace: session.namespace,
          pod: session.pod,
          container: attachTo ?? session.container,
          command: attachTo ? [] : [shell],
          tty: session.tty !== false,
          attach: Boolean(attachTo),
        },
        new UpstreamSink(this, index),
      );
    } catch (error) {
      this.onExecRefused(error);
      return;
    }
    if (this.ended || this.attempt !== index) {
      upstream.close();
      return;
    }
    this.upstream = upstream;
    upstream.on('close', () => this.onUpstreamClose(index));
    upstream.on('error', error =>
      this.options.logger.warn(
        `exec stream error in session ${session.id}: ${error.message}`,
      ),
    );
    this.sendResize();
    // Without a terminal no prompt comes to wait for: input goes to the shell straight away, and to
    // the next shell as well if this one does not exist.
    for (const chunk of this.early ? this.pendingInput : []) {
      this.sendUpstream(ExecChannel.Stdin, chunk);
    }
    this.commitTimer = setTimeout(
      () => this.commit(shell),
      SHELL_COMMIT_DELAY_MS,
    );
  }

  private onExecRefused(error: unknown) {
    if (error instanceof ExecRefusedError) {
      const message = error.message;
      if (error.httpStatus === 403) {
        // The cluster's RBAC, not the portal's permissions: say whose word it is.
        this.fail(
          TerminalCloseCode.Forbidden,
          'Forbidden',
          `the cluster refused: ${message}`,
        );
      } else if (
        error.httpStatus === 404 ||
        /not valid for pod|not found/i.test(message)
      ) {
        this.fail(TerminalCloseCode.NotFound, 'NotFound', message);
      } else {
        this.fail(TerminalCloseCode.UpstreamError, 'UpstreamError', message);
      }
      return;
    }
    this.fail(
      TerminalCloseCode.UpstreamError,
      'UpstreamError',
      error instanceof Error ? error.message : String(error),
    );
  }

  /** A frame from the exec stream of shell attempt `attempt` (see {@link UpstreamSink}). */
  onUpstreamFrame(attempt: number, channel: number, data: Buffer) {
    if (this.ended || attempt !== this.attempt) {
      return;
    }
    if (channel === ExecChannel.Stdout || channel === ExecChannel.Stderr) {
      if (data.length === 0) {
        return;
      }
      this.commit(this.shellName(attempt));
      this.forwardOutput(data);
      return;
    }
    if (channel === ExecChannel.Status) {
      this.onStatus(attempt, data);
    }
  }

  private onStatus(attempt: number, data: Buffer) {
    let status: KubeStatus;
    try {
      status = JSON.parse(data.toString('utf8'));
    } catch {
      this.fail(
        TerminalCloseCode.UpstreamError,
        'UpstreamError',
        'unreadable exec status',
      );
      return;
    }
    if (!this.committed && isCommandNotFound(status)) {
      const { shells } = this.options;
      clearTimeout(this.commitTimer);
      const failed = this.upstream;
      this.upstream = undefined;
      failed?.close();
      if (shells[attempt + 1] !== undefined) {
        this.send({
          type: 'shell-fallback',
          tried: shells[attempt],
          next: shells[attempt + 1],
          reason: status.message ?? 'not found',
        });
      }
      void this.tryShell(attempt + 1);
      return;
    }
    const code = exitCodeOf(status);
    if (code === undefined) {
      this.fail(
        TerminalCloseCode.UpstreamError,
        'UpstreamError',
        status.message ?? 'the exec stream failed',
      );
      return;
    }
    if (code >= 128) {
      // Killed by a signal: a pod being deleted kills its processes; say so rather than "exited".
      this.attempt = -2;
      void this.podGone().then(gone => {
        if (this.ended) return;
        if (gone) {
          const { namespace, pod } = this.options.session;
          this.fail(
            TerminalCloseCode.NotFound,
            'PodDeleted',
            `pod ${namespace}/${pod} was deleted`,
          );
          return;
        }
        this.send({ type: 'exit', code });
        this.end(TerminalCloseCode.Normal, `process exited with code ${code}`);
      });
      return;
    }
    this.send({ type: 'exit', code });
    this.end(TerminalCloseCode.Normal, `process exited with code ${code}`);
  }

  /** Whether the session's pod is gone or being deleted; false when the cluster cannot tell in time. */
  private async podGone(): Promise<boolean> {
    const { namespace, pod } = this.options.session;
    let timer: NodeJS.Timeout | undefined;
    try {
      const api = this.options.access.api(CoreV1Api);
      const found = await Promise.race([
        api.readNamespacedPod({ name: pod, namespace }),
        new Promise<never>((_, reject) => {
          timer = setTimeout(
            () => reject(new Error('timeout')),
            POD_CHECK_TIMEOUT_MS,
          );
        }),
      ]);
      return Boolean(found.metadata?.deletionTimestamp);
    } catch (error) {
      return (error as { code?: number }).code === 404;
    } finally {
      clearTimeout(timer);
    }
  }

  private onUpstreamClose(attempt: number) {
    if (this.ended || attempt !== this.attempt) {
      return;
    }
    const closedByCluster = 'the exec stream was closed by the cluster';
    const { unreachable } = this.options.access;
    if (!unreachable) {
      this.fail(
        TerminalCloseCode.UpstreamError,
        'ConnectionLost',
        closedByCluster,
      );
      return;
    }
    // Through an agent: a stream lost with its tunnel says so, rather than blaming the cluster.
    void unreachable().then(
      why => {
        if (this.ended) return;
        this.fail(
          TerminalCloseCode.UpstreamError,
          'ConnectionLost',
          why ?? closedByCluster,
        );
      },
      () => {
        if (!this.ended) {
          this.fail(
            TerminalCloseCode.UpstreamError,
            'ConnectionLost',
            closedByCluster,
          );
        }
      },
    );
  }

  /** What the status line says runs: the shell tried, or the debug container attached to. */
  private shellName(attempt: number): string {
    const { session } = this.options;
    return session.kind === 'debug' && session.debugContainer
      ? `debug container ${session.debugContainer}`
      : this.options.shells[attempt];
  }

  private commit(shell: string) {
    if (this.committed || this.ended) {
      return;
    }
    this.committed = true;
    clearTimeout(this.commitTimer);
    this.options.session.shell = shell;
    this.send({
      type: 'connected',
      shell,
      protocol: this.upstream?.protocol ?? '',
    });
    this.observer?.onConnected(shell);
    this.options.onStateChange?.('connected');
    for (const chunk of this.pendingInput) {
      if (!this.early) this.sendUpstream(ExecChannel.Stdin, chunk);
      this.observer?.onInput(chunk);
    }
    this.pendingInput = [];
    this.pendingBytes = 0;
  }

  private onBrowserMessage(data: Buffer, isBinary: boolean) {
    if (this.ended) {
      return;
    }
    if (isBinary) {
      if (this.committed) {
        this.sendUpstream(ExecChannel.Stdin, data);
        this.observer?.onInput(data);
        return;
      }
      this.pendingBytes += data.length;
      if (this.pendingBytes > MAX_PENDING_INPUT_BYTES) {
        this.fail(
          TerminalCloseCode.ProtocolError,
          'ProtocolError',
          'too much input before the shell started',
        );
        return;
      }
      const copy = Buffer.from(data);
      this.pendingInput.push(copy);
      if (this.early) this.sendUpstream(ExecChannel.Stdin, copy);
      return;
    }
    const parsed = parseTerminalClientMessage(data.toString('utf8'));
    if (!parsed.ok) {
      this.fail(TerminalCloseCode.ProtocolError, 'ProtocolError', parsed.error);
      return;
    }
    const message = parsed.message;
    if (message.type === 'resize') {
      this.size = { cols: message.cols, rows: message.rows };
      this.sendResize();
      this.observer?.onResize(message.cols, message.rows);
    } else if (message.type === 'ack') {
      this.output.ack(message.bytes);
      this.flowControl();
    } else if (message.type === 'extend') {
      this.options.onExtend?.();
    } else {
      this.send({ type: 'pong' });
    }
  }

  /**
   * Sends the shell's output to the browser and holds it until acknowledged; records it whether or
   * not a browser is attached, so the recording and the audit go on without a gap while detached.
   */
  private forwardOutput(data: Buffer) {
    // The frames of one read from the cluster go to the browser in one write at the end of the tick,
    // instead of one write per frame (a terminal's output comes in frames of at most a few KiB).
    if (this.outbox.length === 0) process.nextTick(flushRelay, this);
    this.outbox.push(data);
  }

  /**
   * Sends what `forwardOutput` gathered, as they came (no copy: a copy per byte costs the collector
   * more than a frame header); runs before anything else is sent, so nothing overtakes it.
   */
  flushOutput() {
    const chunks = this.outbox;
    if (chunks.length === 0) return;
    this.outbox = [];
    const browser =
      this.browser?.readyState === WebSocket.OPEN ? this.browser : undefined;
    const socket = socketOf(browser);
    socket?.cork();
    for (const data of chunks) {
      this.output.push(data);
      browser?.send(data, { binary: true });
    }
    socket?.uncork();
    // The recorder and the recording see the output once it is on its way to the browser: their
    // work is not on the echo's path.
    for (const data of chunks) {
      this.observer?.onOutput(data);
    }
    if (!this.paused) this.flowControl();
  }

  /**
   * Pauses the container's output while the browser has a full window unacknowledged (a detached
   * session's is never acknowledged, so it holds at most that), while the browser's socket has more
   * waiting to be sent than it should (until it drains: output then waits in the cluster, not in
   * this process's memory), or while detached sessions hold the whole backend's budget; resumes it at
   * half a window with the socket drained.
   */
  private flowControl() {
    const unacked = this.output.unacked;
    const detached = this.browser === undefined;
    const socket = socketOf(this.browser);
    if (
      socket &&
      !this.backlogged &&
      socket.writableLength >= SOCKET_BACKLOG_BYTES
    ) {
      this.backlogged = socket;
      socket.once('drain', () => {
        if (this.backlogged !== socket) return;
        this.backlogged = undefined;
        this.flowControl();
      });
    }
    if (!this.paused) {
      if (
        unacked >= TERMINAL_ACK_WINDOW_BYTES ||
        this.backlogged ||
        (detached && this.options.budget?.exhausted)
      ) {
        this.paused = true;
        this.upstream?.pause();
      }
    } else if (
      !detached &&
      unacked <= TERMINAL_ACK_WINDOW_BYTES / 2 &&
      !this.backlogged &&
      !this.ended
    ) {
      this.paused = false;
      this.upstream?.resume();
    }
  }

  private sendResize() {
    if (this.size && this.options.session.tty !== false) {
      this.sendUpstream(
        ExecChannel.Resize,
        Buffer.from(
          JSON.stringify({ Width: this.size.cols, Height: this.size.rows }),
        ),
      );
    }
  }

  private sendUpstream(channel: number, data: Buffer) {
    const upstream = this.upstream;
    if (upstream?.readyState === WebSocket.OPEN) {
      const frame = Buffer.allocUnsafe(data.length + 1);
      frame[0] = channel;
      data.copy(frame, 1);
      upstream.send(frame);
    }
  }

  private send(message: TerminalServerMessage) {
    this.flushOutput();
    if (this.browser?.readyState === WebSocket.OPEN) {
      this.browser.send(JSON.stringify(message));
    }
  }

  private beat() {
    const browser = this.browser;
    if (browser && !this.browserAlive) {
      browser.terminate();
      this.onBrowserGone(browser, {
        code: TerminalCloseCode.Timeout,
        reason: 'no heartbeat from the browser',
      });
      if (this.ended) return;
    } else if (browser) {
      this.browserAlive = false;
      browser.ping();
    }
    if (this.upstream?.readyState === WebSocket.OPEN) {
      this.upstream.ping();
    }
  }

  private fail(code: TerminalCloseCodeValue, reason: string, message: string) {
    this.send({ type: 'error', reason, message });
    this.end(code, message);
  }

  private end(code: TerminalCloseCodeValue, reason: string) {
    if (this.ended) {
      return;
    }
    this.flushOutput();
    this.ended = true;
    clearTimeout(this.commitTimer);
    clearTimeout(this.graceTimer);
    clearInterval(this.heartbeat);
    this.upstream?.close();
    this.output.release();
    const browser = this.browser;
    if (
      browser &&
      (browser.readyState === WebSocket.OPEN ||
        browser.readyState === WebSocket.CONNECTING)
    ) {
      browser.close(code, truncateReason(reason));
    }
    this.observer?.onEnd(code, reason);
    this.options.onEnd(reason);
  }
}

function describeSeconds(seconds: number): string {
  return seconds < 120
    ? `${Math.round(seconds)} s`
    : `${Math.round(seconds / 60)} min`;
}

/** A close frame's reason may hold at most 123 bytes of UTF-8. */
function truncateReason(reason: string): string {
  let out = reason;
  while (Buffer.byteLength(out) > 123) {
    out = `${out.slice(0, out.length - 2)}…`;
  }
  return out;
}

/** The socket ws writes a browser's frames to (ws has no cork nor drain of its own). */
function socketOf(ws: WebSocket | undefined): Socket | undefined {
  return (ws as unknown as { _socket?: Socket } | undefined)?._socket;
}
