/*
 * The bench's report: the table of figures with their targets (bench/figures.ts), printed, and with a
 * chart and the raw figures of every run, written to docs/benchmarks.md.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  type Cell,
  type Figure,
  type Params,
  type Results,
  judge,
} from './figures';
import { log } from './processes';
import { MiB, median } from './workloads';

const ROOT = path.resolve(__dirname, '..');
const MAIN = ['direct', 'ours', 'proxy'] as const;
const RELAYS = ['ours', 'proxy'] as const;

export const fmt = (x: Cell, digits = 2) =>
  typeof x === 'string' ? x : Number.isFinite(x) ? x.toFixed(digits) : 'n/a';

const ratio = (x: Cell, d: Cell) =>
  typeof x === 'number' &&
  typeof d === 'number' &&
  Number.isFinite(x) &&
  Number.isFinite(d) &&
  d !== 0
    ? `${(x / d).toFixed(2)}×`
    : '—';

/** The table's cells, heading first. */
export function table(figures: Figure[]): string[][] {
  const head = [
    'figure',
    'direct',
    'ours',
    'ours/direct',
    'k8s-backend /proxy',
    'proxy/direct',
    'target',
    'met?',
  ];
  const body = figures.map(f => {
    const { target, met } = judge(f);
    return [
      `${f.label} (${f.unit})`,
      fmt(f.direct),
      fmt(f.ours),
      f.ratio === false ? '—' : ratio(f.ours, f.direct),
      fmt(f.proxy),
      f.ratio === false ? '—' : ratio(f.proxy, f.direct),
      target,
      met,
    ];
  });
  return [head, ...body];
}

export function toText(cells: string[][]): string {
  const widths = cells[0].map((_, i) =>
    Math.max(...cells.map(r => r[i].length)),
  );
  return cells
    .map(r => r.map((c, i) => c.padEnd(widths[i])).join('  '))
    .join('\n');
}

function toMarkdown(cells: string[][]): string {
  const [head, ...body] = cells;
  return [
    `| ${head.join(' | ')} |`,
    `|${head.map(() => '---').join('|')}|`,
    ...body.map(r => `| ${r.join(' | ')} |`),
  ].join('\n');
}

function bar(label: string, value: number, max: number, unit: string) {
  const width = 40;
  const n = Number.isFinite(value)
    ? Math.max(0, Math.min(width, Math.round((value / max) * width)))
    : 0;
  return `${label.padEnd(22)} ${'█'.repeat(n)}${' '.repeat(width - n)} ${fmt(
    value,
  )} ${unit}`;
}

function chart(r: Results): string {
  const lines = ['```'];
  if (r.echo) {
    const echo = r.echo;
    const max = Math.max(...MAIN.map(p => median(echo[p].p99)));
    lines.push(
      'keystroke echo round trip (ms, lower is better)',
      ...MAIN.flatMap(p => [
        bar(`${p} p50`, median(echo[p].p50), max, 'ms'),
        bar(`${p} p99`, median(echo[p].p99), max, 'ms'),
      ]),
      '',
    );
  }
  if (r.tty && r.pipe) {
    const tty = r.tty;
    const pipe = r.pipe;
    const ttyMiBps = (p: (typeof MAIN)[number]) =>
      median(tty[p].map(x => x.mibps));
    const max = Math.max(
      ...MAIN.map(ttyMiBps),
      ...MAIN.map(p => median(pipe[p])),
    );
    lines.push(
      'bulk output (MiB/s, higher is better)',
      ...MAIN.map(p => bar(`${p} TTY`, ttyMiBps(p), max, 'MiB/s')),
      ...MAIN.map(p => bar(`${p} non-TTY`, median(pipe[p]), max, 'MiB/s')),
      '',
    );
  }
  if (r.prompt) {
    const prompt = r.prompt;
    const max = Math.max(...MAIN.map(p => median(prompt.ms[p])));
    lines.push(
      'time to first prompt (ms, lower is better)',
      ...MAIN.map(p => bar(p, median(prompt.ms[p]), max, 'ms')),
    );
  }
  lines.push('```');
  return lines.join('\n');
}

