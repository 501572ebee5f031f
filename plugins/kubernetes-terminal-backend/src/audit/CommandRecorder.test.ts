import * as pty from '@lydell/node-pty';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Terminal } from '@xterm/headless';
import { CommandRecorder } from './CommandRecorder';
import { TerminalPool } from './TerminalPool';

jest.setTimeout(30_000);

const ESC = '\x1b';
const LEFT = `${ESC}[D`;
const UP = `${ESC}[A`;
const PASTE_START = `${ESC}[200~`;
const PASTE_END = `${ESC}[201~`;
const ASK_CURSOR = `${ESC}[6n`;

type ShellKind = 'bash' | 'sh' | 'bash-no-bracketed-paste' | 'busybox';

let workDir: string;

beforeAll(() => {
  workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'command-recorder-'));
  fs.writeFileSync(path.join(workDir, 'unique-file-name.txt'), 'content\n');
  fs.writeFileSync(path.join(workDir, 'plain.inputrc'), '');
  fs.writeFileSync(
    path.join(workDir, 'no-paste.inputrc'),
    'set enable-bracketed-paste off\n',
  );
});

afterAll(() => fs.rmSync(workDir, { recursive: true, force: true }));

/**
 * A real shell on a PTY whose traffic also goes through a recorder, the way the relay feeds it. Every step
 * waits for the shell's next prompt and for the recorder to catch up, so nothing depends on timing.
 */
class Shell {
  readonly commands: string[] = [];
  readonly recorder: CommandRecorder;
  private readonly pty: pty.IPty;
  output = '';

  static async start(kind: ShellKind, size = { cols: 80, rows: 24 }) {
    const shell = new Shell(kind, size);
    await shell.waitForPrompt(0);
    return shell;
  }

  private constructor(kind: ShellKind, size: { cols: number; rows: number }) {
    this.recorder = new CommandRecorder(size);
    this.recorder.onCommand(({ command }) => this.commands.push(command));
    const bash = kind !== 'sh' && kind !== 'busybox';
    const shArgs = kind === 'busybox' ? ['sh', '-i'] : ['-i'];
    this.pty = pty.spawn(
      bash ? 'bash' : kind,
      bash ? ['--norc', '--noprofile', '-i'] : shArgs,
      {
        ...size,
        cwd: workDir,
        encoding: null,
        env: {
          PATH: process.env.PATH ?? '/usr/bin:/bin',
          HOME: workDir,
          HISTFILE: '/dev/null',
          INPUTRC: path.join(
            workDir,
            kind === 'bash' ? 'plain.inputrc' : 'no-paste.inputrc',
          ),
          LANG: 'C.UTF-8',
          // bash's shows the directory, so that it changes as a pasted script runs.
          PS1: kind === 'sh' ? 'prompt$ ' : '\\w prompt$ ',
          TERM: 'xterm-256color',
        },
      },
    );
    this.pty.onData(data => {
      const bytes = Buffer.from(data as unknown as Uint8Array);
      this.output += bytes.toString('utf8');
      this.recorder.output(bytes);
    });
  }

  /** Sends keys to the shell and to the recorder, as the relay does with the browser's input. */
  send(keys: string) {
    this.pty.write(keys);
    this.recorder.input(Buffer.from(keys, 'utf8'));
  }

  /** Sends keys and waits until the shell has shown a prompt again. */
  async run(keys: string) {
    const from = this.output.length;
    this.send(keys);
    await this.waitForPrompt(from);
  }

  /** Sends keys and waits until the terminal's response contains `expected`. */
  async type(keys: string, expected: string | RegExp) {
    const from = this.mark();
    this.send(keys);
    await this.waitFor(from, since =>
      typeof expected === 'string'
        ? since.includes(expected)
        : expected.test(since),
    );
  }

  mark() {
    return this.output.length;
  }

  resize(cols: number, rows: number) {
    this.pty.resize(cols, rows);
    this.recorder.resize(cols, rows);
  }

