/**
 * A WebSocket stand-in for tests: records what is sent and lets the test play the server.
 *
 * @internal
 */
export class FakeWebSocket extends EventTarget {
  static readonly CONNECTING = 0;
  static readonly OPEN = 1;
  static readonly CLOSING = 2;
  static readonly CLOSED = 3;

  readyState = FakeWebSocket.CONNECTING;
  binaryType: BinaryType = 'blob';
  readonly sent: Array<string | Uint8Array> = [];
  readonly closeCalls: Array<{ code?: number; reason?: string }> = [];

  constructor(
    readonly url: string = 'ws://localhost/stream',
    readonly protocols: string[] = [],
  ) {
    super();
  }

  send(data: string | ArrayBufferView | ArrayBuffer) {
    if (this.readyState !== FakeWebSocket.OPEN) {
      throw new Error(`send in readyState ${this.readyState}`);
    }
    if (typeof data === 'string') {
      this.sent.push(data);
    } else if (ArrayBuffer.isView(data)) {
      this.sent.push(
        new Uint8Array(data.buffer, data.byteOffset, data.byteLength).slice(),
      );
    } else {
      this.sent.push(new Uint8Array(data).slice());
    }
  }

  close(code?: number, reason?: string) {
    this.closeCalls.push({ code, reason });
    if (this.readyState >= FakeWebSocket.CLOSING) {
      return;
    }
    this.serverClose(code ?? 1005, reason ?? '');
  }

  /** The server accepts the connection. */
  open() {
    this.readyState = FakeWebSocket.OPEN;
    this.dispatchEvent(new Event('open'));
  }

  /** The server sends a control message. */
  receiveControl(message: object | string) {
    const data =
      typeof message === 'string' ? message : JSON.stringify(message);
    this.dispatchEvent(new MessageEvent('message', { data }));
  }

  /** The server sends terminal output. */
  receiveOutput(output: string | Uint8Array) {
    const bytes =
      typeof output === 'string' ? new TextEncoder().encode(output) : output;
    const buffer = new ArrayBuffer(bytes.byteLength);
    new Uint8Array(buffer).set(bytes);
    this.dispatchEvent(new MessageEvent('message', { data: buffer }));
  }

  /** The connection closes with the given code and reason. */
  serverClose(code: number, reason = '') {
    this.readyState = FakeWebSocket.CLOSED;
    const event = new Event('close') as Event & {
      code: number;
      reason: string;
      wasClean: boolean;
    };
    Object.assign(event, { code, reason, wasClean: code !== 1006 });
    this.dispatchEvent(event);
  }

  /** Control messages sent so far, parsed. */
  controlMessages(): Array<Record<string, unknown>> {
    return this.sent
      .filter((m): m is string => typeof m === 'string')
      .map(m => JSON.parse(m));
  }

  /** Terminal input sent so far, decoded. */
  input(): string {
    const decoder = new TextDecoder();
    return this.sent
      .filter((m): m is Uint8Array => typeof m !== 'string')
      .map(m => decoder.decode(m))
      .join('');
  }

  asWebSocket(): WebSocket {
    return this as unknown as WebSocket;
  }
}