/** Every run's figures, for whoever wants more than medians. */
function raw(r: Results): string[] {
  const f = (xs: number[], digits = 3) =>
    xs.map(x => fmt(x, digits)).join(', ');
  const lines: string[] = [];
  if (r.echo)
    for (const p of MAIN)
      lines.push(
        `- keystroke ${p}, per run: p50 ${f(r.echo[p].p50)} ms; p99 ${f(
          r.echo[p].p99,
        )} ms; server CPU ${f(r.echo[p].cpu)} ms/key`,
      );
  if (r.prompt) {
    for (const p of MAIN)
      lines.push(`- first prompt ${p} (ms): ${f(r.prompt.ms[p], 1)}`);
    lines.push(
      `- ours' \`connected\` message at median ${fmt(
        median(r.prompt.connected),
        1,
      )} ms`,
    );
  }
  if (r.tty)
    for (const p of MAIN) {
      const runs = r.tty[p];
      lines.push(
        `- TTY bulk ${p} (MiB/s): ${f(
          runs.map(x => x.mibps),
          1,
        )}; server CPU ${f(
          runs.map(x => x.serverCpuMsPerMiB),
          1,
        )} ms/MiB; sandbox CPU ${f(
          runs.map(x => x.sandboxCpuMsPerMiB),
          1,
        )} ms/MiB; client CPU ${f(
          runs.map(x => x.clientCpuMsPerMiB),
          1,
        )} ms/MiB`,
      );
    }
  if (r.pipe)
    lines.push(
      `- non-TTY bulk (MiB/s): ${MAIN.map(p => `${p} ${f(r.pipe![p], 1)}`).join(
        '; ',
      )}`,
    );
  if (r.parts)
    lines.push(
      `- ours non-TTY on fresh processes (MiB/s): relay alone ${f(
        r.parts.plain,
        1,
      )}, with command audit ${f(
        r.parts.recorded,
        1,
      )}, with session recording too ${f(r.parts.sessionRecorded, 1)}`,
    );
  if (r.scale)
    for (const p of RELAYS) {
      const m = r.scale[p];
      const t = m.typing;
      lines.push(
        `- ${p} per idle session: ${m.points
          .map(
            x =>
              `@${x.sessions} heap ${fmt(x.heapKiB, 1)} + external ${fmt(
                x.externalKiB,
                1,
              )} KiB (rss ${fmt(x.rssKiB, 0)} KiB)`,
          )
          .join('; ')}; heap still above the baseline after closing all: ${fmt(
          m.heapLeftAfterCloseKiB,
          0,
        )} KiB (1 s), ${fmt(m.heapLeftLaterKiB, 0)} KiB (${
          m.laterSeconds
        } s); forced GC: ${m.gc}`,
        `- ${p} typing: ${t.typists} of ${t.sessions} sessions, ${
          t.samples
        } keys a round, p99 of the rounds ${t.roundsP99
          .map(x => fmt(x))
          .join(' / ')} ms, median round p50 ${fmt(t.p50)} ms, p99 ${fmt(
          t.p99,
        )} ms, max ${fmt(t.max)} ms, server CPU ${fmt(
          t.serverCpuPercent,
          0,
        )} % of a core, server event-loop delay p99 ${fmt(
          t.loopDelay.p99,
          1,
        )} ms, max ${fmt(t.loopDelay.max, 1)} ms, longest GC pause ${fmt(
          t.loopDelay.gcMaxMs,
          1,
        )} ms; sandbox event-loop delay max ${fmt(
          t.sandboxLoopDelay?.max ?? NaN,
          1,
        )} ms`,
      );
    }
  if (r.slow)
    for (const p of RELAYS) {
      const x = r.slow[p];
      lines.push(
        `- slow consumer ${p}: ${fmt(
          x.floodBytes / MiB,
          0,
        )} MiB flood, read ${fmt(x.readKBps, 1)} KB/s for ${fmt(
          x.slowSeconds,
          1,
        )} s; server heap+external grew ≤ ${fmt(
          x.maxGrowthMiB,
        )} MiB (rss ≤ ${fmt(x.maxRssGrowthMiB, 1)} MiB); ${
          x.lost
        } bytes lost; the rest arrived in ${fmt(x.drainMs, 0)} ms`,
      );
    }
  if (r.audit) {
    const runs = r.audit.runs;
    for (const p of ['recorded', 'plain'] as const)
      lines.push(
        `- ${
          p === 'recorded' ? 'commands recorded' : 'audit.commands: false'
        }: TTY bulk ${f(
          runs[p].tty.map(x => x.mibps),
          1,
        )} MiB/s, server CPU ${f(
          runs[p].tty.map(x => x.serverCpuMsPerMiB),
          1,
        )} ms/MiB, ${f(runs[p].cpuKey)} ms/key`,
      );
  }
  if (r.recording) {
    const { runs, bytes, cast } = r.recording;
    for (const p of ['sessionRecorded', 'recorded'] as const)
      lines.push(
        `- ${
          p === 'sessionRecorded' ? 'sessions recorded' : 'recording off'
        }: TTY bulk of ${fmt(bytes / MiB, 0)} MiB ${f(
          runs[p].tty.map(x => x.mibps),
          1,
        )} MiB/s, server CPU ${f(
          runs[p].tty.map(x => x.serverCpuMsPerMiB),
          1,
        )} ms/MiB, ${f(runs[p].cpuKey)} ms/key`,
      );
    lines.push(
      `- a bulk run's recording: ${fmt(cast.bytes / MiB, 1)} MiB stored${
        cast.truncated ? ', truncated' : ', complete'
      }`,
    );
  }
  if (r.recorder) {
    const x = r.recorder;
    lines.push(
      `- command recorder alone (bench/recorderCost.ts): heap ${fmt(
        x.heapKiB,
        1,
      )} KiB + external ${fmt(x.externalKiB, 1)} KiB per idle recorder; ${fmt(
        x.zeros.cpuMsPerMiB,
        1,
      )} ms CPU/MiB of NULs (${fmt(x.zeros.mibps, 0)} MiB/s on one core), ${fmt(
        x.text.cpuMsPerMiB,
        1,
      )} ms CPU/MiB of 80-column text lines`,
    );
  }
  return lines;
}

