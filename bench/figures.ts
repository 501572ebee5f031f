/*
 * What the bench reports: every figure of the table and its target, each defined once, from what the
 * phases of bench/run.ts measured (a phase left out with --only shows as "not run"). A target is data
 * (a list of bounds), so the text the table shows and the test that says met / NO come from the same
 * numbers.
 */
import type { IdleAtScale, SlowConsumer } from './scale';
import {
  type BulkTty,
  type Comparison,
  type RecordingSize,
  MiB,
  median,
} from './workloads';

/** The sizes of a run (quick or full). */
export interface Params {
  keystrokes: number;
  echoRuns: number;
  bulkBytes: number;
  bulkRuns: number;
  promptRuns: number;
  idleSessions: number[];
  typingFraction: number;
  keysPerTypist: number;
  typingRounds: number;
  floodBytes: number;
  slowMs: number;
}

/** bench/recorderCost.ts's answer. */
export interface RecorderCost {
  heapKiB: number;
  externalKiB: number;
  awakeHeapKiB: number;
  awakeExternalKiB: number;
  zeros: { cpuMsPerMiB: number; mibps: number };
  text: { cpuMsPerMiB: number; mibps: number };
  awake: {
    zeros: { cpuMsPerMiB: number; mibps: number };
    text: { cpuMsPerMiB: number; mibps: number };
  };
  cpuMsPerKey: number;
  cpuMsPerKeyIntoCat: number;
}

export type Relay = 'ours' | 'proxy';
type Main = 'direct' | 'ours' | 'proxy';

/** What the phases measured; a phase not run leaves its part undefined. */
export interface Results {
  echo?: Record<Main, { p50: number[]; p99: number[]; cpu: number[] }>;
  prompt?: { ms: Record<Main, number[]>; connected: number[] };
  tty?: Record<Main, BulkTty[]>;
  pipe?: Record<Main, number[]>;
  /** Non-TTY throughput of fresh processes of ours: relay alone, + command audit, + recording. */
  parts?: Record<'plain' | 'recorded' | 'sessionRecorded', number[]>;
  recorder?: RecorderCost;
  scale?: Record<Relay, IdleAtScale>;
  slow?: Record<Relay, SlowConsumer>;
  /** Commands recorded against `audit.commands: false`. */
  audit?: Comparison<'recorded' | 'plain'>;
  /** Sessions recorded against not. */
  recording?: Comparison<'sessionRecorded' | 'recorded'> & {
    bytes: number;
    cast: RecordingSize;
  };
}

// ---------------------------------------------------------------------------------------------
// Targets

/** Where a bound's right-hand side comes from: a number, or another path's figure (× `times`, + `plus`). */
type Rhs = number | { of: 'direct' | 'proxy'; times?: number; plus?: number };

/** `ours <op> rhs`. */
export interface Bound {
  op: '≤' | '<' | '≥';
  rhs: Rhs;
  /** Unit for the text of a bound with a number in it. */
  unit?: string;
}

const NAMES = { direct: 'direct', proxy: '/proxy' };

export function describeBound({ op, rhs, unit = '' }: Bound): string {
  if (typeof rhs === 'number') return `${op} ${rhs}${unit && ` ${unit}`}`;
  const name = NAMES[rhs.of];
  if (rhs.plus !== undefined)
    return `ours ${op} ${name} + ${rhs.plus}${unit && ` ${unit}`}`;
  if (rhs.times === undefined) return `ours ${op} ${name}`;
  return op === '≥' && rhs.times < 1
    ? `ours ≥ ${Math.round(rhs.times * 100)} % of ${name}`
    : `ours ${op} ${rhs.times} × ${name}`;
}

function holds(bound: Bound, ours: number, others: Record<string, Cell>) {
  const { rhs, op } = bound;
  let limit: number;
  if (typeof rhs === 'number') limit = rhs;
  else {
    const base = others[rhs.of];
    if (typeof base !== 'number' || !Number.isFinite(base)) return false;
    limit = base * (rhs.times ?? 1) + (rhs.plus ?? 0);
  }
  if (!Number.isFinite(ours)) return false;
  if (op === '≤') return ours <= limit;
  if (op === '<') return ours < limit;
  return ours >= limit;
}

// ---------------------------------------------------------------------------------------------
// Figures

export type Cell = number | string;

export interface Figure {
  label: string;
  unit: string;
  direct: Cell;
  ours: Cell;
  proxy: Cell;
  /** All must hold. */
  bounds?: Bound[];
  /** The number the bounds judge, where `ours` shows more than one (defaults to `ours`). */
  judged?: number;
  /** Ratios to direct are shown for numbers unless false. */
  ratio?: boolean;
  /** Whether the phase it comes from ran. */
  ran: boolean;
}

