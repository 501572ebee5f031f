import {
  corpusCase,
  KEY,
  type CaseBuilder,
  type CorpusCase,
  type CorpusShell,
} from './corpusCase';

/*
 * The ground-truth corpus: sessions as people type them, each with the commands the audit log must
 * hold. Most run in both shells (bash, and busybox ash as `sh`); a few use what only one has.
 */

const { enter, backspace, tab, up, left, right, home, end } = KEY;
const SHELLS: CorpusShell[] = ['bash', 'sh'];
const PS2 = /> $/;
const PYTHON = />>> $/;

function both(
  name: string,
  script: (s: CaseBuilder, shell: CorpusShell) => void,
  options?: Parameters<typeof corpusCase>[3],
): CorpusCase[] {
  return SHELLS.map(shell =>
    corpusCase(shell, name, s => script(s, shell), options),
  );
}

const basics: CorpusCase[] = [
  ...both('a plain command', s => s.run('echo hello')),
  ...both('commands in a row', s =>
    s.run('echo one').run('pwd').run('ls -a').run('id -u'),
  ),
  ...both('an empty line and a line of spaces are no command', s =>
    s.type(enter).type(`   ${enter}`).run('echo after-empty'),
  ),
  ...both('non-ASCII text', s => s.run('echo héllo wörld ✓ 日本 €')),
  ...both('a command with quotes, pipes and redirections', s =>
    s
      .run(`echo "a  b" 'c|d' | tr a-z A-Z > upper.txt`)
      .run('cat upper.txt; echo $?'),
  ),
  ...both('a failing command', s =>
    s.run('no-such-command-here').run('echo after-failure'),
  ),
  ...both('a command printing no line end', s =>
    s.run('printf no-newline').run('echo next-line'),
  ),
  ...both('exit ends the session', s =>
    s.run('echo last').run('exit', 'none').ends(),
  ),
  ...both('Ctrl-D at an empty prompt ends the session', s =>
    s.run('echo before-eof').type(KEY.ctrlD, 'none').ends(),
  ),
  ...both('a prompt of its own', s =>
    s.run(`PS1='corpus> '`, PS2).run('echo with-new-prompt', PS2),
  ),
];

