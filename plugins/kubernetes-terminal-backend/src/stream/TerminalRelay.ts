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
import WebSocket from 'ws';
import type { TerminalSession } from '../service/SessionRegistry';
import {
  ExecChannel,
  ExecRefusedError,
  type KubeStatus,
  exitCodeOf,
  isCommandNotFound,
  openExecStream,
} from './execUpstream';
import { RelayFailure } from './RelayFailure';

/** How long a started shell may stay silent before we trust that it runs and send the user's input. */
const SHELL_COMMIT_DELAY_MS = 400;
/** Input typed before a shell is confirmed is held, up to this much. */
const MAX_PENDING_INPUT_BYTES = 256 * 1024;
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
  onEnd(code: number, reason: string): void;
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
  onEnd: (reason: string) => void;
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
  private readonly browser: WebSocket;
  private readonly options: TerminalRelayOptions;
  private upstream?: WebSocket;
  private attempt = -1;
  private committed = false;
  private commitTimer?: NodeJS.Timeout;
  private pendingInput: Buffer[] = [];
  private pendingBytes = 0;
  private size?: { cols: number; rows: number };
  private unacked = 0;
  private paused = false;
  private ended = false;
  private browserAlive = true;
  private heartbeat?: NodeJS.Timeout;
  private observer?: RelayObserver;
  /** Input goes to a shell before it is known to run (sessions without a terminal). */
  private readonly early: boolean;

  constructor(options: TerminalRelayOptions) {
    this.options = options;
    this.browser = options.browser;
    this.size = options.session.initialSize;
    this.observer = options.observer;
    this.early = options.session.tty === false;
  }

  /** Sets who is told what happens in this session (before `start`). */
  observe(observer: RelayObserver) {
    this.observer = observer;
  }

  start() {
    const { session } = this.options;
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
    });
    this.browser.on('message', (data, isBinary) =>
      this.onBrowserMessage(data as Buffer, isBinary),
    );
    this.browser.on('pong', () => {
      this.browserAlive = true;
    });
    this.browser.on('close', () =>
      this.end(TerminalCloseCode.Normal, 'browser disconnected'),
    );
    this.browser.on('error', error =>
      this.end(
        TerminalCloseCode.ProtocolError,
        `browser socket error: ${error.message}`,
      ),
    );
    this.heartbeat = setInterval(
      () => this.beat(),
      this.options.heartbeatIntervalMs,
    );
    this.heartbeat.unref?.();
    void this.prepareThenShell();
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
        (channel, data) => this.onUpstreamFrame(index, channel, data),
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

  private onUpstreamFrame(attempt: number, channel: number, data: Buffer) {
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
    this.fail(
      TerminalCloseCode.UpstreamError,
      'ConnectionLost',
      'the exec stream was closed by the cluster',
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
      this.unacked = Math.max(0, this.unacked - message.bytes);
      if (this.paused && this.unacked <= TERMINAL_ACK_WINDOW_BYTES / 2) {
        this.paused = false;
        this.upstream?.resume();
      }
    } else if (message.type === 'extend') {
      this.options.onExtend?.();
    } else {
      this.send({ type: 'pong' });
    }
  }

  private forwardOutput(data: Buffer) {
    if (this.browser.readyState !== WebSocket.OPEN) {
      return;
    }
    this.browser.send(data, { binary: true });
    this.observer?.onOutput(data);
    this.unacked += data.length;
    if (!this.paused && this.unacked >= TERMINAL_ACK_WINDOW_BYTES) {
      this.paused = true;
      this.upstream?.pause();
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
      upstream.send(Buffer.concat([Buffer.of(channel), data]));
    }
  }

  private send(message: TerminalServerMessage) {
    if (this.browser.readyState === WebSocket.OPEN) {
      this.browser.send(JSON.stringify(message));
    }
  }

  private beat() {
    if (!this.browserAlive) {
      this.browser.terminate();
      this.end(TerminalCloseCode.Timeout, 'no heartbeat from the browser');
      return;
    }
    this.browserAlive = false;
    this.browser.ping();
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
    this.ended = true;
    clearTimeout(this.commitTimer);
    clearInterval(this.heartbeat);
    this.upstream?.close();
    if (
      this.browser.readyState === WebSocket.OPEN ||
      this.browser.readyState === WebSocket.CONNECTING
    ) {
      this.browser.close(code, truncateReason(reason));
    }
    this.observer?.onEnd(code, reason);
    this.options.onEnd(reason);
  }
}

/** A close frame's reason may hold at most 123 bytes of UTF-8. */
function truncateReason(reason: string): string {
  let out = reason;
  while (Buffer.byteLength(out) > 123) {
    out = `${out.slice(0, out.length - 2)}…`;
  }
  return out;
}
