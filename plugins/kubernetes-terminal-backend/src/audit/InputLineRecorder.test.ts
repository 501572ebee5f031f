import { InputLineRecorder } from './InputLineRecorder';

describe('InputLineRecorder', () => {
  const encode = (text: string) => Buffer.from(text, 'utf8');

  it('records each line sent, split anywhere, with multi-byte characters across chunks', () => {
    const at = new Date('2024-01-02T03:04:05Z');
    const recorder = new InputLineRecorder({ now: () => at });
    const recorded: Array<{ command: string; at: Date }> = [];
    recorder.onCommand(c => recorded.push(c));
    const bytes = encode('echo hé');
    recorder.input(bytes.subarray(0, bytes.length - 1));
    recorder.input(bytes.subarray(bytes.length - 1));
    recorder.input(encode('llo\r\n\n   \nls -l\nuname'));
    expect(recorded).toEqual([
      { command: 'echo héllo', at },
      { command: 'ls -l', at },
    ]);
    recorder.dispose();
    expect(recorded.map(c => c.command)).toEqual([
      'echo héllo',
      'ls -l',
      'uname',
    ]);
    recorder.input(encode('after\n'));
    expect(recorded).toHaveLength(3);
  });

  it('cuts long lines and bounds an unterminated one', () => {
    const recorder = new InputLineRecorder({ maxCommandLength: 5 });
    const recorded: string[] = [];
    recorder.onCommand(({ command }) => recorded.push(command));
    recorder.input(encode('0123456789\n'));
    recorder.input(encode('x'.repeat(100_000)));
    recorder.dispose();
    expect(recorded).toEqual(['01234 …[truncated]', 'xxxxx …[truncated]']);
  });
});
