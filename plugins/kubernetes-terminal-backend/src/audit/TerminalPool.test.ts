import type { Terminal } from '@xterm/headless';
import { TerminalPool } from './TerminalPool';

const size = { cols: 80, rows: 24, scrollback: 100 };

/** A returned terminal reaches the free list once xterm has parsed what was queued: a tick later. */
const settled = () => new Promise(resolve => setTimeout(resolve, 10));

describe('TerminalPool', () => {
  let clock = 0;
  const pools: TerminalPool[] = [];
  const pool = (options: ConstructorParameters<typeof TerminalPool>[0]) => {
    const created = new TerminalPool({ now: () => clock, ...options });
    pools.push(created);
    return created;
  };
  const lend = (p: TerminalPool, n: number) =>
    Array.from({ length: n }, () => p.acquire(size));
  afterEach(() => {
    pools.splice(0).forEach(p => p.clear());
    clock = 0;
  });

  it('keeps as many terminals as were lent at once, beyond its minimum', async () => {
    const p = pool({ minFree: 4, windowMs: 1000 });
    const terminals = lend(p, 10);
    expect(p.lentCount).toBe(10);
    terminals.forEach(t => p.release(t));
    await settled();
    expect(p.freeCount).toBe(10);
    expect(p.lentCount).toBe(0);

    // The same ten come back: nothing new is created.
    const again = lend(p, 10);
    expect(new Set(again)).toEqual(new Set(terminals));
    expect(p.freeCount).toBe(0);
    again.forEach(t => p.release(t));
    await settled();
    expect(p.freeCount).toBe(10);
  });

  it('never keeps more than its maximum', async () => {
    const p = pool({ minFree: 2, maxTotal: 6 });
    const terminals = lend(p, 9);
    const disposed = terminals.map(t => jest.spyOn(t, 'dispose'));
    terminals.forEach(t => p.release(t));
    await settled();
    expect(p.freeCount).toBe(6);
    expect(disposed.filter(d => d.mock.calls.length > 0)).toHaveLength(3);
  });

  it('drops what the last two windows did not need, down to its minimum', async () => {
    const p = pool({ minFree: 3, windowMs: 1000 });
    lend(p, 12).forEach(t => p.release(t));
    await settled();
    expect(p.freeCount).toBe(12);

    clock = 1500; // the peak of 12 is still the previous window's
    p.trim();
    expect(p.freeCount).toBe(12);

    clock = 2600; // two windows without lending: forgotten
    p.trim();
    expect(p.freeCount).toBe(3);
  });

  it('keeps what a smaller, recent peak needs', async () => {
    const p = pool({ minFree: 2, windowMs: 1000 });
    lend(p, 10).forEach(t => p.release(t));
    await settled();
    clock = 1100;
    const five = lend(p, 5);
    five.forEach(t => p.release(t));
    await settled();
    clock = 2200; // the window of 10 is gone, the one of 5 is the previous
    p.trim();
    expect(p.freeCount).toBe(5);
  });

  it('resets a terminal before lending it again', async () => {
    const p = pool({ minFree: 1 });
    const [terminal] = lend(p, 1) as [Terminal];
    await new Promise<void>(resolve =>
      terminal.write('secret of the last session', resolve),
    );
    p.release(terminal);
    await settled();
    const again = p.acquire(size);
    expect(again).toBe(terminal);
    expect(again.buffer.active.getLine(0)!.translateToString(true)).toBe('');
  });
});
