import {
  TERMINAL_TICKET_PROTOCOL_PREFIX,
  TERMINAL_WS_PROTOCOL,
  type TerminalServerMessage,
} from '@kubernetes-terminal/backstage-plugin-kubernetes-terminal-common';
import WebSocket from 'ws';

/**
 * A test stand-in for the browser: speaks the terminal wire protocol and keeps what it received.
 */
export class TerminalClient {
  readonly messages: TerminalServerMessage[] = [];
  output = '';
  outputBytes = 0;
  closed?: { code: number; reason: string };
  private waiters: Array<() => void> = [];

  static connect(
    url: string,
    options: {
      ticket?: string;
      origin?: string;
      protocols?: string[];
      autoAck?: boolean;
    },
  ): Promise<TerminalClient> {
    const protocols = options.protocols ?? [
      TERMINAL_WS_PROTOCOL,
      `${TERMINAL_TICKET_PROTOCOL_PREFIX}${options.ticket}`,
    ];
    const ws = new WebSocket(url, protocols, {
      headers: { origin: options.origin ?? 'http://localhost:3000' },
    });
    return new Promise((resolve, reject) => {
      ws.once('open', () =>
        resolve(new TerminalClient(ws, options.autoAck ?? true)),
      );
      ws.once('unexpected-response', (_req, res) =>
        reject(new Error(`upgrade refused with HTTP ${res.statusCode}`)),
      );
      ws.once('error', reject);
    });
  }

  constructor(readonly ws: WebSocket, private readonly autoAck: boolean) {
    ws.on('message', (data: Buffer, isBinary) => {
      if (isBinary) {
        this.output += data.toString('utf8');
        this.outputBytes += data.length;
        if (this.autoAck) this.ack(data.length);
      } else {
        this.messages.push(JSON.parse(data.toString('utf8')));
      }
      this.notify();
    });
    ws.on('close', (code, reason) => {
      this.closed = { code, reason: reason.toString('utf8') };
      this.notify();
    });
  }

  type(text: string) {
    this.ws.send(Buffer.from(text, 'utf8'));
  }

  resize(cols: number, rows: number) {
    this.ws.send(JSON.stringify({ type: 'resize', cols, rows }));
  }

  ack(bytes: number) {
    this.ws.send(JSON.stringify({ type: 'ack', bytes }));
  }

  message<T extends TerminalServerMessage['type']>(type: T) {
    return this.messages.find(m => m.type === type) as
      | Extract<TerminalServerMessage, { type: T }>
      | undefined;
  }

  async waitFor(predicate: () => boolean, what: string, timeoutMs = 10_000) {
    const deadline = Date.now() + timeoutMs;
    while (!predicate()) {
      const left = deadline - Date.now();
      if (left <= 0) {
        throw new Error(
          `timed out waiting for ${what}; output so far: ${JSON.stringify(
            this.output.slice(-500),
          )}, messages: ${JSON.stringify(
            this.messages,
          )}, closed: ${JSON.stringify(this.closed)}`,
        );
      }
      await new Promise<void>(resolve => {
        const timer = setTimeout(resolve, Math.min(left, 200));
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  waitForOutput(pattern: RegExp, timeoutMs?: number) {
    return this.waitFor(
      () => pattern.test(this.output),
      `output ${pattern}`,
      timeoutMs,
    );
  }

  waitForClose(timeoutMs?: number) {
    return this.waitFor(
      () => this.closed !== undefined,
      'close',
      timeoutMs,
    ).then(() => this.closed!);
  }

  close() {
    this.ws.close();
  }

  private notify() {
    const waiters = this.waiters;
    this.waiters = [];
    waiters.forEach(w => w());
  }
}