const editing: CorpusCase[] = [
  ...both('backspace', s =>
    s
      .type('echo helxx')
      .type(backspace + backspace)
      .type(`lo${enter}`),
  ).map(fix('echo hello')),
  ...both('backspace over a multi-byte character', s =>
    s.type('echo caféé').type(backspace).type(enter),
  ).map(fix('echo café')),
  ...both('Ctrl-U drops the line', s =>
    s.type('echo wrong-line').type(KEY.ctrlU).run('echo right-line'),
  ),
  ...both('Ctrl-W drops a word', s =>
    s.type('echo one two').type(KEY.ctrlW).type(`three${enter}`),
  ).map(fix('echo one three')),
  ...both('Ctrl-K drops to the end of the line', s =>
    s.type('echo keep drop').type(left.repeat(5)).type(KEY.ctrlK).type(enter),
  ).map(fix('echo keep')),
  ...both('arrows move the cursor', s =>
    s
      .type('echo world')
      .type(left.repeat(5))
      .type('big ')
      .type(right.repeat(5))
      .type(`!${enter}`),
  ).map(fix('echo big world!')),
  ...both('Home and End', s =>
    s.type('cho middle').type(home).type('e').type(end).type(`-end${enter}`),
  ).map(fix('echo middle-end')),
  ...both('Delete under the cursor', s =>
    s.type('echo abXc').type(left.repeat(2)).type(KEY.delete).type(enter),
  ).map(fix('echo abc')),
  ...both('history recall', s =>
    s.run('echo first-from-history').type(up).type(enter),
  ).map(fix('echo first-from-history', 'echo first-from-history')),
  ...both('history recall, edited', s =>
    s
      .run('echo alpha')
      .run('echo beta')
      .type(up + up)
      .type(
        `${backspace}${backspace}${backspace}${backspace}${backspace}gamma${enter}`,
      ),
  ).map(fix('echo alpha', 'echo beta', 'echo gamma')),
  ...both('history recall, then Ctrl-C', s =>
    s.run('echo recalled').type(up).type(KEY.ctrlC).run('echo not-recalled'),
  ).map(fix('echo recalled', 'echo not-recalled')),
  ...both('Ctrl-C abandons a line', s =>
    s.type('echo cancelled-line').type(KEY.ctrlC, 'prompt').run('echo kept'),
  ),
  ...both('Ctrl-L clears the screen between commands', s =>
    s.run('echo before-clear').type(KEY.ctrlL).run('echo after-clear'),
  ),
  ...both('clear, then a command', s =>
    s.run('clear').run('echo after-clear-command'),
  ),
  ...both('Tab completes a file name', s =>
    s
      .run('touch corpus-unique-file.txt')
      .type(`cat corpus-uni${tab}`)
      .type(enter),
  ).map(fix('touch corpus-unique-file.txt', 'cat corpus-unique-file.txt')),
  ...both('Tab lists candidates, then completes', s =>
    s
      .run('touch cand-alpha cand-beta')
      .type(`ls cand-${tab}${tab}`)
      .type(`a${tab}`)
      .type(enter),
  ).map(fix('touch cand-alpha cand-beta', 'ls cand-alpha')),
  ...both('Tab completes a command name', s =>
    s.type(`ech${tab}`).type(`completed-command${enter}`),
  ).map(fix('echo completed-command')),
  ...both(
    'a line longer than the terminal is wide',
    s => s.run(`echo ${'wide-'.repeat(30)}end`),
    {
      size: { cols: 60, rows: 24 },
    },
  ),
  ...both(
    'a long line edited across the row boundary',
    s =>
      s
        .type(`echo ${'0123456789'.repeat(8)}`)
        .type(left.repeat(50))
        .type(`X${enter}`),
    {
      size: { cols: 40, rows: 24 },
    },
  ).map(fix(`echo ${'0123456789'.repeat(3)}X${'0123456789'.repeat(5)}`)),
  ...both('a resize in the middle of a line', s =>
    s
      .type('echo resize-abcdefghijklmnopqrstuvwxyz')
      .resize(30, 20)
      .pause(200)
      .type(`-0123456789${enter}`),
  ).map(fix('echo resize-abcdefghijklmnopqrstuvwxyz-0123456789')),
  ...both('resizes at an idle prompt', s =>
    s
      .run('echo first')
      .resize(120, 40)
      .run('echo second')
      .resize(80, 24)
      .run('echo third'),
  ),
];

/** Replaces the case's expected commands: for cases whose lines are edited keys. */
function fix(...commands: string[]) {
  return (c: CorpusCase): CorpusCase => ({ ...c, commands });
}

