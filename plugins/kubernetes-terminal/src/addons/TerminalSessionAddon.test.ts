import type { Terminal } from '@xterm/xterm';
import { FakeWebSocket } from '../__testUtils__/FakeWebSocket';
import { TerminalSessionAddon } from './TerminalSessionAddon';

type Listener<T> = (value: T) => void;

class FakeTerminal {
  cols = 80;
  rows = 24;
  readonly written: Uint8Array[] = [];
  readonly pendingCallbacks: Array<() => void> = [];
  private readonly listeners = {
    data: new Set<Listener<string>>(),
    binary: new Set<Listener<string>>(),
    resize: new Set<Listener<{ cols: number; rows: number }>>(),
  };

  onData = (l: Listener<string>) => this.subscribe('data', l);
  onBinary = (l: Listener<string>) => this.subscribe('binary', l);
  onResize = (l: Listener<{ cols: number; rows: number }>) =>
    this.subscribe('resize', l);

  write(data: Uint8Array, callback?: () => void) {
    this.written.push(data.slice());
    if (callback) {
      this.pendingCallbacks.push(callback);
    }
  }

  /** xterm.js has parsed everything written so far. */
  process() {
    this.pendingCallbacks.splice(0).forEach(cb => cb());
  }

  type(data: string) {
    this.listeners.data.forEach(l => l(data));
  }

  typeBinary(data: string) {
    this.listeners.binary.forEach(l => l(data));
  }

  resize(cols: number, rows: number) {
    this.cols = cols;
    this.rows = rows;
    this.listeners.resize.forEach(l => l({ cols, rows }));
  }

  listenerCount() {
    return (
      this.listeners.data.size +
      this.listeners.binary.size +
      this.listeners.resize.size
    );
  }

  asTerminal() {
    return this as unknown as Terminal;
  }

  private subscribe<K extends keyof FakeTerminal['listeners']>(
    kind: K,
    listener: any,
  ) {
    this.listeners[kind].add(listener);
    return { dispose: () => this.listeners[kind].delete(listener) };
  }
}

function setup(
  options?: ConstructorParameters<typeof TerminalSessionAddon>[1],
) {
  const socket = new FakeWebSocket();
  const terminal = new FakeTerminal();
  const addon = new TerminalSessionAddon(socket.asWebSocket(), {
    pingIntervalMs: 0,
    ...options,
  });
  addon.activate(terminal.asTerminal());
  return { socket, terminal, addon };
}

