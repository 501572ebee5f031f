import { Prompt, SubmittedLines, shownAs } from './SubmittedLines';

describe('shownAs', () => {
  it('accepts ? for each character beyond Latin-1 only', () => {
    expect(shownAs('echo 日本', 'echo ??')).toBe(true);
    expect(shownAs('echo 日本', 'echo ?本')).toBe(true);
    expect(shownAs('echo é', 'echo ?')).toBe(false);
    expect(shownAs('echo ab', 'echo ??')).toBe(false);
    expect(shownAs('echo 日本', 'echo ???')).toBe(false);
  });
});

describe('Prompt', () => {
  it('tells a prompt in front of a line, and strips the one last seen or one that looks like it', () => {
    const prompt = new Prompt();
    expect(prompt.ends('user@host:~$ ')).toBe(true);
    expect(prompt.ends('some output')).toBe(false);
    expect(prompt.strip('host:~$ ls -l')).toBe('ls -l');
    prompt.text = '[prod] (main)\n→';
    expect(prompt.lastRow).toBe('→');
    expect(prompt.ends('→ ')).toBe(true);
    expect(prompt.strip('[prod] (main)\n→ ls')).toBe('ls');
  });
});

describe('Prompt.isShells', () => {
  it("takes the first prompt an editor read at as the shell's, and tells a program's from it", () => {
    const prompt = new Prompt();
    expect(prompt.isShells('λ')).toBe(true);
    expect(prompt.isShells('~/src λ')).toBe(true);
    expect(prompt.isShells('value:')).toBe(false);
    expect(prompt.isShells('')).toBe(false);
    // Whatever the shell's is, these end as prompts do.
    expect(prompt.isShells('bash-5.2#')).toBe(true);
    expect(prompt.isShells('>>>')).toBe(true);
  });
});

describe('SubmittedLines', () => {
  it('counts as eligible only lines sent before the output being parsed arrived', () => {
    const lines = new SubmittedLines();
    lines.submit(1, ['a']);
    lines.submit(1, ['b']);
    lines.submit(3, ['c']);
    expect(lines.eligible(0)).toBe(0);
    expect(lines.eligible(2)).toBe(2);
    expect(lines.eligible(3)).toBe(3);
    expect(lines.mayEndWith('c', 2)).toBe(false);
    expect(lines.mayEndWith('b', 2)).toBe(true);
  });

  it('takes the line shown and those before it, behind a prompt only where one is allowed', () => {
    const lines = new SubmittedLines();
    lines.submit(1, ['ls']);
    lines.submit(1, ['pwd']);
    lines.submit(1, ['id']);
    expect(lines.takeShown('$ pwd', 3)).toBeUndefined();
    expect(lines.takeShown('$ pwd', 3, before => before === '$ ')).toBe('pwd');
    expect(lines.length).toBe(1);
    expect(lines.takeShown('id', 0)).toBeUndefined();
    expect(lines.takeShown('id', 1)).toBe('id');
    expect(lines.length).toBe(0);
  });

  it('keeps lines sent while a command ran for the next prompt only, and takes a fresh one first on trust', () => {
    const lines = new SubmittedLines();
    lines.submit(1, ['secret']);
    lines.submit(5, ['next']);
    lines.markStale(1, 4);
    expect(lines.allStale).toBe(false);
    lines.takeFirstFresh();
    expect(lines.length).toBe(0);

    lines.submit(6, ['typed-ahead']);
    lines.markStale(6, 7);
    expect(lines.allStale).toBe(true);
    // At the prompt after next, what was kept for the last one is dropped.
    lines.markStale(8, 9);
    expect(lines.length).toBe(0);
  });

  it('forgets the oldest line beyond 32', () => {
    const lines = new SubmittedLines();
    for (let i = 0; i < 40; i++) lines.submit(i, [`line-${i}`]);
    expect(lines.length).toBe(32);
    expect(lines.first!.predictions).toEqual(['line-8']);
  });
});