/** A figure's target and whether it is met, as the table shows them. */
export function judge(f: Figure): { target: string; met: string } {
  if (!f.bounds?.length) return { target: '—', met: '—' };
  const target = f.bounds.map(describeBound).join(', ');
  if (!f.ran) return { target, met: 'not run' };
  const ours = f.judged ?? (typeof f.ours === 'number' ? f.ours : NaN);
  const failed = f.bounds.filter(
    b => !holds(b, ours, { direct: f.direct, proxy: f.proxy }),
  );
  return {
    target,
    met: failed.length ? `NO (${failed.map(describeBound).join(', ')})` : 'yes',
  };
}

const NA = 'n/a';
const none = { direct: '—', proxy: '—' } as const;
const fixed = (x: number, digits = 1) =>
  Number.isFinite(x) ? x.toFixed(digits) : NA;

/** Every figure of the table, in order. */
export function figures(r: Results, p: Params): Figure[] {
  const echo = (path: Main, k: 'p50' | 'p99' | 'cpu') =>
    r.echo ? median(r.echo[path][k]) : NA;
  const tty = (path: Main, k: keyof BulkTty) =>
    r.tty ? median(r.tty[path].map(x => x[k])) : NA;
  const pipe = (path: Main) => (r.pipe ? median(r.pipe[path]) : NA);
  const prompt = (path: Main) => (r.prompt ? median(r.prompt.ms[path]) : NA);
  const typing = (path: Relay) => (r.scale ? r.scale[path].typing.p99 : NA);
  const slow = (path: Relay, k: 'maxGrowthMiB' | 'lost') =>
    r.slow ? r.slow[path][k] : NA;
  const typists = r.scale?.ours.typing;
  const a = r.audit?.overhead;
  const s = r.recording?.overhead;
  return [
    {
      label: `keystroke echo p50, ${p.keystrokes} keys`,
      unit: 'ms',
      direct: echo('direct', 'p50'),
      ours: echo('ours', 'p50'),
      proxy: echo('proxy', 'p50'),
      ran: !!r.echo,
    },
    {
      label: `keystroke echo p99, ${p.keystrokes} keys`,
      unit: 'ms',
      direct: echo('direct', 'p99'),
      ours: echo('ours', 'p99'),
      proxy: echo('proxy', 'p99'),
      bounds: [
        { op: '≤', rhs: { of: 'direct', plus: 0.5 }, unit: 'ms' },
        { op: '≤', rhs: { of: 'proxy' } },
      ],
      ran: !!r.echo,
    },
    {
      label: 'server CPU per keystroke (echo + ack)',
      unit: 'ms',
      direct: '—',
      ours: echo('ours', 'cpu'),
      proxy: echo('proxy', 'cpu'),
      bounds: [{ op: '≤', rhs: { of: 'proxy' } }],
      ratio: false,
      ran: !!r.echo,
    },
    {
      label: `bulk output, TTY, ${p.bulkBytes / MiB} MiB`,
      unit: 'MiB/s',
      direct: tty('direct', 'mibps'),
      ours: tty('ours', 'mibps'),
      proxy: tty('proxy', 'mibps'),
      bounds: [{ op: '≥', rhs: { of: 'proxy' } }],
      ran: !!r.tty,
    },
    {
      label: `bulk output, non-TTY, ${p.bulkBytes / MiB} MiB`,
      unit: 'MiB/s',
      direct: pipe('direct'),
      ours: pipe('ours'),
      proxy: pipe('proxy'),
      bounds: [{ op: '≥', rhs: { of: 'proxy', times: 0.9 } }],
      ran: !!r.pipe,
    },
    {
      label: `ours non-TTY ${
        p.bulkBytes / 2 / MiB
      } MiB, fresh processes: relay alone / + command audit / + session recording`,
      unit: 'MiB/s',
      ...none,
      ours: r.parts
        ? (['plain', 'recorded', 'sessionRecorded'] as const)
            .map(k => fixed(median(r.parts![k])))
            .join(' / ')
        : NA,
      ratio: false,
      ran: !!r.parts,
    },
    {
      label: 'server CPU per MiB of TTY output',
      unit: 'ms',
      direct: '—',
      ours: tty('ours', 'serverCpuMsPerMiB'),
      proxy: tty('proxy', 'serverCpuMsPerMiB'),
      bounds: [{ op: '≤', rhs: { of: 'proxy', times: 1.25 } }],
      ratio: false,
      ran: !!r.tty,
    },
    {
      label: 'sandbox CPU per MiB of TTY output',
      unit: 'ms',
      direct: tty('direct', 'sandboxCpuMsPerMiB'),
      ours: tty('ours', 'sandboxCpuMsPerMiB'),
      proxy: tty('proxy', 'sandboxCpuMsPerMiB'),
      ran: !!r.tty,
    },
    {
      label: 'bench client CPU per MiB of TTY output',
      unit: 'ms',
      direct: tty('direct', 'clientCpuMsPerMiB'),
      ours: tty('ours', 'clientCpuMsPerMiB'),
      proxy: tty('proxy', 'clientCpuMsPerMiB'),
      ran: !!r.tty,
    },
    {
      label: 'time to first prompt, existing pod',
      unit: 'ms',
      direct: prompt('direct'),
      ours: prompt('ours'),
      proxy: prompt('proxy'),
      bounds: [{ op: '≤', rhs: 150, unit: 'ms' }],
      ran: !!r.prompt,
    },
    ...p.idleSessions.flatMap((n, i): Figure[] => {
      const point = (path: Relay) => r.scale?.[path].points[i];
      const heap = (path: Relay) => {
        const x = point(path);
        return x ? x.heapKiB + x.externalKiB : NA;
      };
      return [
        {
          label: `server heap + external per idle session @${n}`,
          unit: 'KiB',
          direct: '—',
          ours: heap('ours'),
          proxy: heap('proxy'),
          bounds: [{ op: '≤', rhs: 64, unit: 'KiB' }],
          ratio: false,
          ran: !!r.scale,
        },
        {
          label: `server RSS per idle session @${n} (indicative)`,
          unit: 'KiB',
          direct: '—',
          ours: point('ours')?.rssKiB ?? NA,
          proxy: point('proxy')?.rssKiB ?? NA,
          ratio: false,
          ran: !!r.scale,
        },
      ];
    }),
    {
      label: typists
        ? `keystroke echo p99, ${typists.typists} of ${typists.sessions} sessions typing`
        : 'keystroke echo p99, sessions typing among many idle',
      unit: 'ms',
      direct: '—',
      ours: typing('ours'),
      proxy: typing('proxy'),
      bounds: [
        { op: '≤', rhs: { of: 'proxy' } },
        { op: '<', rhs: 5, unit: 'ms' },
      ],
      ratio: false,
      ran: !!r.scale,
    },
    {
      label: 'slow consumer (10 KB/s): server memory growth',
      unit: 'MiB',
      direct: '—',
      ours: slow('ours', 'maxGrowthMiB'),
      proxy: slow('proxy', 'maxGrowthMiB'),
      bounds: [{ op: '≤', rhs: 32, unit: 'MiB' }],
      ratio: false,
      ran: !!r.slow,
    },
    {
      label: `slow consumer: bytes of ${
        p.floodBytes / MiB
      } MiB lost after resuming`,
      unit: 'B',
      direct: '—',
      ours: slow('ours', 'lost'),
      proxy: slow('proxy', 'lost'),
      bounds: [{ op: '≤', rhs: 0 }],
      ratio: false,
      ran: !!r.slow,
    },
    {
      label:
        'session recording overhead: TTY throughput lost / CPU per MiB / CPU per key',
      unit: '%',
      ...none,
      ours: s
        ? `${fixed(s.mibps)} / ${fixed(s.cpuPerMiB)} / ${fixed(s.cpuPerKey)}${
            r.recording!.cast.truncated ? ' (recording truncated)' : ''
          }`
        : NA,
      judged: s?.mibps,
      bounds: [{ op: '≤', rhs: 5, unit: '% throughput lost' }],
      ratio: false,
      ran: !!s,
    },
    {
      label:
        'command audit overhead: TTY throughput lost / CPU per MiB / CPU per key',
      unit: '%',
      ...none,
      ours: a
        ? `${fixed(a.mibps)} / ${fixed(a.cpuPerMiB)} / ${fixed(a.cpuPerKey)}`
        : NA,
      // Judged on bulk output: throughput and CPU per MiB (the per-key figure is shown).
      judged: a ? Math.max(a.mibps, a.cpuPerMiB) : undefined,
      bounds: [
        { op: '≤', rhs: 5, unit: '% (throughput lost and CPU per MiB)' },
      ],
      ratio: false,
      ran: !!a,
    },
    {
      label: 'ours: command recorder alone, heap + external per idle session',
      unit: 'KiB',
      ...none,
      ours: r.recorder ? r.recorder.heapKiB + r.recorder.externalKiB : NA,
      ratio: false,
      ran: !!r.recorder,
    },
    {
      label: 'ours: command recorder alone, CPU per MiB (NULs / text)',
      unit: 'ms',
      ...none,
      ours: r.recorder
        ? `${fixed(r.recorder.zeros.cpuMsPerMiB)} / ${fixed(
            r.recorder.text.cpuMsPerMiB,
          )}`
        : NA,
      ratio: false,
      ran: !!r.recorder,
    },
    {
      label:
        'ours: command recorder alone, CPU per key typed at a prompt / into cat',
      unit: 'µs',
      ...none,
      ours: r.recorder
        ? `${fixed(r.recorder.cpuMsPerKey * 1000)} / ${fixed(
            r.recorder.cpuMsPerKeyIntoCat * 1000,
          )}`
        : NA,
      ratio: false,
      ran: !!r.recorder,
    },
  ];
}
