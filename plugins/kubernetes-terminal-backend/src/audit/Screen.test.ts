import { Terminal } from '@xterm/headless';
import { Screen, readbackRows } from './Screen';

const write = (terminal: Terminal, text: string) =>
  new Promise<void>(resolve => terminal.write(text, resolve));

describe('Screen', () => {
  let terminal: Terminal;
  let screen: Screen;
  beforeEach(() => {
    terminal = new Terminal({
      cols: 10,
      rows: 4,
      scrollback: 100,
      allowProposedApi: true,
    });
    screen = new Screen(terminal, 4096);
  });
  afterEach(() => terminal.dispose());

  it('reads back enough rows for the longest command and its prompt', () => {
    expect(readbackRows(4096, 20)).toBe(232);
    expect(readbackRows(100, 80)).toBe(100);
    expect(screen.top(500)).toBe(500 - readbackRows(4096, 10) + 1);
    expect(screen.top(3)).toBe(0);
  });

  it('joins rows a line wrapped across, and those below a full row, as one line', async () => {
    await write(terminal, '$ 0123456789abcdef\r\nout\r\n');
    expect(screen.cursorRow).toBe(3);
    expect(screen.joined(0, 1)).toBe(true);
    expect(screen.joined(0, 2)).toBe(false);
    expect(screen.text(0, 2, 1)).toBe('0123456789abcdef');
    expect(screen.text(0, 2, 2)).toBe('0123456789abcdef\nout');
    expect(screen.lastChar(1)).toBe('f');
    // A line feed after a full row leaves the next unwrapped, as shells do when they redraw.
    await write(terminal, '0123456789\r\nab');
    expect(screen.continues(4)).toBe(true);
    expect(screen.text(3, 0, 4)).toBe('0123456789ab');
  });

  it('finds the lowest row that begins with a prompt, within bounds', async () => {
    await write(terminal, '# ls\r\na b\r\n# ls -l\r\nx\r\n');
    expect(screen.promptRegion(3, '# ')).toEqual({
      start: 2,
      x: 2,
      precise: true,
      anchored: true,
    });
    expect(screen.promptRegion(1, '# ')?.start).toBe(0);
    expect(screen.promptRegion(3, '# ', 3)).toBeUndefined();
    expect(screen.promptRegion(3, '  ')).toBeUndefined();
  });

  it('reads the alternate screen and the cursor where the program left them', async () => {
    await write(terminal, 'ab\x1b[?1049h');
    expect(screen.alternate).toBe(true);
    await write(terminal, '\x1b[?1049l');
    expect(screen.alternate).toBe(false);
    expect(screen.cursorX).toBe(2);
    expect(screen.row(0, 0, 1)).toBe('a');
  });
});