describe('TerminalSessionAddon', () => {
  afterEach(() => {
    jest.useRealTimers();
  });

  it('uses array buffers and sends the size once the socket opens', () => {
    const { socket, terminal } = setup();
    expect(socket.binaryType).toBe('arraybuffer');
    expect(socket.sent).toEqual([]);

    terminal.cols = 100;
    terminal.rows = 30;
    socket.open();
    expect(socket.controlMessages()).toEqual([
      { type: 'resize', cols: 100, rows: 30 },
    ]);
  });

  it('sends the size right away when the socket is already open', () => {
    const socket = new FakeWebSocket();
    socket.open();
    const terminal = new FakeTerminal();
    new TerminalSessionAddon(socket.asWebSocket(), {
      pingIntervalMs: 0,
    }).activate(terminal.asTerminal());
    expect(socket.controlMessages()).toEqual([
      { type: 'resize', cols: 80, rows: 24 },
    ]);
  });

  it('sends every resize', () => {
    const { socket, terminal } = setup();
    socket.open();
    terminal.resize(120, 40);
    expect(socket.controlMessages()).toEqual([
      { type: 'resize', cols: 80, rows: 24 },
      { type: 'resize', cols: 120, rows: 40 },
    ]);
  });

  it('sends input as binary UTF-8 frames, keeping what was typed before the socket opened', () => {
    const { socket, terminal } = setup();
    terminal.type('l');
    expect(socket.sent).toEqual([]);
    socket.open();
    terminal.type('s ä\r');
    terminal.typeBinary('\x80\xff');
    expect(socket.input()).toBe('ls ä\r\ufffd\ufffd');
    const binary = socket.sent.filter(m => typeof m !== 'string');
    expect(Array.from(binary[binary.length - 1] as Uint8Array)).toEqual([
      0x80, 0xff,
    ]);
  });

  it('splits large input below the frame limit', () => {
    const { socket, terminal } = setup();
    socket.open();
    terminal.type('x'.repeat(100 * 1024));
    const frames = socket.sent.filter(m => typeof m !== 'string');
    expect(frames.length).toBeGreaterThan(1);
    for (const frame of frames) {
      expect((frame as Uint8Array).byteLength).toBeLessThanOrEqual(64 * 1024);
    }
    expect(socket.input()).toHaveLength(100 * 1024);
  });

  it('drops input once the socket is closing or closed', () => {
    const { socket, terminal } = setup();
    socket.open();
    socket.readyState = FakeWebSocket.CLOSING;
    expect(() => terminal.type('x')).not.toThrow();
    expect(socket.input()).toBe('');
  });

  it('writes binary output to the terminal and emits control messages', () => {
    const { socket, terminal, addon } = setup();
    const messages: unknown[] = [];
    addon.onMessage(m => messages.push(m));
    socket.open();
    socket.receiveOutput('hello');
    socket.receiveControl({ type: 'connected', shell: 'bash', protocol: 'v5' });
    expect(new TextDecoder().decode(terminal.written[0])).toBe('hello');
    expect(messages).toEqual([
      { type: 'connected', shell: 'bash', protocol: 'v5' },
    ]);
  });

  it('passes on terminated and idle messages', () => {
    const { socket, addon } = setup();
    const messages: unknown[] = [];
    addon.onMessage(m => messages.push(m));
    socket.open();
    socket.receiveControl({
      type: 'idle',
      idleSeconds: 600,
      disconnectInSeconds: 60,
    });
    socket.receiveControl({
      type: 'terminated',
      by: 'user:default/alice',
      reason: 'maintenance',
    });
    expect(messages).toEqual([
      { type: 'idle', idleSeconds: 600, disconnectInSeconds: 60 },
      { type: 'terminated', by: 'user:default/alice', reason: 'maintenance' },
    ]);
    expect(socket.closeCalls).toEqual([]);
  });

  it('passes on session pod progress and expiry messages', () => {
    const { socket, addon } = setup();
    const messages: unknown[] = [];
    addon.onMessage(m => messages.push(m));
    socket.open();
    const progress = {
      type: 'progress',
      step: 'pod-phase',
      message: 'Pending: pulling image',
    };
    const expiry = {
      type: 'expiry',
      warning: false,
      expiresAt: '2030-01-01T00:30:00.000Z',
      maxExpiresAt: '2030-01-01T08:00:00.000Z',
      canExtend: true,
      extendBySeconds: 1800,
    };
    socket.receiveControl(progress);
    socket.receiveControl(expiry);
    expect(messages).toEqual([progress, expiry]);
    expect(socket.closeCalls).toEqual([]);
  });

  it('sends extend while the socket is open', () => {
    const { socket, addon } = setup();
    expect(addon.extend()).toBe(false);
    socket.open();
    expect(addon.extend()).toBe(true);
    expect(socket.controlMessages()).toContainEqual({ type: 'extend' });
    addon.dispose();
    expect(addon.extend()).toBe(false);
  });

  it('closes with a protocol error on an unknown control message', () => {
    const { socket } = setup();
    socket.open();
    socket.receiveControl('not json');
    expect(socket.closeCalls).toEqual([
      { code: 4400, reason: 'invalid control message from the server' },
    ]);
  });

  it('acknowledges processed output after a short delay', () => {
    jest.useFakeTimers();
    const { socket, terminal } = setup({ ackDelayMs: 100 });
    socket.open();
    socket.receiveOutput('abc');
    socket.receiveOutput('de');
    expect(socket.controlMessages()).toHaveLength(1);
    terminal.process();
    expect(socket.controlMessages()).toHaveLength(1);
    jest.advanceTimersByTime(100);
    expect(socket.controlMessages()[1]).toEqual({ type: 'ack', bytes: 5 });
  });

  it('acknowledges right away once the threshold is processed', () => {
    jest.useFakeTimers();
    const { socket, terminal } = setup({ ackThresholdBytes: 1024 });
    socket.open();
    socket.receiveOutput(new Uint8Array(600));
    terminal.process();
    socket.receiveOutput(new Uint8Array(600));
    terminal.process();
    expect(socket.controlMessages()[1]).toEqual({ type: 'ack', bytes: 1200 });
    socket.receiveOutput(new Uint8Array(10));
    terminal.process();
    jest.advanceTimersByTime(1000);
    expect(socket.controlMessages()[2]).toEqual({ type: 'ack', bytes: 10 });
  });

  it('does not acknowledge output that xterm has not processed', () => {
    jest.useFakeTimers();
    const { socket } = setup();
    socket.open();
    socket.receiveOutput(new Uint8Array(200 * 1024));
    jest.advanceTimersByTime(10_000);
    expect(socket.controlMessages().filter(m => m.type === 'ack')).toEqual([]);
  });

  it('pings on an interval', () => {
    jest.useFakeTimers();
    const { socket } = setup({ pingIntervalMs: 1000 });
    socket.open();
    jest.advanceTimersByTime(2500);
    expect(
      socket.controlMessages().filter(m => m.type === 'ping'),
    ).toHaveLength(2);
  });

  it('reports the close and detaches from the terminal', () => {
    const { socket, terminal, addon } = setup();
    const closes: unknown[] = [];
    addon.onClose(e => closes.push(e));
    socket.open();
    socket.serverClose(4422, 'no shell found');
    expect(closes).toEqual([
      { code: 4422, reason: 'no shell found', wasClean: true },
    ]);
    expect(terminal.listenerCount()).toBe(0);
  });

  it('stops listening on dispose without closing the socket', () => {
    const { socket, terminal, addon } = setup();
    socket.open();
    addon.dispose();
    socket.receiveOutput('ignored');
    expect(terminal.written).toEqual([]);
    expect(terminal.listenerCount()).toBe(0);
    expect(socket.closeCalls).toEqual([]);
  });
});
