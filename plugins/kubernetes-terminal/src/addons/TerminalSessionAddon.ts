import type { IDisposable, ITerminalAddon, Terminal } from '@xterm/xterm';
import {
  TERMINAL_MAX_MESSAGE_BYTES,
  TerminalCloseCode,
  type TerminalClientMessage,
  type TerminalServerMessage,
} from '@kubernetes-terminal/backstage-plugin-kubernetes-terminal-common';

// WebSocket.readyState values; not read from the global so that fakes and non-browser sockets work.
const CONNECTING = 0;
const OPEN = 1;

const SERVER_MESSAGE_TYPES: ReadonlySet<string> = new Set<
  TerminalServerMessage['type']
>([
  'hello',
  'connected',
  'shell-fallback',
  'exit',
  'terminated',
  'progress',
  'expiry',
  'idle',
  'resumed',
  'error',
  'pong',
]);

/** @internal */
export interface TerminalSessionAddonOptions {
  /** Acknowledge as soon as this many output bytes are processed. Default 64 KiB. */
  ackThresholdBytes?: number;
  /** Acknowledge smaller amounts after this delay. Default 100 ms. */
  ackDelayMs?: number;
  /** Interval of `ping` control messages; 0 disables them. Default 25 s. */
  pingIntervalMs?: number;
  /**
   * Output bytes of the session the terminal already holds (a resumed session): the count this
   * socket's output goes on from. Default 0.
   */
  offset?: number;
  /** Input typed while no socket was open, sent first once this one opens. */
  heldInput?: Uint8Array[];
}

/** @internal */
export interface TerminalSocketCloseEvent {
  code: number;
  reason: string;
  wasClean: boolean;
}

/**
 * Attaches an xterm.js terminal to a kubernetes-terminal session WebSocket.
 *
 * Modelled on xterm.js's AttachAddon, extended with the session protocol of
 * `@kubernetes-terminal/backstage-plugin-kubernetes-terminal-common`: binary frames carry terminal bytes, text frames JSON
 * control messages (resize, flow-control acks, pings, session pod extensions). The addon never closes the socket on
 * dispose; the owner of the socket does.
 *
 * @internal
 */
export class TerminalSessionAddon implements ITerminalAddon {
  private readonly socket: WebSocket;
  private readonly ackThresholdBytes: number;
  private readonly ackDelayMs: number;
  private readonly pingIntervalMs: number;
  private readonly encoder = new TextEncoder();
  private readonly disposables: IDisposable[] = [];
  private readonly messageListeners = new Set<
    (message: TerminalServerMessage) => void
  >();
  private readonly closeListeners = new Set<
    (event: TerminalSocketCloseEvent) => void
  >();
  // Input typed before the socket opened; sent on open so the first keystroke is not lost.
  private pendingInput: Uint8Array[] = [];
  private unackedBytes = 0;
  /** Offset one past the last output byte handed to the terminal. */
  private receivedBytes: number;
  /** Handed to the terminal, not yet parsed by it. */
  private unparsedBytes = 0;
  private ackTimer: ReturnType<typeof setTimeout> | undefined;
  private pingTimer: ReturnType<typeof setInterval> | undefined;
  private terminal: Terminal | undefined;
  private disposed = false;

  constructor(socket: WebSocket, options: TerminalSessionAddonOptions = {}) {
    this.socket = socket;
    // Output arrives as binary frames; Blobs would need an async read and could reorder writes.
    this.socket.binaryType = 'arraybuffer';
    this.ackThresholdBytes = options.ackThresholdBytes ?? 64 * 1024;
    this.ackDelayMs = options.ackDelayMs ?? 100;
    this.pingIntervalMs = options.pingIntervalMs ?? 25_000;
    this.receivedBytes = options.offset ?? 0;
    this.pendingInput = [...(options.heldInput ?? [])];
  }

  /** Output bytes of the session handed to the terminal, from the session's first. */
  get received(): number {
    return this.receivedBytes;
  }

  /** Output bytes of the session the terminal has parsed: what its screen shows. */
  get processed(): number {
    return this.receivedBytes - this.unparsedBytes;
  }

  /** Registers a listener for control messages from the backend. */
  onMessage(listener: (message: TerminalServerMessage) => void): IDisposable {
    this.messageListeners.add(listener);
    return { dispose: () => this.messageListeners.delete(listener) };
  }

  /** Registers a listener for the close of the socket. */
  onClose(listener: (event: TerminalSocketCloseEvent) => void): IDisposable {
    this.closeListeners.add(listener);
    return { dispose: () => this.closeListeners.delete(listener) };
  }

  /**
   * Asks the backend to extend a session pod's expiry; it answers with an `expiry` message. Returns
   * false when the socket is not open.
   */
  extend(): boolean {
    return this.sendControl({ type: 'extend' });
  }

