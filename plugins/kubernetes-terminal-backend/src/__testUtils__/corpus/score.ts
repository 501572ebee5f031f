import type { CorpusCase, CorpusShell } from './corpusCase';

export interface RecordedLine {
  command: string;
  uncertain: boolean;
}

export interface CaseScore {
  case: CorpusCase;
  recorded: RecordedLine[];
  /** Expected commands recorded, in order. */
  truePositives: number;
  /**
   * Recorded as a command, but not a command of the case (a line of program input, a cancelled line, a
   * duplicate).
   */
  falsePositives: string[];
  /** Recorded marked uncertain, and not a command of the case: allowed, and shown apart. */
  uncertainNotCommands: string[];
  /** Commands of the case that were not recorded. */
  missed: string[];
  /** Recorded commands that hold a secret of the case. */
  leaks: string[];
  uncertain: number;
  /** The end of what the client was shown, to read a failure by. */
  outputTail: string;
  /** Why the case could not be played to its end. */
  error?: string;
}

/** Matches recorded to expected commands in order (longest common subsequence). */
export function scoreCase(
  c: CorpusCase,
  recorded: RecordedLine[],
  output: string,
  error?: string,
): CaseScore {
  const a = c.commands;
  const b = recorded.map(r => r.command);
  const lcs: number[][] = Array.from({ length: a.length + 1 }, () =>
    new Array(b.length + 1).fill(0),
  );
  for (let i = a.length - 1; i >= 0; i--) {
    for (let j = b.length - 1; j >= 0; j--) {
      lcs[i][j] =
        a[i] === b[j]
          ? lcs[i + 1][j + 1] + 1
          : Math.max(lcs[i + 1][j], lcs[i][j + 1]);
    }
  }
  const missed: string[] = [];
  const falsePositives: string[] = [];
  const uncertainNotCommands: string[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    if (i < a.length && j < b.length && a[i] === b[j]) {
      i++;
      j++;
    } else if (
      j < b.length &&
      (i >= a.length || lcs[i][j + 1] >= lcs[i + 1][j])
    ) {
      if (recorded[j].uncertain) uncertainNotCommands.push(b[j++]);
      else falsePositives.push(b[j++]);
    } else {
      missed.push(a[i++]);
    }
  }
  return {
    case: c,
    recorded,
    truePositives: lcs[0][0],
    falsePositives,
    uncertainNotCommands,
    missed,
    leaks: b.filter(command => c.secrets.some(s => command.includes(s))),
    uncertain: recorded.filter(r => r.uncertain).length,
    outputTail: output.slice(-400),
    error,
  };
}

export interface ShellFigures {
  sessions: number;
  commands: number;
  truePositives: number;
  falsePositives: number;
  missed: number;
  uncertain: number;
  /** Of those marked uncertain, how many were not commands. */
  uncertainNotCommands: number;
  /** Of the lines recorded as commands (not marked uncertain), the share that were. */
  precision: number;
  recall: number;
}

export interface CorpusSummary {
  byShell: Record<CorpusShell, ShellFigures>;
  /** Nested cases again, by the inner shell. */
  nested: Record<string, ShellFigures>;
  failures: string[];
  errors: string[];
  leaks: string[];
}

function figures(scores: CaseScore[]): ShellFigures {
  const sum = (f: (s: CaseScore) => number) =>
    scores.reduce((n, s) => n + f(s), 0);
  const truePositives = sum(s => s.truePositives);
  const falsePositives = sum(s => s.falsePositives.length);
  const commands = sum(s => s.case.commands.length);
  return {
    sessions: scores.length,
    commands,
    truePositives,
    falsePositives,
    missed: sum(s => s.missed.length),
    uncertain: sum(s => s.uncertain),
    uncertainNotCommands: sum(s => s.uncertainNotCommands.length),
    precision:
      truePositives + falsePositives === 0
        ? 1
        : truePositives / (truePositives + falsePositives),
    recall: commands === 0 ? 1 : truePositives / commands,
  };
}

export function summarize(scores: CaseScore[]): CorpusSummary {
  const nestedKinds = [
    ...new Set(scores.map(s => s.case.nested).filter(Boolean)),
  ] as string[];
  return {
    byShell: {
      bash: figures(scores.filter(s => s.case.shell === 'bash')),
      sh: figures(scores.filter(s => s.case.shell === 'sh')),
    },
    nested: Object.fromEntries(
      nestedKinds.map(kind => [
        kind,
        figures(scores.filter(s => s.case.nested === kind)),
      ]),
    ),
    failures: scores
      .filter(
        s =>
          s.falsePositives.length ||
          s.missed.length ||
          s.uncertainNotCommands.length,
      )
      .map(
        s =>
          `${s.case.shell}: "${s.case.name}": missed ${JSON.stringify(
            s.missed,
          )}, not commands ${JSON.stringify(
            s.falsePositives,
          )}, marked uncertain and not commands ${JSON.stringify(
            s.uncertainNotCommands,
          )}; shown last: ${JSON.stringify(s.outputTail.slice(-200))}`,
      ),
    errors: scores
      .filter(s => s.error)
      .map(s => `${s.case.shell}: "${s.case.name}": ${s.error}`),
    leaks: scores.flatMap(s =>
      s.leaks.map(l => `${s.case.shell}: "${s.case.name}": ${l}`),
    ),
  };
}

const percent = (x: number) => `${(x * 100).toFixed(1)} %`;

export function formatSummary(summary: CorpusSummary): string {
  const row = (name: string, f: ShellFigures) =>
    `${name.padEnd(16)} ${String(f.sessions).padStart(8)} ${String(
      f.commands,
    ).padStart(8)} ${String(f.falsePositives).padStart(6)} ${String(
      f.missed,
    ).padStart(6)} ${`${f.uncertain} (${f.uncertainNotCommands})`.padStart(
      13,
    )} ${percent(f.precision).padStart(9)} ${percent(f.recall).padStart(8)}`;
  return [
    'command audit corpus      sessions commands  false missed uncertain (not commands) precision   recall',
    row('bash', summary.byShell.bash),
    row('sh (busybox ash)', summary.byShell.sh),
    ...Object.entries(summary.nested).map(([kind, f]) =>
      row(`  nested ${kind}`, f),
    ),
    ...summary.failures.map(f => `  ${f}`),
    ...summary.errors.map(e => `  could not be played: ${e}`),
  ].join('\n');
}
