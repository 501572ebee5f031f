import { HeldOutput, OutputBudget } from './HeldOutput';

const bytes = (n: number, fill = 'x') => Buffer.alloc(n, fill);
const text = (chunks: Buffer[]) => Buffer.concat(chunks).toString('utf8');

describe('HeldOutput', () => {
  it('holds what was not acknowledged, and lets go of the rest', () => {
    const budget = new OutputBudget(1 << 20);
    const held = new HeldOutput(budget);
    held.push(Buffer.from('abc'));
    held.push(Buffer.from('def'));
    expect([held.end, held.unacked, held.heldBytes]).toEqual([6, 6, 6]);
    held.ack(3);
    expect([held.unacked, held.heldBytes, budget.usedBytes]).toEqual([3, 3, 3]);
    // Part of a chunk acknowledged: the chunk stays until all of it is.
    held.ack(1);
    expect([held.unacked, held.heldBytes]).toEqual([2, 3]);
    held.ack(2);
    expect([held.unacked, held.heldBytes, budget.usedBytes]).toEqual([0, 0, 0]);
  });

  it('gives a resumed socket exactly what its terminal lacks', () => {
    const held = new HeldOutput();
    held.push(Buffer.from('hello '));
    held.push(Buffer.from('world'));
    held.ack(2);
    // The terminal had written 8 bytes when the socket went, 2 of them acknowledged.
    const since = held.since(8);
    expect(since).toMatchObject({ from: 8, missed: 0, bytes: 3 });
    expect(text(since.chunks)).toBe('rld');
    expect(held.acked).toBe(8);
  });

  it('says what it no longer holds when asked for bytes before what it holds', () => {
    const held = new HeldOutput();
    held.push(Buffer.from('12345'));
    held.push(Buffer.from('67890'));
    held.ack(5);
    const since = held.since(0);
    expect(since).toMatchObject({ from: 5, missed: 5, bytes: 5 });
    expect(text(since.chunks)).toBe('67890');
  });

  it('starts at the end when asked for bytes past it', () => {
    const held = new HeldOutput();
    held.push(Buffer.from('abc'));
    expect(held.since(99)).toMatchObject({ from: 3, missed: 0, bytes: 0 });
    expect(held.unacked).toBe(0);
  });

  it('counts a flood against the backend budget until it is acknowledged or released', () => {
    const budget = new OutputBudget(1000);
    const a = new HeldOutput(budget);
    const b = new HeldOutput(budget);
    for (let i = 0; i < 100; i++) a.push(bytes(8));
    for (let i = 0; i < 30; i++) b.push(bytes(8));
    expect(budget.usedBytes).toBe(1040);
    expect(budget.exhausted).toBe(true);
    a.ack(400);
    expect(budget.usedBytes).toBe(640);
    expect(budget.exhausted).toBe(false);
    b.release();
    a.release();
    expect(budget.usedBytes).toBe(0);
  });

  it('keeps many small chunks without growing past what is unacknowledged', () => {
    const held = new HeldOutput();
    for (let i = 0; i < 10_000; i++) {
      held.push(bytes(10));
      held.ack(10);
    }
    expect([held.end, held.heldBytes]).toEqual([100_000, 0]);
  });
});
