import { mockServices } from '@backstage/backend-test-utils';
import type { SessionStore } from '../database/SessionStore';
import type { SessionAudit } from './SessionAudit';
import type { CommandCapture } from '../audit/CommandCapture';
import { SessionTracker } from './SessionTracker';

function setup(options: {
  idleAfterMs: number;
  idleDisconnectAfterMs?: number;
  endFlushLimitMs?: number;
  initialSize?: { cols: number; rows: number };
}) {
  let now = 0;
  const events: any[] = [];
  const updates: any[] = [];
  const store = {
    createSession: jest.fn(async () => {}),
    updateSession: jest.fn(async (_id: string, patch: unknown) => {
      updates.push(patch);
    }),
    endSessions: jest.fn(async () => ['s1']),
  } as unknown as SessionStore;
  const audit = {
    record: (e: unknown) => events.push(e),
  } as unknown as SessionAudit;
  let commandListener: (c: {
    command: string;
    at: Date;
    uncertain?: true;
  }) => void = () => {};
  const capture: CommandCapture = {
    input: jest.fn(),
    output: jest.fn(),
    resize: jest.fn(),
    onCommand: l => {
      commandListener = l;
      return { dispose() {} };
    },
    flush: jest.fn(async () => {}),
    dispose: jest.fn(),
  };
  const relay = { notify: jest.fn(), close: jest.fn() };
  const logger = mockServices.logger.mock();
  const tracker = new SessionTracker({
    session: {
      id: 's1',
      userEntityRef: 'user:default/alice',
      entityRef: 'component:default/demo-service',
      cluster: 'sandbox',
      namespace: 'demo',
      pod: 'p',
      container: 'app',
      state: 'connecting',
      createdAt: new Date(0),
      clientIp: '127.0.0.1',
      initialSize: options.initialSize,
    },
    store,
    audit,
    logger,
    capture,
    resizeSettleMs: 100,
    now: () => now,
    ...options,
  });
  tracker.start(relay, { clusterType: 'public', instanceId: 'r1' });
  return {
    tracker,
    events,
    updates,
    relay,
    capture,
    logger,
    emitCommand: (command: string, uncertain?: true) =>
      commandListener({ command, at: new Date(now), uncertain }),
    advance: (ms: number) => {
      now += ms;
      jest.advanceTimersByTime(ms);
    },
  };
}

describe('SessionTracker', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('records connect, the command the recorder saw, the settled size and the end', async () => {
    const t = setup({ idleAfterMs: 60_000 });
    t.tracker.onInput(Buffer.from('ls\r'));
    t.emitCommand('ls');
    t.tracker.onResize(100, 30);
    t.tracker.onResize(110, 33);
    t.advance(150);
    t.tracker.onEnd(1000, 'process exited with code 0');
    await t.tracker.settled();
    expect(t.events.map(e => [e.eventType, e.command ?? e.details])).toEqual([
      ['connect', undefined],
      ['command_executed', 'ls'],
      ['resize', { cols: 110, rows: 33 }],
      ['disconnect', { code: 1000, reason: 'process exited with code 0' }],
    ]);
    expect(
      t.events.every(e => e.sessionId === 's1' && e.clientIp === '127.0.0.1'),
    ).toBe(true);
    expect(t.capture.dispose).toHaveBeenCalled();
  });

  it('records no resize to the size it connected with or last logged, and marks uncertain commands', async () => {
    const t = setup({
      idleAfterMs: 60_000,
      initialSize: { cols: 80, rows: 24 },
    });
    t.tracker.onResize(80, 24);
    t.advance(150);
    t.tracker.onResize(100, 30);
    t.advance(150);
    t.tracker.onResize(90, 20);
    t.tracker.onResize(100, 30);
    t.advance(150);
    t.emitCommand('maybe', true);
    t.tracker.onEnd(1000, 'bye');
    await t.tracker.settled();
    expect(t.events.map(e => [e.eventType, e.command ?? e.details])).toEqual([
      ['connect', { cols: 80, rows: 24 }],
      ['resize', { cols: 100, rows: 30 }],
      ['command_executed', 'maybe'],
      ['disconnect', { code: 1000, reason: 'bye' }],
    ]);
    expect(t.events[2].details).toEqual({ uncertain: true });
  });

  it("waits for the recorder's last command before the end, and says so when it never comes", async () => {
    const t = setup({ idleAfterMs: 60_000, endFlushLimitMs: 3000 });
    let flushed: () => void = () => {};
    t.capture.flush = jest.fn(
      () => new Promise<void>(resolve => (flushed = resolve)),
    );
    t.tracker.onEnd(1000, 'process exited with code 0');
    t.advance(1000);
    await Promise.resolve();
    t.emitCommand('exit');
    flushed();
    await t.tracker.settled();
    expect(t.events.map(e => e.eventType)).toEqual([
      'connect',
      'command_executed',
      'disconnect',
    ]);
    expect(t.logger.warn).not.toHaveBeenCalled();

    const stuck = setup({ idleAfterMs: 60_000, endFlushLimitMs: 3000 });
    stuck.capture.flush = jest.fn(() => new Promise<void>(() => {}));
    stuck.tracker.onEnd(1000, 'process exited with code 0');
    stuck.advance(2999);
    await Promise.resolve();
    expect(stuck.events.map(e => e.eventType)).toEqual(['connect']);
    stuck.advance(1);
    await stuck.tracker.settled();
    expect(stuck.events.map(e => e.eventType)).toEqual([
      'connect',
      'disconnect',
    ]);
    expect(stuck.capture.dispose).toHaveBeenCalled();
    expect(stuck.logger.warn).toHaveBeenCalledWith(
      expect.stringContaining(
        "the command recorder had not read the session's last output 3000 ms after it ended",
      ),
    );
  });

  it('marks a silent session idle, warns, and ends it when configured', async () => {
    const t = setup({ idleAfterMs: 1000, idleDisconnectAfterMs: 2000 });
    t.advance(1000);
    expect(t.tracker.status).toBe('idle');
    expect(t.relay.notify).toHaveBeenCalledWith({
      type: 'idle',
      idleSeconds: 1,
      disconnectInSeconds: 2,
    });
    expect(t.events.map(e => e.eventType)).toEqual(['connect', 'idle']);
    t.tracker.onInput(Buffer.from('x'));
    expect(t.tracker.status).toBe('active');
    t.advance(1000);
    expect(t.tracker.status).toBe('idle');
    t.advance(2000);
    expect(t.relay.close).toHaveBeenCalledWith(
      4411,
      'ended after 3 s without input',
    );
    await Promise.resolve();
    await t.tracker.settled();
    expect(t.updates).toEqual([
      { status: 'idle' },
      { status: 'active', lastActivityAt: expect.any(Date) },
      { status: 'idle' },
    ]);
  });

  it('never ends an idle session without an idle disconnect setting', () => {
    const t = setup({ idleAfterMs: 1000 });
    t.advance(60_000);
    expect(t.tracker.status).toBe('idle');
    expect(t.relay.close).not.toHaveBeenCalled();
  });
});
