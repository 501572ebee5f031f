import {
  describeEventDetails,
  formatRelativeTime,
  formatTarget,
} from './format';
import { auditEvent } from '../../__testUtils__/sessions';

describe('format', () => {
  const now = Date.parse('2024-05-01T12:00:00Z');

  it.each([
    ['2024-05-01T11:59:55Z', 'now'],
    ['2024-05-01T11:59:30Z', '30 seconds ago'],
    ['2024-05-01T11:55:00Z', '5 minutes ago'],
    ['2024-05-01T09:00:00Z', '3 hours ago'],
    ['2024-04-30T12:00:00Z', 'yesterday'],
    ['2024-05-01T14:00:00Z', 'in 2 hours'],
    ['not a date', 'not a date'],
  ])('formats %s relative to noon as %s', (iso, expected) => {
    expect(formatRelativeTime(iso, now)).toBe(expected);
  });

  it('formats targets, skipping missing parts', () => {
    expect(
      formatTarget({ cluster: 'c', namespace: 'n', pod: 'p', container: 'x' }),
    ).toBe('c/n/p/x');
    expect(formatTarget({ cluster: 'c' })).toBe('c');
  });

  it('summarizes event details', () => {
    expect(
      describeEventDetails(
        auditEvent({ type: 'resize', details: { cols: 120, rows: 40 } }),
      ),
    ).toBe('120×40');
    expect(
      describeEventDetails(
        auditEvent({
          type: 'terminate',
          details: {
            by: 'user:default/bob',
            reason: 'cleanup',
            extra: { a: 1 },
          },
        }),
      ),
    ).toBe('by: user:default/bob, reason: cleanup, extra: {"a":1}');
    expect(describeEventDetails(auditEvent({ details: undefined }))).toBe('');
  });
});