  async waitFor(from: number, done: (since: string) => boolean) {
    const deadline = Date.now() + 10_000;
    while (!done(this.output.slice(from))) {
      if (Date.now() > deadline) {
        throw new Error(
          `timed out; terminal output since the step began: ${JSON.stringify(
            this.output.slice(from),
          )}`,
        );
      }
      await new Promise(resolve => setTimeout(resolve, 10));
    }
    await this.recorder.flush();
  }

  waitForPrompt(from: number) {
    // busybox asks for the cursor position right after its prompt.
    return this.waitFor(from, since =>
      (since.endsWith(ASK_CURSOR)
        ? since.slice(0, -ASK_CURSOR.length)
        : since
      ).endsWith('prompt$ '),
    );
  }

  close() {
    this.pty.kill();
    this.recorder.dispose();
  }
}

const hasVi = (() => {
  try {
    execFileSync('sh', ['-c', 'command -v vi'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

describe('CommandRecorder on a real shell', () => {
  let shell: Shell | undefined;

  afterEach(() => {
    shell?.close();
    shell = undefined;
  });

  describe.each<ShellKind>(['bash', 'bash-no-bracketed-paste', 'sh'])(
    '%s',
    kind => {
      const start = async (size?: { cols: number; rows: number }) => {
        shell = await Shell.start(kind, size);
        return shell;
      };

      it('records a plain command', async () => {
        const s = await start();
        await s.run('echo hi\r');
        expect(s.commands).toEqual(['echo hi']);
      });

      it('records the line after backspace editing', async () => {
        const s = await start();
        await s.type('echo hellx', 'hellx');
        await s.run('\x7fo\r');
        expect(s.commands).toEqual(['echo hello']);
      });

      it('records a command with non-ASCII text', async () => {
        const s = await start();
        await s.run('echo héllo wörld ✓ 日本\r');
        expect(s.commands).toEqual(['echo héllo wörld ✓ 日本']);
      });

      it('does not record an empty line', async () => {
        const s = await start();
        await s.run('\r');
        await s.run('   \r');
        await s.run('echo after\r');
        expect(s.commands).toEqual(['echo after']);
      });

      it('records each line of a multi-line paste without bracketed paste, in order', async () => {
        const s = await start();
        await s.type('echo a\recho b\r', /b\r\n.*prompt\$ $/s);
        expect(s.commands).toEqual(['echo a', 'echo b']);
      });

      it('does not record a line abandoned with Ctrl-C', async () => {
        const s = await start();
        await s.type('echo abandoned', 'abandoned');
        await s.run('\x03');
        await s.run('echo kept\r');
        expect(s.commands).toEqual(['echo kept']);
      });

      it('never records what is typed while the terminal does not echo', async () => {
        const s = await start();
        await s.run('stty -echo\r');
        await s.run('s3cret-stty\r');
        await s.run('stty echo\r');
        await s.run('echo visible\r');
        expect(s.commands.join('\n')).not.toContain('s3cret');
        expect(s.commands).toEqual(['stty -echo', 'echo visible']);
      });

      it('never records a password read by a program that prints its own line break', async () => {
        const s = await start();
        // Waits for `ready`: typed before stty has run, the password would be echoed, and shown.
        await s.type(
          'stty -echo; echo ready; read pw; stty echo; echo\r',
          'ready\r\n',
        );
        await s.run('s3cret-read\r');
        await s.run('echo done\r');
        expect(s.output).not.toContain('s3cret');
        expect(s.commands).toEqual([
          'stty -echo; echo ready; read pw; stty echo; echo',
          'echo done',
        ]);
      });

      it('records a command typed ahead while another runs, once', async () => {
        const s = await start();
        await s.type('sleep 0.5\r', 'sleep 0.5\r\n');
        await s.type(
          'echo typed-ahead\r',
          /(?:[\r\n]|\$ )typed-ahead\r\n.*prompt\$ $/s,
        );
        expect(s.commands).toEqual(['sleep 0.5', 'echo typed-ahead']);
      });

      it('records every command of a pasted sequence, prompts stripped', async () => {
        const s = await start();
        await s.type(
          'cd /\rls -d /tm?\recho "$PWD done"\r',
          /\/ done\r\n.*prompt\$ $/s,
        );
        expect(s.commands).toEqual(['cd /', 'ls -d /tm?', 'echo "$PWD done"']);
      });

      it('records commands typed on continuation lines', async () => {
        const s = await start();
        await s.type('for i in 1 2; do\r', '> ');
        await s.type('echo "item $i"\r', '> ');
        await s.run('done\r');
        expect(s.commands).toEqual([
          'for i in 1 2; do',
          'echo "item $i"',
          'done',
        ]);
      });

      it('keeps no terminal while nothing is typed, and records after a flood of output', async () => {
        const s = await start();
        expect(s.recorder.awake).toBe(false);
        await s.run('seq 1 200000\r');
        // The flood came after the command was recorded: the recorder only kept its tail.
        expect(s.recorder.awake).toBe(false);
        await s.type('echo after-f', 'after-f');
        expect(s.recorder.awake).toBe(true);
        await s.run('lood\r');
        expect(s.commands).toEqual(['seq 1 200000', 'echo after-flood']);
      });

      if (kind === 'sh') return;

      it('records the line after cursor movement', async () => {
        const s = await start();
        await s.type('echo world', 'world');
        await s.type(LEFT.repeat(5), '\b'.repeat(5));
        await s.run('big \r');
        expect(s.commands).toEqual(['echo big world']);
      });

      it('records the completed line after tab completion', async () => {
        const s = await start();
        await s.type('cat uniq\t', 'file-name.txt');
        await s.run('\r');
        expect(s.commands).toEqual(['cat unique-file-name.txt']);
      });

      it('records a command recalled from history', async () => {
        const s = await start();
        await s.run('echo first\r');
        await s.type(UP, 'echo first');
        await s.run('\r');
        expect(s.commands).toEqual(['echo first', 'echo first']);
      });

      it('never records a password typed at a prompt that does not echo', async () => {
        const s = await start();
        await s.type(`read -s -p 'Password: ' pw\r`, /Password: $/);
        await s.run('s3cret\r');
        await s.run('echo done\r');
        expect(s.commands).toEqual([`read -s -p 'Password: ' pw`, 'echo done']);
      });

      it('records a long command that wraps across rows whole', async () => {
        const s = await start({ cols: 40, rows: 24 });
        const long = `echo ${'0123456789'.repeat(9)}`;
        await s.type(long, '789');
        // Moving back across the row boundary makes the shell redraw and move down again on Enter.
        await s.type(LEFT.repeat(60), ESC);
        await s.run('X\r');
        expect(s.commands).toEqual([
          `${long.slice(0, long.length - 60)}X${long.slice(long.length - 60)}`,
        ]);
      });

      it('records a line that was being typed while the terminal was resized', async () => {
        const s = await start();
        await s.type(
          'echo resize-test-abcdefghijklmnopqrstuvwxyz-0123456789',
          '0123456789',
        );
        const from = s.mark();
        s.resize(30, 24);
        await s.waitFor(from, since => since.endsWith('89'));
        await s.run(' more\r');
        expect(s.commands).toEqual([
          'echo resize-test-abcdefghijklmnopqrstuvwxyz-0123456789 more',
        ]);
      });

      it('records a line typed at once after a resize at an idle prompt', async () => {
        const s = await start();
        await s.run('echo first\r');
        s.resize(120, 40);
        await s.run('echo after-resize\r');
        // Before the prompt is back, as a browser may.
        await s.type('echo $((40+2))\r', '42\r\n');
        s.resize(100, 30);
        await s.run('echo typed-before-the-prompt\r');
        await s.run('echo next\r');
        expect(s.commands).toEqual([
          'echo first',
          'echo after-resize',
          'echo $((40+2))',
          'echo typed-before-the-prompt',
          'echo next',
        ]);
      });

      it('does not record keys typed on the alternate screen', async () => {
        const s = await start();
        await s.run(`printf '\\e[?1049h'\r`);
        expect(s.recorder.awake).toBe(false);
        await s.run('echo secret-on-alternate-screen\r');
        // Known from the output's tail alone: keys for a full-screen program need no terminal.
        expect(s.recorder.awake).toBe(false);
        await s.run(`printf '\\e[?1049l'\r`);
        await s.run('echo back\r');
        expect(s.commands).toEqual([`printf '\\e[?1049h'`, 'echo back']);
      });

      // Only where vi is installed; the test above covers the same with a simulated full-screen program.
      if (hasVi) {
        it('does not record keys typed in vi', async () => {
          const s = await start();
          // The `~` lines of its empty buffer show that vi has drawn its screen and reads keys.
          await s.type('vi\r', '~');
          await s.run(`isecret-in-vi\r${ESC}:q!\r`);
          await s.run('echo after-vi\r');
          expect(s.commands).toEqual(['vi', 'echo after-vi']);
        });
      }

      it('records commands typed in a shell started from this one', async () => {
        const s = await start();
        await s.run('sh\r');
        await s.run('echo in-sh\r');
        await s.run('exit\r');
        await s.run('echo back\r');
        // Inside bash, which marks its editor's reads, lines that dash (no such marks) reads are
        // indistinguishable from a program's input, and are not recorded.
        expect(s.commands).toEqual(
          kind === 'bash'
            ? ['sh', 'echo back']
            : ['sh', 'echo in-sh', 'exit', 'echo back'],
        );
      });

      if (kind !== 'bash') return;

      it('records a bracketed paste of a script as one command', async () => {
        const s = await start();
        await s.type(
          `${PASTE_START}echo 1\recho 2\recho 3\r${PASTE_END}`,
          'echo 3',
        );
        await s.run('\r');
        expect(s.commands).toEqual(['echo 1\necho 2\necho 3']);
      });
    },
  );
});

const hasBusybox = (() => {
  try {
    execFileSync('sh', ['-c', 'command -v busybox'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

describe('CommandRecorder and programs that read the terminal', () => {
  let shell: Shell | undefined;

  afterEach(() => {
    shell?.close();
    shell = undefined;
  });

  // busybox is installed by scripts/test.sh; bash marks its reads with bracketed paste, busybox ash
  // with a cursor position query.
  describe.each<ShellKind>(hasBusybox ? ['bash', 'busybox'] : ['bash'])(
    '%s',
    kind => {
      it('does not record a line cancelled with Ctrl-C', async () => {
        const s = (shell = await Shell.start(kind));
        await s.type('echo cancelled', 'cancelled');
        await s.run('\x03');
        await s.run('echo kept\r');
        expect(s.commands).toEqual(['echo kept']);
      });

      it('records each line of a paste, though the shell does not ask for lines typed ahead', async () => {
        const s = (shell = await Shell.start(kind));
        await s.type(
          'echo pasted-1\recho pasted-2\recho pasted-3\r',
          /pasted-3\r\n.*prompt\$ /s,
        );
        expect(s.commands).toEqual([
          'echo pasted-1',
          'echo pasted-2',
          'echo pasted-3',
        ]);
      });

      // This harness does not answer busybox's cursor queries as a terminal does; the corpus
      // (corpus/commandCorpus.test.ts) plays these for busybox through a terminal that does.
      if (kind === 'busybox') return;

      it('records no line typed into cat, and the commands around it', async () => {
        const s = (shell = await Shell.start(kind));
        await s.type('cat > /dev/null\r', 'cat > /dev/null\r\n');
        await s.type('first line of a file\r', 'file\r\n');
        await s.type('password=hunter2\r', 'hunter2\r\n');
        await s.run('\x04');
        await s.run('echo after-cat\r');
        expect(s.commands).toEqual(['cat > /dev/null', 'echo after-cat']);
      });

      it('records neither the answer to read nor a secret typed at read -s', async () => {
        const s = (shell = await Shell.start(kind));
        await s.type('read NAME\r', 'read NAME\r\n');
        await s.run('Alice\r');
        await s.type('read -s PW\r', 'read -s PW\r\n');
        await s.run('s3cret-pw\r');
        await s.run('echo "$NAME"\r');
        expect(s.commands).toEqual(['read NAME', 'read -s PW', 'echo "$NAME"']);
        expect(s.commands.join()).not.toContain('s3cret');
      });

      it('records nothing of a paste into cat with its markers, nor the password after it', async () => {
        const s = (shell = await Shell.start(kind));
        await s.type('cat > /dev/null\r', 'cat > /dev/null\r\n');
        // A client that sends the markers anyway: cat does not ask for them, so they arrive as input.
        const lines = Array.from({ length: 40 }, (_, i) => `pasted line ${i}`);
        await s.type(
          `${PASTE_START}${lines.join('\r')}\r${PASTE_END}`,
          'line 39',
        );
        await s.run('\r\x04');
        await s.type('read -s PW\r', 'read -s PW\r\n');
        await s.run('s3cret-after-paste\r');
        await s.run('echo done\r');
        expect(s.commands).toEqual([
          'cat > /dev/null',
          'read -s PW',
          'echo done',
        ]);
      });

      it('records no line of a REPL', async () => {
        const s = (shell = await Shell.start(kind));
        await s.type('python3 -q\r', '>>> ');
        await s.type('6*7\r', '42\r\n>>> ');
        await s.run('\x04');
        await s.run('echo after-python\r');
        expect(s.commands).toEqual(['python3 -q', 'echo after-python']);
      });
    },
  );

  it('marks as uncertain the lines of a shell that gives no sign of its reads (dash)', async () => {
    const s = (shell = await Shell.start('sh'));
    const uncertain: boolean[] = [];
    s.recorder.onCommand(c => uncertain.push(c.uncertain === true));
    await s.run('echo hi\r');
    expect(s.commands).toEqual(['echo hi']);
    expect(uncertain).toEqual([true]);
  });
});

/** A recorder fed by hand, the way a relay feeds it: bash's prompt is `P`. */
const P = 'pod:~# ';
function scripted(options: { lingerMs?: number } = {}) {
  const recorder = new CommandRecorder({ cols: 100, rows: 30, ...options });
  const commands: string[] = [];
  recorder.onCommand(c => commands.push(c.command));
  return {
    recorder,
    commands,
    out: (text: string) => recorder.output(Buffer.from(text)),
    type: (keys: string) => recorder.input(Buffer.from(keys)),
  };
}

describe('CommandRecorder', () => {
  const encode = (text: string) => Buffer.from(text, 'utf8');

  it('records from a scripted exchange, truncating long commands and stamping them', async () => {
    const at = new Date('2024-01-02T03:04:05Z');
    const recorder = new CommandRecorder({
      cols: 80,
      rows: 24,
      maxCommandLength: 10,
      now: () => at,
    });
    const recorded: Array<{ command: string; at: Date }> = [];
    recorder.onCommand(command => recorded.push(command));
    const unsubscribed = jest.fn();
    recorder.onCommand(unsubscribed).dispose();
    recorder.output(encode('\x1b[?2004hprompt$ '));
    await recorder.flush();
    recorder.input(encode('echo 0123456789\r'));
    recorder.output(
      encode(
        'echo 0123456789\r\n\x1b[?2004l\r0123456789\r\n\x1b[?2004hprompt$ ',
      ),
    );
    await recorder.flush();
    expect(recorded).toEqual([{ command: 'echo 01234 …[truncated]', at }]);
    expect(unsubscribed).not.toHaveBeenCalled();
    recorder.dispose();
  });

  it('records a line typed as soon as the prompt arrived, before the last one\u2019s echo was parsed', async () => {
    // The order a relay saw: the browser resized and typed the moment the prompt came back.
    const { recorder, commands, out, type } = scripted();
    out(`\x1b[?2004h${P}`);
    type('echo one\r');
    out('echo one\r\n\x1b[?2004l\r');
    out(`one\r\n\x1b[?2004h${P}`);
    recorder.resize(120, 40);
    type('echo two\r');
    out(`\r\x1b[K\r${P}echo two\r\n\x1b[?2004l\r`);
    out('two\r\n');
    await recorder.flush();
    expect(commands).toEqual(['echo one', 'echo two']);
  });

  it('records a line typed ahead while a program read a password, once the shell echoes it', async () => {
    // Not kept for the next line: the terminal is dropped once the lines that went to read are.
    const { recorder, commands, out, type } = scripted({ lingerMs: 0 });
    out(`\x1b[?2004h${P}`);
    type('read -s pw; echo ready\r');
    out('read -s pw; echo ready\r\n\x1b[?2004l\r');
    // Both typed at once, while the recorder still follows the last line: the password goes to
    // read (not echoed), the next line waits for bash.
    type('s3cret\r');
    type('echo after\r');
    out('ready\r\n');
    out(`\x1b[?2004h${P}echo after\r\n\x1b[?2004l\r`);
    out(`after\r\n\x1b[?2004h${P}`);
    await recorder.flush();
    expect(commands).toEqual(['read -s pw; echo ready', 'echo after']);
    // A password that went to the program is not kept beyond the next prompt's line.
    type('read -s pw\r');
    out('read -s pw\r\n\x1b[?2004l\r');
    await recorder.flush();
    type('s3cret-2\r');
    out(`\r\n\x1b[?2004h${P}`);
    await recorder.flush();
    await new Promise(resolve => setTimeout(resolve, 1200));
    await recorder.flush();
    expect(recorder.awake).toBe(false);
    type('ls\r');
    out(`ls\r\n\x1b[?2004l\rfile\r\n\x1b[?2004h${P}`);
    await recorder.flush();
    expect(commands).toEqual([
      'read -s pw; echo ready',
      'echo after',
      'read -s pw',
      'ls',
    ]);
    expect(commands.join()).not.toContain('s3cret');
  });

  it('records a line typed before its prompt arrived, when the shell echoes it late', async () => {
    // A loaded machine: the user typed on after the output, the prompt came, and the shell's echo of
    // the waiting line came a while after it.
    const { recorder, commands, out, type } = scripted();
    out(`\x1b[?2004h${P}`);
    type('echo one\r');
    out('echo one\r\n\x1b[?2004l\r');
    out('one\r\n');
    await recorder.flush();
    type('exit\r');
    out(`\x1b[?2004h${P}`);
    await recorder.flush();
    await new Promise(resolve => setTimeout(resolve, 600));
    out('exit\r\n\x1b[?2004l\rexit\r\n');
    await recorder.flush();
    expect(commands).toEqual(['echo one', 'exit']);
  });

  it.each([0, 100, 600])(
    'records a line typed before its prompt, echoed by the terminal and then by the shell (%i ms apart)',
    async delay => {
      const { recorder, commands, out, type } = scripted();
      out(`\x1b[?2004h${P}`);
      type('echo one\r');
      out('echo one\r\n\x1b[?2004l\r');
      out('one\r\n');
      type('exit\r');
      // The line discipline echoes it at once, the shell's editor once its prompt is up.
      out('exit\r\n');
      if (delay) await new Promise(resolve => setTimeout(resolve, delay));
      out(`\x1b[?2004h${P}`);
      if (delay) await new Promise(resolve => setTimeout(resolve, delay));
      out('exit\r\n\x1b[?2004l\rexit\r\n');
      await recorder.flush();
      expect(commands).toEqual(['echo one', 'exit']);
    },
  );

  it('ignores output that only looks like an echo when no Enter came before it', async () => {
    const recorder = new CommandRecorder({ cols: 80, rows: 24 });
    const recorded: string[] = [];
    recorder.onCommand(({ command }) => recorded.push(command));
    recorder.output(encode('prompt$ '));
    await recorder.flush();
    recorder.output(encode('echo hi\r\nhi\r\n'));
    recorder.input(encode('echo hi\r'));
    await recorder.flush();
    expect(recorded).toEqual([]);
    recorder.dispose();
  });

  it('survives bad input and huge output, and a listener that throws', async () => {
    const recorder = new CommandRecorder({ cols: 80, rows: 24 });
    const recorded: string[] = [];
    recorder.onCommand(() => {
      throw new Error('listener failure');
    });
    recorder.onCommand(({ command }) => recorded.push(command));
    expect(() => {
      recorder.input(
        Uint8Array.from([0xff, 0xfe, 0xc3, 0x1b, 0x5b, 0x9b, 0x00]),
      );
      recorder.output(
        Uint8Array.from([0xff, 0xfe, 0xc3, 0x28, 0x1b, 0x5d, 0x07]),
      );
      recorder.output(new Uint8Array(16 * 1024 * 1024).fill(0x41));
      recorder.input(encode('x'.repeat(100_000)));
    }).not.toThrow();
    await recorder.flush();
    recorder.input(encode('\x03'));
    recorder.output(encode('\r\nprompt$ '));
    await recorder.flush();
    recorder.input(encode('ls\r'));
    recorder.output(encode('ls\r\n'));
    await recorder.flush();
    expect(recorded).toEqual(['ls']);
    recorder.dispose();
  });

  it('hands a terminal on to the next recorder with nothing of the last session in it', async () => {
    const pool = new TerminalPool({ minFree: 4 });
    const first = new CommandRecorder({
      cols: 80,
      rows: 24,
      pool,
      lingerMs: 0,
    });
    const firstCommands: string[] = [];
    first.onCommand(({ command }) => firstCommands.push(command));
    first.output(encode('alice$ '));
    first.input(encode('echo secret-of-alice\r'));
    first.output(encode('echo secret-of-alice\r\nsecret-of-alice\r\nalice$ '));
    await first.flush();
    expect(firstCommands).toEqual(['echo secret-of-alice']);
    expect(first.awake).toBe(false);
    await new Promise(resolve => setTimeout(resolve, 20));
    expect(pool.freeCount).toBe(1);

    const second = new CommandRecorder({ cols: 100, rows: 30, pool });
    const secondCommands: string[] = [];
    second.onCommand(({ command }) => secondCommands.push(command));
    second.output(encode('bob$ '));
    second.input(encode('l'));
    expect(pool.freeCount).toBe(0);
    await second.flush();
    const screen = (second as unknown as { state: { terminal: Terminal } })
      .state.terminal;
    const lines = Array.from({ length: screen.buffer.active.length }, (_, y) =>
      screen.buffer.active.getLine(y)!.translateToString(true),
    ).join('\n');
    expect(lines).not.toContain('alice');
    expect(lines.trim()).toBe('bob$');
    expect(screen.cols).toBe(100);
    second.input(encode('s\r'));
    second.output(encode('ls\r\n'));
    await second.flush();
    expect(secondCommands).toEqual(['ls']);
    first.dispose();
    second.dispose();
  });

  it('keeps its terminal a while after a line for the next one, and drops it then or after 16 KiB of output', async () => {
    const { recorder, commands, out, type } = scripted({ lingerMs: 300 });
    out(`\x1b[?2004h${P}`);
    type('ls\r');
    out(`ls\r\n\x1b[?2004l\rfile\r\n\x1b[?2004h${P}`);
    await recorder.flush();
    expect(recorder.awake).toBe(true);
    // The next line needs no tail drawn: the terminal followed the output meanwhile.
    type('pwd\r');
    out(`pwd\r\n\x1b[?2004l\r/home\r\n\x1b[?2004h${P}`);
    await recorder.flush();
    expect(commands).toEqual(['ls', 'pwd']);
    await new Promise(resolve => setTimeout(resolve, 400));
    await recorder.flush();
    expect(recorder.awake).toBe(false);

    type('seq 1 10000\r');
    out(`seq 1 10000\r\n\x1b[?2004l\r`);
    await recorder.flush();
    expect(recorder.awake).toBe(true);
    out('1\r\n'.repeat(6000));
    expect(recorder.awake).toBe(false);
    out(`\x1b[?2004h${P}`);
    type('echo after\r');
    out(`echo after\r\n\x1b[?2004l\rafter\r\n\x1b[?2004h${P}`);
    await recorder.flush();
    expect(commands).toEqual(['ls', 'pwd', 'seq 1 10000', 'echo after']);
    recorder.dispose();
  });

  it('does nothing after dispose, and settles a pending flush', async () => {
    const recorder = new CommandRecorder({ cols: 80, rows: 24 });
    const listener = jest.fn();
    recorder.onCommand(listener);
    recorder.output(encode('prompt$ '));
    const pending = recorder.flush();
    recorder.dispose();
    await pending;
    recorder.input(encode('ls\r'));
    recorder.output(encode('ls\r\n'));
    recorder.resize(100, 30);
    await recorder.flush();
    expect(listener).not.toHaveBeenCalled();
  });
});
