import { parseAsciicast } from '@kubernetes-terminal/backstage-plugin-kubernetes-terminal-common';
import { CastTimeline, formatPlaybackTime } from './castPlayback';

const cast = parseAsciicast(
  [
    '{"version":2,"width":80,"height":24}',
    '[0.5,"o","$ "]',
    '[1.0,"o","ls"]',
    '[1.2,"m","ls"]',
    '[1.3,"o","\\r\\nfile\\r\\n"]',
    '[11.3,"r","100x30"]',
    '[11.4,"r","bad"]',
    '[12.0,"o","$ "]',
  ].join('\n'),
);

describe('CastTimeline', () => {
  it('keeps times as recorded without an idle limit', () => {
    const t = new CastTimeline(cast);
    expect(t.duration).toBe(12);
    expect(t.markers).toEqual([{ time: 1.2, label: 'ls' }]);
    expect(t.countUntil(0)).toBe(0);
    expect(t.countUntil(1.0)).toBe(2);
    expect(t.countUntil(100)).toBe(5);
    expect(t.stepsBetween(0, 3)).toEqual([
      { kind: 'output', data: '$ ls\r\nfile\r\n' },
    ]);
    expect(t.stepsBetween(3, 5)).toEqual([
      { kind: 'resize', cols: 100, rows: 30 },
      { kind: 'output', data: '$ ' },
    ]);
  });

  it('shortens pauses over the idle limit, markers included', () => {
    const t = new CastTimeline(cast, { idleLimit: 2 });
    // The 10 s pause before the resize becomes 2 s.
    expect(t.duration).toBeCloseTo(4);
    expect(t.markers[0].time).toBeCloseTo(1.2);
    expect(t.countUntil(3.31)).toBe(4);
    expect(t.countUntil(3.29)).toBe(3);
  });
});

describe('formatPlaybackTime', () => {
  it.each([
    [0, '0:00'],
    [59.9, '0:59'],
    [61, '1:01'],
    [3725, '1:02:05'],
  ])('%s s is %s', (seconds, text) => {
    expect(formatPlaybackTime(seconds)).toBe(text);
  });
});
