import { mockServices } from '@backstage/backend-test-utils';
import { ConflictError } from '@backstage/errors';
import type { SessionPodExpiryState } from './podStatus';
import { SessionPodLifetime } from './SessionPodLifetime';
import { SessionPodCapError } from './SessionPodObjects';

const T0 = Date.parse('2026-03-01T10:00:00.000Z');
const at = (ms: number) => new Date(T0 + ms);

function setup(initial: SessionPodExpiryState) {
  let stored: SessionPodExpiryState | undefined = initial;
  const relay = {
    notify: jest.fn(),
    close: jest.fn(),
    detachUpstream: jest.fn(),
  };
  const record = jest.fn();
  const backend = {
    currentExpiry: jest.fn(async () => stored),
    expire: jest.fn(async () => {
      stored = undefined;
    }),
    extend: jest.fn(async (): Promise<any> => {
      throw new ConflictError('not in this test');
    }),
  };
  const lifetime = new SessionPodLifetime({
    backend,
    config: { warningBeforeMs: 5 * 60_000, extendByMs: 30 * 60_000 },
    relay,
    record,
    logger: mockServices.logger.mock(),
    now: Date.now,
  });
  const expiries = () =>
    relay.notify.mock.calls.map(([m]) => m).filter(m => m.type === 'expiry');
  return {
    lifetime,
    relay,
    record,
    backend,
    expiries,
    setStored: (s: SessionPodExpiryState | undefined) => {
      stored = s;
    },
  };
}

describe('SessionPodLifetime', () => {
  beforeEach(() => {
    jest.useFakeTimers({ now: T0 });
  });
  afterEach(() => {
    jest.useRealTimers();
  });

  it('tells the expiry, warns every minute from five minutes before, then expires', async () => {
    const t = setup({
      expiresAt: at(30 * 60_000),
      maxExpiresAt: at(8 * 3600_000),
    });
    t.lifetime.start({
      expiresAt: at(30 * 60_000),
      maxExpiresAt: at(8 * 3600_000),
    });
    expect(t.expiries()).toEqual([
      {
        type: 'expiry',
        warning: false,
        expiresAt: at(30 * 60_000).toISOString(),
        maxExpiresAt: at(8 * 3600_000).toISOString(),
        canExtend: true,
        extendBySeconds: 1800,
      },
    ]);
    await jest.advanceTimersByTimeAsync(25 * 60_000 - 1);
    expect(t.expiries()).toHaveLength(1);
    await jest.advanceTimersByTimeAsync(1);
    await jest.advanceTimersByTimeAsync(4 * 60_000);
    expect(t.expiries().map(m => m.warning)).toEqual([
      false,
      true,
      true,
      true,
      true,
      true,
    ]);
    expect(t.backend.expire).not.toHaveBeenCalled();
    await jest.advanceTimersByTimeAsync(60_000);
    expect(t.backend.expire).toHaveBeenCalledTimes(1);
    expect(t.relay.detachUpstream).toHaveBeenCalled();
    expect(t.record).toHaveBeenCalledWith({
      eventType: 'expire',
      details: { expiresAt: at(30 * 60_000).toISOString() },
    });
    expect(t.relay.close).toHaveBeenCalledWith(
      4412,
      'the session pod expired; its objects were deleted',
    );
  });

  it('follows an extension made elsewhere instead of expiring', async () => {
    const t = setup({ expiresAt: at(10 * 60_000), maxExpiresAt: at(3600_000) });
    t.lifetime.start({
      expiresAt: at(10 * 60_000),
      maxExpiresAt: at(3600_000),
    });
    await jest.advanceTimersByTimeAsync(6 * 60_000);
    expect(t.expiries().at(-1)!.warning).toBe(true);
    // Another replica extended the pod: the next check sees it and lifts the warning.
    t.setStored({ expiresAt: at(40 * 60_000), maxExpiresAt: at(3600_000) });
    await jest.advanceTimersByTimeAsync(60_000);
    expect(t.expiries().at(-1)).toMatchObject({
      warning: false,
      expiresAt: at(40 * 60_000).toISOString(),
    });
    await jest.advanceTimersByTimeAsync(10 * 60_000);
    expect(t.backend.expire).not.toHaveBeenCalled();
    expect(t.relay.close).not.toHaveBeenCalled();
    t.lifetime.stop();
  });

  it('answers an extension at the cap with the current expiry', async () => {
    const state = { expiresAt: at(3600_000), maxExpiresAt: at(3600_000) };
    const t = setup(state);
    t.backend.extend.mockRejectedValue(
      new SessionPodCapError('at the cap', state),
    );
    t.lifetime.start(state);
    await t.lifetime.extend();
    expect(t.expiries().map(m => m.canExtend)).toEqual([false, false]);
    t.lifetime.stop();
  });

  it('ends the session when the pod disappears early', async () => {
    const t = setup({ expiresAt: at(30 * 60_000), maxExpiresAt: at(3600_000) });
    t.lifetime.start({
      expiresAt: at(30 * 60_000),
      maxExpiresAt: at(3600_000),
    });
    t.setStored(undefined);
    await jest.advanceTimersByTimeAsync(25 * 60_000);
    expect(t.relay.close).toHaveBeenCalledWith(
      4412,
      'the session pod was deleted before it expired',
    );
    expect(t.record).toHaveBeenCalledWith({
      eventType: 'expire',
      details: { expiresAt: at(30 * 60_000).toISOString(), deletedEarly: true },
    });
  });
});