  activate(terminal: Terminal): void {
    this.terminal = terminal;
    this.disposables.push(
      addSocketListener(this.socket, 'open', () => this.handleOpen()),
      addSocketListener(this.socket, 'message', event =>
        this.handleMessage(event.data),
      ),
      addSocketListener(this.socket, 'close', event => {
        const closeEvent = {
          code: event.code,
          reason: event.reason,
          wasClean: event.wasClean,
        };
        for (const listener of [...this.closeListeners]) {
          listener(closeEvent);
        }
        this.dispose();
      }),
      terminal.onData(data => this.sendInput(this.encoder.encode(data))),
      terminal.onBinary(data => this.sendInput(binaryStringToBytes(data))),
      terminal.onResize(({ cols, rows }) =>
        this.sendControl({ type: 'resize', cols, rows }),
      ),
    );
    if (this.socket.readyState === OPEN) {
      this.handleOpen();
    }
  }

  dispose(): void {
    if (this.disposed) {
      return;
    }
    this.disposed = true;
    clearTimeout(this.ackTimer);
    clearInterval(this.pingTimer);
    for (const disposable of this.disposables) {
      disposable.dispose();
    }
    this.disposables.length = 0;
    this.pendingInput = [];
    this.messageListeners.clear();
    this.closeListeners.clear();
  }

  private handleOpen(): void {
    const terminal = this.terminal;
    if (!terminal) {
      return;
    }
    this.sendControl({
      type: 'resize',
      cols: terminal.cols,
      rows: terminal.rows,
    });
    const pending = this.pendingInput;
    this.pendingInput = [];
    for (const chunk of pending) {
      this.sendInput(chunk);
    }
    if (this.pingIntervalMs > 0 && this.pingTimer === undefined) {
      this.pingTimer = setInterval(
        () => this.sendControl({ type: 'ping' }),
        this.pingIntervalMs,
      );
    }
  }

  private handleMessage(data: unknown): void {
    if (typeof data === 'string') {
      const message = parseServerMessage(data);
      if (!message) {
        this.socket.close(
          TerminalCloseCode.ProtocolError,
          'invalid control message from the server',
        );
        return;
      }
      if (message.type === 'resumed') {
        // Output goes on from here: the bytes before it are on screen, or were lost and said so.
        this.receivedBytes = message.from;
      }
      for (const listener of [...this.messageListeners]) {
        listener(message);
      }
      return;
    }
    const bytes = toBytes(data);
    if (bytes && this.terminal) {
      this.receivedBytes += bytes.byteLength;
      this.unparsedBytes += bytes.byteLength;
      this.terminal.write(bytes, () => {
        this.unparsedBytes -= bytes.byteLength;
        this.acknowledge(bytes.byteLength);
      });
    }
  }

  /**
   * Flow control: the backend pauses the container's output while too much is unacknowledged, so
   * every processed byte must eventually be acknowledged. `bytes` is the count processed since the
   * previous ack.
   */
  private acknowledge(bytes: number): void {
    if (this.disposed) {
      return;
    }
    this.unackedBytes += bytes;
    if (this.unackedBytes >= this.ackThresholdBytes) {
      this.flushAck();
    } else if (this.ackTimer === undefined) {
      this.ackTimer = setTimeout(() => this.flushAck(), this.ackDelayMs);
    }
  }

  private flushAck(): void {
    clearTimeout(this.ackTimer);
    this.ackTimer = undefined;
    if (
      this.unackedBytes > 0 &&
      this.sendControl({ type: 'ack', bytes: this.unackedBytes })
    ) {
      this.unackedBytes = 0;
    }
  }

  private sendInput(bytes: Uint8Array): void {
    if (bytes.byteLength === 0) {
      return;
    }
    if (this.socket.readyState === CONNECTING) {
      this.pendingInput.push(bytes);
      return;
    }
    if (this.socket.readyState !== OPEN) {
      return;
    }
    // A large paste must not exceed the frame limit, which would close the session.
    const chunkSize = TERMINAL_MAX_MESSAGE_BYTES / 2;
    for (let offset = 0; offset < bytes.byteLength; offset += chunkSize) {
      this.socket.send(bytes.subarray(offset, offset + chunkSize));
    }
  }

  private sendControl(message: TerminalClientMessage): boolean {
    if (this.disposed || this.socket.readyState !== OPEN) {
      return false;
    }
    this.socket.send(JSON.stringify(message));
    return true;
  }
}

function parseServerMessage(text: string): TerminalServerMessage | undefined {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (
    typeof json !== 'object' ||
    json === null ||
    !SERVER_MESSAGE_TYPES.has((json as { type?: unknown }).type as string)
  ) {
    return undefined;
  }
  return json as TerminalServerMessage;
}

function toBytes(data: unknown): Uint8Array | undefined {
  if (ArrayBuffer.isView(data)) {
    return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  }
  // Not `instanceof`: the buffer may come from another realm (iframe, test environment).
  if (Object.prototype.toString.call(data) === '[object ArrayBuffer]') {
    return new Uint8Array(data as ArrayBuffer);
  }
  return undefined;
}

function binaryStringToBytes(data: string): Uint8Array {
  const bytes = new Uint8Array(data.length);
  for (let i = 0; i < data.length; ++i) {
    bytes[i] = data.charCodeAt(i) & 255;
  }
  return bytes;
}

function addSocketListener<K extends keyof WebSocketEventMap>(
  socket: WebSocket,
  type: K,
  handler: (event: WebSocketEventMap[K]) => void,
): IDisposable {
  socket.addEventListener(type, handler);
  return { dispose: () => socket.removeEventListener(type, handler) };
}