const multiLine: CorpusCase[] = [
  ...both('a backslash continuation', s =>
    s.run('echo one \\', PS2).run('two'),
  ),
  ...both('a loop over several lines', s =>
    s.run('for i in 1 2 3; do', PS2).run('echo "item $i"', PS2).run('done'),
  ),
  ...both('a here-document', s =>
    s.run('cat <<EOF', PS2).run('line one of the document', PS2).run('EOF'),
  ),
  // bash asks for bracketed paste: the block is one line of its editor, run at Enter. busybox does
  // not: each line runs as it arrives.
  ...both('a pasted block of commands, then Enter', s =>
    s
      .paste('echo pasted-1\recho pasted-2\recho pasted-3', /pasted-3$/)
      .type(enter),
  ).map(c =>
    c.shell === 'bash'
      ? fix('echo pasted-1\necho pasted-2\necho pasted-3')(c)
      : fix('echo pasted-1', 'echo pasted-2', 'echo pasted-3')(c),
  ),
  // Only where nothing brackets the paste: in bash the block waits in its editor for an Enter of its
  // own (the case above).
  corpusCase('sh', 'a pasted block ending in Enter', s =>
    s
      .paste('echo fast-1\recho fast-2\r', /fast-2\n[\s\S]*[#$] $/)
      .expect('echo fast-1', 'echo fast-2'),
  ),
  corpusCase('bash', 'a bracketed paste of a script, then Enter', s =>
    s
      .paste(`${KEY.pasteStart}echo b1\recho b2\r${KEY.pasteEnd}`, /b2/)
      .type(enter)
      .expect('echo b1\necho b2'),
  ),
];

const programs: CorpusCase[] = [
  ...both('cat reads typed lines', s =>
    s
      .run('cat > typed.txt', /typed\.txt\n$/)
      .type(`first line of a file${enter}`, /file\n$/)
      .type(`password=hunter2-cat${enter}`, /cat\n$/)
      .type(KEY.ctrlD, 'prompt')
      .run('wc -l typed.txt')
      .secret('hunter2-cat')
      .secret('first line of a file'),
  ),
  ...both('read takes an answer', s =>
    s
      .run('read NAME', /NAME\n$/)
      .type(`Answer-Alice${enter}`, 'prompt')
      .run('echo "hi $NAME"')
      .secret('Answer-Alice'),
  ),
  ...both('read -s takes a secret', s =>
    s
      .run('read -s PW', /PW\n$/)
      .type(`s3cret-read-s${enter}`, 'prompt')
      .run('echo "${#PW}"')
      .secret('s3cret-read-s'),
  ),
  ...both('a password prompt that turns echo off', s =>
    s
      .run(
        `python3 -c 'import getpass; print(len(getpass.getpass()))'`,
        /Password: $/,
      )
      .type(`pw-getpass-9${enter}`, 'prompt')
      .run('echo after-getpass')
      .secret('pw-getpass-9'),
  ),
  ...both('a REPL', s =>
    s
      .run('python3 -q', PYTHON)
      .type(`repl_secret = 6 * 7${enter}`, PYTHON)
      .type(`print(repl_secret)${enter}`, PYTHON)
      .type(KEY.ctrlD, 'prompt')
      .run('echo after-python')
      .secret('repl_secret'),
  ),
  ...both('a paste into cat, then read -s', s =>
    s
      .run('cat > pasted.txt', /pasted\.txt\n$/)
      .paste(
        `${Array.from({ length: 40 }, (_, i) => `pasted file line ${i}`).join(
          '\r',
        )}\r`,
        /line 39\n$/,
      )
      .type(KEY.ctrlD, 'prompt')
      .run('read -s PW', /PW\n$/)
      .type(`s3cret-after-paste${enter}`, 'prompt')
      .run('echo done-after-paste')
      .secret('pasted file line')
      .secret('s3cret-after-paste'),
  ),
  ...both('a paste into cat with bracketed-paste markers, then read -s', s =>
    s
      .run('cat > marked.txt', /marked\.txt\n$/)
      .paste(
        `${KEY.pasteStart}${Array.from(
          { length: 25 },
          (_, i) => `marked line ${i}`,
        ).join('\r')}\r${KEY.pasteEnd}`,
        /line 24/,
      )
      .type(enter, 'quiet')
      .type(KEY.ctrlD, 'prompt')
      .run('read -s PW', /PW\n$/)
      .type(`s3cret-after-markers${enter}`, 'prompt')
      .run('echo done-after-markers')
      .secret('marked line')
      .secret('s3cret-after-markers'),
  ),
  ...both('a typed line answered by head', s =>
    s
      .run('head -n 1', /head -n 1\n$/)
      .type(`only-line-for-head${enter}`, 'prompt')
      .run('echo after-head')
      .secret('only-line-for-head'),
  ),
  ...both('Ctrl-C stops a running command', s =>
    s
      .run('sleep 30', /sleep 30\n$/)
      .type(KEY.ctrlC, 'prompt')
      .run('echo after-interrupt'),
  ),
  ...both('Ctrl-Z and fg', s =>
    s
      .run('sleep 30', /sleep 30\n$/)
      .type(KEY.ctrlZ, 'prompt')
      .run('jobs')
      .run('fg', /sleep 30\n$/)
      .type(KEY.ctrlC, 'prompt')
      .run('echo after-fg'),
  ),
  ...both('less on the alternate screen', s =>
    s
      .run('seq 1 500 | less', /^\s*\d+\n/m)
      .type('/250')
      .type(enter, /250/)
      .type('q', 'prompt')
      .run('echo after-less'),
  ),
  ...both('vi on the alternate screen', s =>
    s
      .run('vi notes.txt', /~/)
      .type(`isecret-typed-in-vi${KEY.enter}more text`)
      .type(`\x1b:wq${enter}`, 'prompt')
      .run('cat notes.txt')
      .secret('secret-typed-in-vi'),
  ),
  ...both('top, then q', s =>
    s.run('top', /PID/).pause(300).type('q', 'prompt').run('echo after-top'),
  ),
];

const timing: CorpusCase[] = [
  ...both('a command typed ahead while another runs', s =>
    s
      .run('sleep 1', /sleep 1\n$/)
      .typeAhead(`echo typed-ahead${enter}`)
      .type('', /typed-ahead\n[\s\S]*[#$] $/),
  ).map(fix('sleep 1', 'echo typed-ahead')),
  ...both('a command typed while output floods', s =>
    s
      .run('seq 1 200000', /\d{4}/)
      .type(`echo typed-in-flood${enter}`, /typed-in-flood\n[\s\S]*[#$] $/),
  ).map(fix('seq 1 200000', 'echo typed-in-flood')),
  ...both('commands typed fast, one after another', s =>
    s
      .typeAhead(`echo quick-1${enter}echo quick-2${enter}echo quick-3${enter}`)
      .type('', /quick-3\n[\s\S]*[#$] $/),
  ).map(fix('echo quick-1', 'echo quick-2', 'echo quick-3')),
  ...both('a password typed ahead of its prompt', s =>
    s
      .run('sleep 0.5; read -s PW; echo "got ${#PW}"', /#PW}\n?"\n$/)
      .typeAhead(`early-secret-7${enter}`)
      .type('', /got 14\n[\s\S]*[#$] $/)
      .run('echo after-early')
      .secret('early-secret-7'),
  ),
];

const nested: CorpusCase[] = [
  corpusCase(
    'bash',
    'bash inside bash',
    s =>
      s
        .run('bash')
        .run('echo in-inner-bash')
        .run('exit')
        .run('echo back-in-outer'),
    { nested: 'bash' },
  ),
  corpusCase(
    'bash',
    'busybox ash inside bash',
    s =>
      s
        .run('ash')
        .run('echo in-ash')
        .run('cat > from-ash.txt', /txt\n$/)
        .type(`typed-into-cat-in-ash${enter}`, /ash\n$/)
        .type(KEY.ctrlD, 'prompt')
        .run('exit')
        .run('echo back-in-bash')
        .secret('typed-into-cat-in-ash'),
    { nested: 'sh' },
  ),
  corpusCase(
    'sh',
    'bash inside busybox ash',
    s =>
      s
        .run('bash5')
        .run('read -s PW', /PW\n$/)
        .type(`nested-secret-3${enter}`, 'prompt')
        .run('echo in-bash-in-ash')
        .run('exit')
        .run('echo back-in-ash')
        .secret('nested-secret-3'),
    { nested: 'bash' },
  ),
  corpusCase(
    'sh',
    'ash inside ash',
    s =>
      s
        .run('sh')
        .run('echo in-inner-ash')
        .type(KEY.ctrlD, 'prompt')
        .run('echo back-in-outer-ash'),
    { nested: 'sh' },
  ),
  corpusCase(
    'bash',
    'three shells deep',
    s =>
      s
        .run('ash')
        .run('bash')
        .run('echo three-deep')
        .run('exit')
        .run('exit')
        .run('echo top-again'),
    { nested: 'sh' },
  ),
];

const bashOnly: CorpusCase[] = [
  corpusCase('bash', 'reverse search with Ctrl-R', s =>
    s
      .run('echo needle-one')
      .run('echo other')
      .type(KEY.ctrlR)
      .type('needle')
      .type(enter)
      .expect('echo needle-one'),
  ),
  corpusCase('bash', 'Ctrl-A and Ctrl-E', s =>
    s
      .type('cho start')
      .type(KEY.ctrlA)
      .type('e')
      .type(KEY.ctrlE)
      .type(`-stop${enter}`)
      .expect('echo start-stop'),
  ),
];

/**
 * bash's `read -e` reads with readline, which turns bracketed paste on as it does for commands: the
 * answer is recorded, marked uncertain, as its prompt is not the shell's.
 */
const bashReadLine = [
  corpusCase('bash', 'read -e, which uses the line editor for a program', s =>
    s
      .run('read -e -p "value: " V', /value: $/)
      .type(`edited-answer${enter}`, 'prompt')
      .run('echo "$V"'),
  ),
  corpusCase('bash', 'read -e without a prompt of its own', s =>
    s
      .run('read -e V', 'quiet')
      .type(`plain-answer${enter}`, 'prompt')
      .run('echo "$V"'),
  ),
];

const ALL = [
  ...basics,
  ...editing,
  ...multiLine,
  ...programs,
  ...timing,
  ...nested,
  ...bashOnly,
  ...bashReadLine,
];

export const CORPUS: CorpusCase[] = ALL;
