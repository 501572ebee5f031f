import { humanSpan } from './podStatus';

describe('humanSpan', () => {
  it('says a span in the unit a person reads at a glance', () => {
    expect(
      [
        0,
        45_000,
        89_000,
        29 * 60_000 + 40_000,
        119 * 60_000,
        8 * 3600_000,
        7.5 * 3600_000,
        -5000,
      ].map(humanSpan),
    ).toEqual([
      '0 s',
      '45 s',
      '89 s',
      '30 min',
      '119 min',
      '8 h',
      '7 h 30 min',
      '0 s',
    ]);
  });
});
