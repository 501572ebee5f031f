import { OutputTail } from './OutputTail';

const text = (bytes: Uint8Array) => Buffer.from(bytes).toString('latin1');

describe('OutputTail', () => {
  it('keeps between its limit and twice that of the latest output, and cuts a large chunk', () => {
    const tail = new OutputTail(10);
    for (const chunk of ['abc', 'defg', 'hijkl', 'mn'])
      tail.append(Buffer.from(chunk));
    expect(text(tail.replay())).toBe('abcdefghijklmn');
    tail.append(Buffer.from('opqrstu'));
    expect(text(tail.replay())).toBe('efghijklmnopqrstu');
    tail.append(Buffer.from('0123456789ABCDEF'));
    expect(text(tail.replay())).toBe('6789ABCDEF');
  });

  it('keeps whole chunks up to the limit and coalesces many small ones', () => {
    const tail = new OutputTail(1000);
    for (let i = 0; i < 500; i++) tail.append(Buffer.from('x'));
    expect(text(tail.replay())).toBe('x'.repeat(500));
  });

  it('copies what it keeps, so the caller may reuse its buffer', () => {
    const tail = new OutputTail(10);
    const reused = Buffer.from('abc');
    tail.append(reused);
    reused.write('zzz');
    expect(text(tail.replay())).toBe('abc');
  });

  it('brings the modes in force where the kept output begins into the replay', () => {
    const tail = new OutputTail(20);
    tail.append(Buffer.from('\x1b[?1049h\x1b[?2004h'));
    expect(tail.alternate).toBe(true);
    tail.append(Buffer.from('screen-of-a-full-screen-program'));
    expect(text(tail.replay())).toBe(
      '\x1b[?1049h\x1b[?2004h-full-screen-program',
    );
    tail.append(Buffer.from('\x1b[?1049;2004l$ '));
    expect(tail.alternate).toBe(false);
    tail.append(Buffer.from('0123456789'));
    expect(text(tail.replay())).toBe(
      '\x1b[?1049h\x1b[?2004hogram\x1b[?1049;2004l$ 0123456789',
    );
    tail.append(Buffer.from('abcdefghijklmnopqrstuvwxyz'));
    expect(text(tail.replay())).toBe('ghijklmnopqrstuvwxyz');
  });

  it('follows the modes of what it drops from the front', () => {
    const tail = new OutputTail(12);
    tail.append(Buffer.from('ab\x1b[?1049h'));
    tail.append(Buffer.from('cdefghijkl'));
    expect(text(tail.replay())).toBe('ab\x1b[?1049hcdefghijkl');
    tail.append(Buffer.from('mnopq'));
    // The cut goes through the sequence: counted before it, its remains begin the kept part.
    expect(text(tail.replay())).toBe('\x1b[?1049h9hcdefghijklmnopq');
    expect(tail.alternate).toBe(true);
  });

  it('ignores other private modes and malformed sequences', () => {
    const tail = new OutputTail(64);
    tail.append(Buffer.from('\x1b[?25l\x1b[?1049\x1b[?47;x\x1b[1049h\x1b'));
    expect(tail.alternate).toBe(false);
    tail.append(Buffer.from('\x1b[?47h'));
    expect(tail.alternate).toBe(true);
  });

  it('counts a sequence that a cut goes through before the cut, and only once', () => {
    const tail = new OutputTail(4);
    tail.append(Buffer.from('ab\x1b[?1049hcd'));
    expect(tail.alternate).toBe(true);
    expect(text(tail.replay())).toBe('\x1b[?1049h9hcd');
    tail.append(Buffer.from('xyz\x1b[?1049lcd'));
    expect(tail.alternate).toBe(false);
    expect(text(tail.replay())).toBe('9lcd');
  });
});
