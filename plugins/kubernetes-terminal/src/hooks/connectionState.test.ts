import {
  describeCloseCode,
  describeConnectionState,
  describeExpiry,
  formatSeconds,
} from './connectionState';

const expiry = (expiresAt: string) => ({
  expiresAt,
  maxExpiresAt: '2030-01-01T08:00:00.000Z',
  canExtend: true,
  extendBySeconds: 1800,
});

describe('connectionState', () => {
  it.each([
    [42, '42 s'],
    [60, '1 min'],
    [28 * 60 + 59, '28 min'],
    [3600, '1 h'],
    [3600 + 5 * 60, '1 h 5 min'],
  ])('formats %s seconds as %s', (seconds, text) => {
    expect(formatSeconds(seconds)).toBe(text);
  });

  it('describes the time left until expiry, never below zero', () => {
    const now = Date.parse('2030-01-01T00:00:00.000Z');
    expect(describeExpiry(expiry('2030-01-01T00:28:30.000Z'), now)).toBe(
      'Expires in 28 min',
    );
    expect(describeExpiry(expiry('2030-01-01T00:00:42.000Z'), now)).toBe(
      'Expires in 42 s',
    );
    expect(describeExpiry(expiry('2029-12-31T23:59:00.000Z'), now)).toBe(
      'Expires in 0 s',
    );
  });

  it('describes provisioning with the latest step', () => {
    expect(describeConnectionState({ status: 'provisioning' })).toBe(
      'Starting session pod…',
    );
    expect(
      describeConnectionState({
        status: 'provisioning',
        message: 'pod is Running',
      }),
    ).toBe('Starting session pod… (pod is Running)');
  });

  it('describes close codes of session pods', () => {
    expect(describeCloseCode(4403, 'session-pod')).toBe(
      'You are not allowed to start a session pod for this entity',
    );
    expect(describeCloseCode(4403)).toBe(
      'You are not allowed to open a terminal on this entity',
    );
    expect(describeCloseCode(4412, 'session-pod')).toBe(
      'the session pod expired and its credentials were deleted',
    );
    expect(describeCloseCode(4429, 'session-pod')).toBe(
      'you have too many open terminal sessions',
    );
  });
});
