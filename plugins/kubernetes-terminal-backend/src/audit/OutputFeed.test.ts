import { Terminal } from '@xterm/headless';
import { OutputFeed } from './OutputFeed';

const parsed = (feed: OutputFeed) =>
  new Promise<void>(resolve => feed.afterParsed(resolve));
const row = (terminal: Terminal, y: number) =>
  terminal.buffer.active.getLine(y)!.translateToString(true);

describe('OutputFeed', () => {
  let terminal: Terminal;
  beforeEach(() => {
    terminal = new Terminal({ cols: 40, rows: 5, allowProposedApi: true });
  });
  afterEach(() => terminal.dispose());

  it('counts a chunk as parsed once the terminal has got through it, what was held back first', async () => {
    const feed = new OutputFeed(terminal, 0, jest.fn());
    expect(feed.defer(Buffer.from('ab'), 1)).toBe(true);
    expect(feed.defer(Buffer.from('c'), 2)).toBe(true);
    await new Promise(resolve => setTimeout(resolve, 5));
    expect(feed.parsedSeq).toBe(0);
    expect(row(terminal, 0)).toBe('');
    feed.write(Buffer.from('d'), 3);
    await parsed(feed);
    expect(feed.parsedSeq).toBe(3);
    expect(row(terminal, 0)).toBe('abcd');
  });

  it('holds back no more than 64 KiB, and copies what it holds', async () => {
    const feed = new OutputFeed(terminal, 0, jest.fn());
    const reused = Buffer.from('xy');
    feed.defer(reused, 1);
    reused.write('zz');
    expect(feed.defer(new Uint8Array(64 * 1024), 2)).toBe(false);
    feed.release();
    await parsed(feed);
    expect(row(terminal, 0)).toBe('xy');
    expect(feed.parsedSeq).toBe(1);
  });

  it('drops output (and says so) when the parser is 4 MiB behind', () => {
    const lost = jest.fn();
    const feed = new OutputFeed(terminal, 0, lost);
    feed.write(new Uint8Array(3 * 1024 * 1024).fill(0x61), 1);
    expect(lost).not.toHaveBeenCalled();
    feed.write(new Uint8Array(2 * 1024 * 1024).fill(0x61), 2);
    expect(lost).toHaveBeenCalledTimes(1);
  });

  it('ignores what is still queued once closed', async () => {
    const feed = new OutputFeed(terminal, 0, jest.fn());
    feed.write(Buffer.from('late'), 1);
    feed.close();
    feed.write(Buffer.from('never'), 2);
    await new Promise<void>(resolve => terminal.write('', resolve));
    expect(feed.parsedSeq).toBe(0);
    expect(row(terminal, 0)).toBe('late');
  });
});