function sh(cmd: string): string {
  try {
    return require('node:child_process')
      .execSync(cmd, { encoding: 'utf8' })
      .trimEnd();
  } catch {
    return '(unavailable)';
  }
}

/** Replaces the generated section of docs/benchmarks.md with this run's figures. */
export function writeDoc(options: {
  results: Results;
  figures: Figure[];
  params: Params;
  quick: boolean;
  phases: string[];
}) {
  const { results, figures, params, quick, phases } = options;
  const file = path.join(ROOT, 'docs/benchmarks.md');
  const machine = [
    `- date: ${new Date().toISOString()}`,
    `- mode: **${quick ? 'quick' : 'full'}** (\`${JSON.stringify(params)}\`)`,
    `- phases: ${phases.join(', ')}`,
    `- node ${process.version}, ${os.platform()} ${os.release()}`,
    `- nproc: ${sh('nproc')}, CPU: ${os.cpus()[0]?.model ?? '?'}`,
    '- free -h:',
    '',
    '```',
    sh('free -h'),
    '```',
  ].join('\n');
  const generated = `<!-- BEGIN GENERATED by bench/run.ts -->
## Latest run (${
    quick
      ? 'QUICK mode — smoke figures from few samples; run `yarn bench` for the real ones'
      : 'full mode'
  })

${machine}

${toMarkdown(table(figures))}

${chart(results)}

Raw figures:

${raw(results).join('\n')}
<!-- END GENERATED -->`;
  let doc = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '';
  doc = doc.includes('<!-- BEGIN GENERATED')
    ? doc.replace(
        /<!-- BEGIN GENERATED[\s\S]*<!-- END GENERATED -->/,
        () => generated,
      )
    : `# Terminal benchmarks\n\n${generated}\n`;
  // Formatted like the rest of the repo, so `yarn prettier:check` stays green after a run.
  try {
    const prettier = require('prettier');
    doc = prettier.format(doc, {
      ...prettier.resolveConfig.sync(file),
      filepath: file,
    });
  } catch (error) {
    log(`could not format ${file} with prettier: ${error}`);
  }
  fs.writeFileSync(file, doc);
  log(`wrote ${path.relative(ROOT, file)}`);
}
