/*
 * Terminal performance bench (issue 6): the same workloads on the same sandbox pod, over
 *   direct — @kubernetes/client-node exec (v5.channel.k8s.io WebSocket) straight to the sandbox, the floor;
 *   ours   — POST /api/kubernetes-terminal/sessions + the terminal WebSocket through our backend.
 * The sandbox and the backend each run in a child process of their own; this process is the client.
 *
 *   yarn bench            full run (a few minutes), writes docs/benchmarks.md
 *   yarn bench --quick    < 1 minute, proves the suite works; no timing assertions; prints the table only
 *                         (--write puts it in docs/benchmarks.md, labelled quick; full mode: --no-write)
 */
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { kubeConfig } from './clients';
import {
  type IdleAtScale,
  type SlowConsumer,
  idleAtScale,
  slowConsumer,
} from './scale';
import {
  BackendProcess,
  oursOptions,
  firstLine,
  log,
  sleep,
  startChild,
} from './processes';
import {
  type Ctx,
  type Path,
  MiB,
  PATHS,
  RELAYS,
  bulkPipe,
  bulkTty,
  compare,
  firstPrompt,
  keystrokeEcho,
  lastRecordingBytes,
  median,
  openBash,
  openShell,
  quantile,
} from './workloads';

const ROOT = path.resolve(__dirname, '..');

const argv = process.argv.slice(2);
const QUICK = argv.includes('--quick');
// Quick figures are smoke figures: they only replace the full ones in the doc when asked to (--write).
const WRITE_DOC = QUICK
  ? argv.includes('--write')
  : !argv.includes('--no-write');
const P0 = QUICK
  ? {
      keystrokes: 100,
      echoRuns: 3,
      bulkBytes: 16 * MiB,
      bulkRuns: 3,
      promptRuns: 5,
      idleSessions: [30],
      typingFraction: 0.1,
      keysPerTypist: 20,
      typingRounds: 1,
      floodBytes: 8 * MiB,
      slowMs: 2000,
    }
  : {
      keystrokes: 1000,
      echoRuns: 5,
      bulkBytes: 256 * MiB,
      bulkRuns: 3,
      promptRuns: 15,
      idleSessions: [100, 500, 1000],
      typingFraction: 0.05,
      keysPerTypist: 100,
      typingRounds: 3,
      floodBytes: 32 * MiB,
      slowMs: 10_000,
    };
// For investigations: BENCH_IDLE_SESSIONS=100,1000 BENCH_TYPING_FRACTION=0.05 yarn bench --quick
const P = {
  ...P0,
  ...(process.env.BENCH_IDLE_SESSIONS && {
    idleSessions: process.env.BENCH_IDLE_SESSIONS.split(',').map(Number),
  }),
  ...(process.env.BENCH_TYPING_FRACTION && {
    typingFraction: Number(process.env.BENCH_TYPING_FRACTION),
  }),
};

// ---------------------------------------------------------------------------------------------
// Report

type Cell = number | string;
interface Row {
  figure: string;
  unit: string;
  direct: Cell;
  ours: Cell;
  proxy: Cell;
  target: string;
  met: string;
  /** Ratios to direct are shown for numbers unless false. */
  ratio?: boolean;
}

const fmt = (x: Cell, digits = 2) =>
  typeof x === 'string' ? x : Number.isFinite(x) ? x.toFixed(digits) : 'n/a';
const ratio = (x: Cell, d: Cell) =>
  typeof x === 'number' &&
  typeof d === 'number' &&
  Number.isFinite(x) &&
  Number.isFinite(d) &&
  d !== 0
    ? `${(x / d).toFixed(2)}×`
    : '—';

function table(rows: Row[]) {
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
  const body = rows.map(r => [
    `${r.figure} (${r.unit})`,
    fmt(r.direct),
    fmt(r.ours),
    r.ratio === false ? '—' : ratio(r.ours, r.direct),
    fmt(r.proxy),
    r.ratio === false ? '—' : ratio(r.proxy, r.direct),
    r.target,
    r.met,
  ]);
  return [head, ...body];
}

function toMarkdown(cells: string[][]) {
  const [head, ...body] = cells;
  return [
    `| ${head.join(' | ')} |`,
    `|${head.map(() => '---').join('|')}|`,
    ...body.map(r => `| ${r.join(' | ')} |`),
  ].join('\n');
}

function toText(cells: string[][]) {
  const widths = cells[0].map((_, i) =>
    Math.max(...cells.map(r => r[i].length)),
  );
  return cells
    .map(r => r.map((c, i) => c.padEnd(widths[i])).join('  '))
    .join('\n');
}

function bar(
  label: string,
  value: number,
  max: number,
  unit: string,
  width = 40,
) {
  const n = Number.isFinite(value)
    ? Math.max(0, Math.min(width, Math.round((value / max) * width)))
    : 0;
  return `${label.padEnd(22)} ${'█'.repeat(n)}${' '.repeat(width - n)} ${fmt(
    value,
  )} ${unit}`;
}

// ---------------------------------------------------------------------------------------------

async function main() {
  const limit = setTimeout(
    () => {
      log('bench exceeded its time limit; giving up');
      process.exit(2);
    },
    QUICK && !process.env.BENCH_IDLE_SESSIONS ? 120_000 : 600_000,
  );
  limit.unref();

  log(`mode ${QUICK ? 'quick' : 'full'}: ${JSON.stringify(P)}`);
  // --expose-gc: the sandbox is collected, like the servers, before the typing under load starts.
  const sandboxChild = startChild('sandboxChild.ts', [], ['--expose-gc']);
  const children: ChildProcess[] = [sandboxChild];
  const servers: Partial<Ctx['servers']> = {};
  process.on('exit', () =>
    children.forEach(c => c.exitCode === null && c.kill('SIGKILL')),
  );
  try {
    const sandbox = JSON.parse(await firstLine(sandboxChild, 'sandbox'));
    log(`sandbox at ${sandbox.url} (pid ${sandboxChild.pid})`);
    [
      servers.ours,
      servers.proxy,
      servers.recorded,
      servers.plain,
      servers.sessionRecorded,
    ] = await Promise.all([
      BackendProcess.start('backendChild.ts', sandbox, oursOptions()),
      BackendProcess.start('proxyChild.ts', sandbox),
      BackendProcess.start('backendChild.ts', sandbox, {
        terminalConfig: { recording: { enabled: false } },
      }),
      BackendProcess.start('backendChild.ts', sandbox, {
        terminalConfig: {
          audit: { commands: false },
          recording: { enabled: false },
        },
      }),
      BackendProcess.start('backendChild.ts', sandbox, {
        terminalConfig: { recording: { maxSessionMegabytes: 4096 } },
      }),
    ]);
    children.push(
      ...[
        servers.ours,
        servers.proxy,
        servers.recorded,
        servers.plain,
        servers.sessionRecorded,
      ].map(s => s!.child),
    );
    log(
      `our backend on port ${servers.ours.port} (pid ${servers.ours.child.pid}); kubernetes-backend on port ${servers.proxy.port} (pid ${servers.proxy.child.pid})`,
    );

    const ctx: Ctx = {
      kc: {
        direct: kubeConfig(sandbox.url, 'sandbox-portal-token'),
        // = mockCredentials.user.header(); the proxy swaps it for the cluster's service account token.
        proxy: kubeConfig(
          `http://127.0.0.1:${servers.proxy.port}/api/kubernetes/proxy`,
          'mock-user-token',
        ),
      },
      servers: servers as Ctx['servers'],
      sandboxPid: sandboxChild.pid!,
    };
    const sandboxControl = new BackendProcess(sandboxChild, 0);

    // Smoke, and warm-up of every path (JIT, connection setup) before anything is timed.
    for (const p of PATHS) {
      await (await openShell(ctx, p)).close();
      await keystrokeEcho(ctx, p, 50, 0);
    }
    log('all paths reach the prompt and echo');

    // Idle memory first, before the bulk runs grow the heaps (RSS would then not move at all); with
    // the most sessions open, a share of them type.
    const mem = {} as Record<'ours' | 'proxy', IdleAtScale>;
    for (const p of RELAYS) {
      mem[p] = await idleAtScale(ctx.servers[p], p, () => openBash(ctx, p), {
        sandbox: sandboxControl,
        counts: P.idleSessions,
        typingFraction: P.typingFraction,
        keysPerTypist: P.keysPerTypist,
        typingRounds: P.typingRounds,
        laterSeconds: QUICK ? 2 : 5,
        settleMs: QUICK ? 1000 : 5000,
      });
      for (const point of mem[p].points)
        log(
          `idle memory ${p} at ${
            point.sessions
          } sessions: heap ${point.heapKiB.toFixed(
            1,
          )} KiB, external ${point.externalKiB.toFixed(
            1,
          )} KiB, rss ${point.rssKiB.toFixed(1)} KiB per session`,
        );
      const ty = mem[p].typing;
      const ld = ty.loopDelay;
      const sd = ty.sandboxLoopDelay;
      log(
        [
          `typing ${p}: ${ty.typists} of ${ty.sessions} sessions typing, ${ty.samples} keys a round`,
          `p99 of each round ${ty.roundsP99
            .map(x => x.toFixed(2))
            .join(' / ')} ms`,
          `median round: p50 ${ty.p50.toFixed(2)} ms, p99 ${ty.p99.toFixed(
            2,
          )} ms`,
          `max ${ty.max.toFixed(2)} ms`,
          `server CPU ${ty.serverCpuPercent.toFixed(0)} % of a core`,
          `server event-loop delay p99 ${ld.p99.toFixed(
            1,
          )} ms, max ${ld.max.toFixed(1)} ms`,
          `server GC ${ld.gcCount}× ${ld.gcMs.toFixed(
            0,
          )} ms (longest ${ld.gcMaxMs.toFixed(1)} ms; mark-compact ${
            ld.gcMajorCount
          }×, longest ${ld.gcMajorMaxMs.toFixed(1)} ms)`,
          `bench client's event-loop delay p99 ${ty.clientLoopDelay.p99.toFixed(
            1,
          )} ms, max ${ty.clientLoopDelay.max.toFixed(1)} ms`,
          sd
            ? `sandbox's event-loop delay p99 ${sd.p99.toFixed(
                1,
              )} ms, max ${sd.max.toFixed(
                1,
              )} ms, GC longest ${sd.gcMaxMs.toFixed(1)} ms`
            : 'sandbox not sampled',
          `heap above the baseline after closing all: ${mem[
            p
          ].heapLeftAfterCloseKiB.toFixed(0)} KiB after 1 s, ${mem[
            p
          ].heapLeftLaterKiB.toFixed(0)} KiB after ${mem[p].laterSeconds} s`,
        ].join('; '),
      );
    }

    // Let the sandbox reap the closed shells, and warm the echo path again, before timing anything.
    await sleep(2000);
    for (const p of PATHS) await keystrokeEcho(ctx, p, 200, 0);

    // Keystroke echo; the order of paths rotates between runs.
    const order = (r: number) =>
      PATHS.map((_, i) => PATHS[(i + r) % PATHS.length]);
    const echo = Object.fromEntries(
      PATHS.map(p => [
        p,
        { p50: [] as number[], p99: [] as number[], cpu: [] as number[] },
      ]),
    ) as Record<Path, { p50: number[]; p99: number[]; cpu: number[] }>;
    for (let r = 0; r < P.echoRuns; r++) {
      for (const p of order(r)) {
        const server = p === 'direct' ? undefined : ctx.servers[p];
        const run = () => keystrokeEcho(ctx, p, P.keystrokes);
        const res = server
          ? await server.profiled(`echo-${p}-${r + 1}`, run)
          : await run();
        const rtts = res.rtts.sort((a, b) => a - b);
        echo[p].p50.push(quantile(rtts, 0.5));
        echo[p].p99.push(quantile(rtts, 0.99));
        echo[p].cpu.push(res.serverCpuMsPerKey);
        log(
          `echo ${p} run ${r + 1}: p50 ${quantile(rtts, 0.5).toFixed(
            3,
          )} ms, p99 ${quantile(rtts, 0.99).toFixed(3)} ms, max ${rtts[
            rtts.length - 1
          ].toFixed(3)} ms, server CPU ${fmt(res.serverCpuMsPerKey, 3)} ms/key`,
        );
      }
    }

    // Time to first prompt
    const prompt = Object.fromEntries(
      PATHS.map(p => [p, [] as number[]]),
    ) as Record<Path, number[]>;
    const connected: number[] = [];
    for (let r = 0; r < P.promptRuns; r++) {
      for (const p of order(r)) {
        const res = await firstPrompt(ctx, p);
        prompt[p].push(res.ms);
        if (p === 'ours') connected.push(res.connected);
      }
    }
    log(
      `first prompt: ${PATHS.map(
        p => `${p} ${median(prompt[p]).toFixed(1)} ms`,
      ).join(', ')} (ours' connected message at ${median(connected).toFixed(
        1,
      )} ms)`,
    );

    // Bulk output
    const tty = Object.fromEntries(
      PATHS.map(p => [p, []]),
    ) as unknown as Record<Path, Array<Awaited<ReturnType<typeof bulkTty>>>>;
    for (let r = 0; r < P.bulkRuns; r++) {
      for (const p of order(r)) {
        const server = p === 'direct' ? undefined : ctx.servers[p];
        const run = () => bulkTty(ctx, p, P.bulkBytes);
        const res = server
          ? await server.profiled(`bulk-tty-${p}-${r + 1}`, run)
          : await run();
        tty[p].push(res);
        log(
          `tty bulk ${p} run ${r + 1}: ${res.mibps.toFixed(
            1,
          )} MiB/s (server ${fmt(
            res.serverCpuMsPerMiB,
            1,
          )} ms CPU/MiB, sandbox ${res.sandboxCpuMsPerMiB.toFixed(
            1,
          )}, client ${res.clientCpuMsPerMiB.toFixed(1)} ms CPU/MiB)`,
        );
      }
    }
    const pipe: Record<Path, number[]> = {
      plain: [],
      recorded: [],
      sessionRecorded: [],
      direct: [],
      ours: [],
      proxy: [],
    };
    for (let r = 0; r < P.bulkRuns; r++) {
      for (const p of order(r)) {
        const run = () => bulkPipe(ctx, p, P.bulkBytes);
        const res =
          p === 'direct'
            ? await run()
            : await ctx.servers[p].profiled(`bulk-pipe-${p}-${r + 1}`, run);
        pipe[p].push(res.mibps);
        log(
          `non-tty bulk ${p} run ${r + 1}: ${res.mibps.toFixed(
            1,
          )} MiB/s, first byte at ${res.firstByteMs.toFixed(
            0,
          )} ms (server ${fmt(
            res.serverCpuMsPerMiB,
            1,
          )}, sandbox ${res.sandboxCpuMsPerMiB.toFixed(
            1,
          )}, client ${res.clientCpuMsPerMiB.toFixed(1)} ms CPU/MiB)`,
        );
      }
    }

    // Attribution on the non-TTY path, on fresh processes of ours with the same (short) history, unlike
    // `ours`, which has held 1,000 sessions: the relay alone, with command audit, and with session
    // recording as well (ours' defaults).
    const PARTS = ['plain', 'recorded', 'sessionRecorded'] as const;
    for (const p of PARTS) await bulkPipe(ctx, p, 16 * MiB); // warm-up
    for (let r = 0; r < P.bulkRuns; r++) {
      for (const p of PARTS.map((_, i) => PARTS[(i + r) % PARTS.length])) {
        // Half the bulk: what sessionRecorded records stays in its SQLite for the overhead runs below.
        const res = await bulkPipe(ctx, p, P.bulkBytes / 2);
        pipe[p].push(res.mibps);
        log(
          `non-tty bulk, attribution, ${p} run ${r + 1}: ${res.mibps.toFixed(
            1,
          )} MiB/s (server ${fmt(res.serverCpuMsPerMiB, 1)} ms CPU/MiB)`,
        );
      }
    }

    // Attribution: the command recorder (@xterm/headless) alone, in a process of its own.
    const recChild = startChild(
      'recorderCost.ts',
      [String(P.idleSessions[0]), String(QUICK ? 16 : 64)],
      ['--expose-gc'],
    );
    type Cost = { cpuMsPerMiB: number; mibps: number };
    const rec = JSON.parse(await firstLine(recChild, 'recorderCost')) as {
      heapKiB: number;
      externalKiB: number;
      awakeHeapKiB: number;
      awakeExternalKiB: number;
      zeros: Cost;
      text: Cost;
      awake: { zeros: Cost; text: Cost };
      cpuMsPerKey: number;
      cpuMsPerKeyIntoCat: number;
    };
    log(
      `recorder alone: heap ${rec.heapKiB.toFixed(
        1,
      )} KiB + external ${rec.externalKiB.toFixed(
        1,
      )} KiB per idle recorder (awake: ${(
        rec.awakeHeapKiB + rec.awakeExternalKiB
      ).toFixed(0)} KiB); ${rec.zeros.cpuMsPerMiB.toFixed(
        1,
      )} ms CPU/MiB (NULs), ${rec.text.cpuMsPerMiB.toFixed(
        1,
      )} ms CPU/MiB (text lines); awake ${rec.awake.zeros.cpuMsPerMiB.toFixed(
        1,
      )} / ${rec.awake.text.cpuMsPerMiB.toFixed(1)} ms CPU/MiB; ${(
        rec.cpuMsPerKey * 1000
      ).toFixed(1)} µs CPU per key typed at a prompt, ${(
        rec.cpuMsPerKeyIntoCat * 1000
      ).toFixed(1)} into cat`,
    );

    // A consumer reading at 10 KB/s while the pod floods.
    const slow = {} as Record<'ours' | 'proxy', SlowConsumer>;
    for (const p of RELAYS) {
      slow[p] = await slowConsumer(ctx.servers[p], () => openBash(ctx, p), {
        floodBytes: P.floodBytes,
        slowMs: P.slowMs,
        bytesPerSecond: 10_000,
      });
      log(
        `slow consumer ${p}: read ${slow[p].readKBps.toFixed(
          1,
        )} KB/s for ${slow[p].slowSeconds.toFixed(
          1,
        )} s; server heap+external grew ≤ ${slow[p].maxGrowthMiB.toFixed(
          2,
        )} MiB, rss ≤ ${slow[p].maxRssGrowthMiB.toFixed(1)} MiB; then ${
          slow[p].lost
        } bytes missing, the rest in ${slow[p].drainMs.toFixed(0)} ms`,
      );
    }

    // What recording commands costs: ours against ours with audit.commands: false, interleaved.
    const { runs: audited, overhead } = await compare(
      ctx,
      ['recorded', 'plain'],
      {
        bytes: P.bulkBytes,
        runs: P.bulkRuns,
        keystrokes: P.keystrokes,
      },
    );
    log(
      `command audit overhead: throughput lost ${overhead.mibps.toFixed(
        1,
      )} %, CPU/MiB ${overhead.cpuPerMiB.toFixed(
        1,
      )} %, CPU/key ${overhead.cpuPerKey.toFixed(1)} %`,
    );
    // What session recording costs: the same with and without it. NULs are 6 bytes each in asciicast,
    // so a quarter of the bulk keeps the in-memory SQLite of the bench backend small.
    const recordBytes = P.bulkBytes / 4;
    const { runs: sessionRecorded, overhead: recordingOverhead } =
      await compare(ctx, ['sessionRecorded', 'recorded'], {
        bytes: recordBytes,
        runs: P.bulkRuns,
        keystrokes: P.keystrokes,
      });
    const castBytes = await lastRecordingBytes(ctx.servers.sessionRecorded);
    log(
      `session recording overhead: throughput lost ${recordingOverhead.mibps.toFixed(
        1,
      )} %, CPU/MiB ${recordingOverhead.cpuPerMiB.toFixed(
        1,
      )} %, CPU/key ${recordingOverhead.cpuPerKey.toFixed(
        1,
      )} %; last bulk recording ${(castBytes.bytes / MiB).toFixed(
        1,
      )} MiB stored${castBytes.truncated ? ' (TRUNCATED)' : ''}`,
    );

    // ------------------------------------------------------------------------------------------
    const med = (p: Path, k: 'p50' | 'p99' | 'cpu') => median(echo[p][k]);
    const ttyMed = (
      p: Path,
      k:
        | 'mibps'
        | 'serverCpuMsPerMiB'
        | 'sandboxCpuMsPerMiB'
        | 'clientCpuMsPerMiB',
    ) => median(tty[p].map(x => x[k]));
    const yesNo = (ok: boolean) => (ok ? 'yes' : 'NO');
    const added99 = (p: Path) => med(p, 'p99') - med('direct', 'p99');
    const rows: Row[] = [
      {
        figure: `keystroke echo p50, ${P.keystrokes} keys`,
        unit: 'ms',
        direct: med('direct', 'p50'),
        ours: med('ours', 'p50'),
        proxy: med('proxy', 'p50'),
        target: '—',
        met: '—',
      },
      {
        figure: `keystroke echo p99, ${P.keystrokes} keys`,
        unit: 'ms',
        direct: med('direct', 'p99'),
        ours: med('ours', 'p99'),
        proxy: med('proxy', 'p99'),
        target: 'ours adds ≤ 0.5 ms',
        met: `${yesNo(added99('ours') <= 0.5)} (+${added99('ours').toFixed(
          2,
        )} ms)`,
      },
      {
        figure: 'server CPU per keystroke (echo + ack)',
        unit: 'ms',
        direct: '—',
        ours: med('ours', 'cpu'),
        proxy: med('proxy', 'cpu'),
        target: '—',
        met: '—',
      },
      {
        figure: `bulk output, TTY, ${P.bulkBytes / MiB} MiB`,
        unit: 'MiB/s',
        direct: ttyMed('direct', 'mibps'),
        ours: ttyMed('ours', 'mibps'),
        proxy: ttyMed('proxy', 'mibps'),
        target: '—',
        met: '—',
      },
      {
        figure: `bulk output, non-TTY, ${P.bulkBytes / MiB} MiB`,
        unit: 'MiB/s',
        direct: median(pipe.direct),
        ours: median(pipe.ours),
        proxy: median(pipe.proxy),
        target: 'ours ≥ 95 % of direct, ≥ 90 % of /proxy',
        met: yesNo(
          median(pipe.ours) >= 0.95 * median(pipe.direct) &&
            median(pipe.ours) >= 0.9 * median(pipe.proxy),
        ),
      },
      {
        figure: `ours non-TTY ${
          P.bulkBytes / 2 / MiB
        } MiB, fresh processes: relay alone / + command audit / + session recording`,
        unit: 'MiB/s',
        direct: '—',
        ours: PARTS.map(p => median(pipe[p]).toFixed(1)).join(' / '),
        proxy: '—',
        target: '—',
        met: '—',
        ratio: false,
      },
      {
        figure: 'server CPU per MiB of TTY output',
        unit: 'ms',
        direct: '—',
        ours: ttyMed('ours', 'serverCpuMsPerMiB'),
        proxy: ttyMed('proxy', 'serverCpuMsPerMiB'),
        target: '—',
        met: '—',
      },
      {
        figure: 'sandbox CPU per MiB of TTY output',
        unit: 'ms',
        direct: ttyMed('direct', 'sandboxCpuMsPerMiB'),
        ours: ttyMed('ours', 'sandboxCpuMsPerMiB'),
        proxy: ttyMed('proxy', 'sandboxCpuMsPerMiB'),
        target: '—',
        met: '—',
      },
      {
        figure: 'bench client CPU per MiB of TTY output',
        unit: 'ms',
        direct: ttyMed('direct', 'clientCpuMsPerMiB'),
        ours: ttyMed('ours', 'clientCpuMsPerMiB'),
        proxy: ttyMed('proxy', 'clientCpuMsPerMiB'),
        target: '—',
        met: '—',
      },
      {
        figure: 'time to first prompt, existing pod',
        unit: 'ms',
        direct: median(prompt.direct),
        ours: median(prompt.ours),
        proxy: median(prompt.proxy),
        target: '≤ 150 ms (ours)',
        met: yesNo(median(prompt.ours) <= 150),
      },
      ...P.idleSessions.flatMap((n, i): Row[] => {
        const o = mem.ours.points[i];
        const x = mem.proxy.points[i];
        return [
          {
            figure: `server heap + external per idle session @${n}`,
            unit: 'KiB',
            direct: '—',
            ours: o.heapKiB + o.externalKiB,
            proxy: x.heapKiB + x.externalKiB,
            target: '≤ 64 KiB (ours)',
            met: yesNo(o.heapKiB + o.externalKiB <= 64),
            ratio: false,
          },
          {
            figure: `server RSS per idle session @${n} (indicative)`,
            unit: 'KiB',
            direct: '—',
            ours: o.rssKiB,
            proxy: x.rssKiB,
            target: '—',
            met: '—',
            ratio: false,
          },
        ];
      }),
      {
        figure: `keystroke echo p99, ${mem.ours.typing.typists} of ${mem.ours.typing.sessions} sessions typing`,
        unit: 'ms',
        direct: '—',
        ours: mem.ours.typing.p99,
        proxy: mem.proxy.typing.p99,
        target: '< 10 ms (ours)',
        met: yesNo(mem.ours.typing.p99 < 10),
        ratio: false,
      },
      {
        figure: 'slow consumer (10 KB/s): server memory growth',
        unit: 'MiB',
        direct: '—',
        ours: slow.ours.maxGrowthMiB,
        proxy: slow.proxy.maxGrowthMiB,
        target: '≤ 32 MiB (ours)',
        met: yesNo(slow.ours.maxGrowthMiB <= 32),
        ratio: false,
      },
      {
        figure: `slow consumer: bytes of ${
          P.floodBytes / MiB
        } MiB lost after resuming`,
        unit: 'B',
        direct: '—',
        ours: slow.ours.lost,
        proxy: slow.proxy.lost,
        target: '0 (ours)',
        met: yesNo(slow.ours.lost === 0),
        ratio: false,
      },
      {
        figure:
          'session recording overhead: TTY throughput lost / CPU per MiB / CPU per key',
        unit: '%',
        direct: '—',
        ours: `${fmt(recordingOverhead.mibps, 1)} / ${fmt(
          recordingOverhead.cpuPerMiB,
          1,
        )} / ${fmt(recordingOverhead.cpuPerKey, 1)}`,
        proxy: '—',
        target: 'never slows the stream (≤ 5 % throughput)',
        met: `${yesNo(recordingOverhead.mibps <= 5)}${
          castBytes.truncated ? ' (recording truncated)' : ''
        }`,
        ratio: false,
      },
      {
        figure:
          'command audit overhead: TTY throughput lost / CPU per MiB / CPU per key',
        unit: '%',
        direct: '—',
        ours: `${fmt(overhead.mibps, 1)} / ${fmt(
          overhead.cpuPerMiB,
          1,
        )} / ${fmt(overhead.cpuPerKey, 1)}`,
        proxy: '—',
        target: '≤ 5 %',
        // The target reads "on throughput and CPU": bulk output is judged; the per-key figure is shown.
        met: `${yesNo(
          Math.max(overhead.mibps, overhead.cpuPerMiB) <= 5,
        )} (bulk); per key ${yesNo(overhead.cpuPerKey <= 5)}`,
        ratio: false,
      },
      {
        figure:
          'ours: command recorder alone, heap + external per idle session',
        unit: 'KiB',
        direct: '—',
        ours: rec.heapKiB + rec.externalKiB,
        proxy: '—',
        target: '—',
        met: '—',
        ratio: false,
      },
      {
        figure: 'ours: command recorder alone, CPU per MiB (NULs / text)',
        unit: 'ms',
        direct: '—',
        ours: `${rec.zeros.cpuMsPerMiB.toFixed(
          1,
        )} / ${rec.text.cpuMsPerMiB.toFixed(1)}`,
        proxy: '—',
        target: '—',
        met: '—',
        ratio: false,
      },
      {
        figure:
          'ours: command recorder alone, CPU per key typed at a prompt / into cat',
        unit: 'µs',
        direct: '—',
        ours: `${(rec.cpuMsPerKey * 1000).toFixed(1)} / ${(
          rec.cpuMsPerKeyIntoCat * 1000
        ).toFixed(1)}`,
        proxy: '—',
        target: '—',
        met: '—',
        ratio: false,
      },
    ];
    const cells = table(rows);
    process.stdout.write(`\n${toText(cells)}\n\n`);
    if (WRITE_DOC)
      writeDoc({
        cells,
        rec,
        echo,
        prompt,
        connected,
        tty,
        pipe,
        mem,
        slow,
        audited,
        overhead,
        sessionRecorded,
        recordingOverhead,
        recordBytes,
        castBytes,
        med,
        ttyMed,
      });
    for (const p of RELAYS)
      if (!mem[p].gc)
        log(
          `warning: global.gc unavailable in ${p}; memory figures are without a forced GC`,
        );
  } finally {
    await Promise.all(Object.values(servers).map(s => s!.stop()));
    sandboxChild.stdin!.end();
    await new Promise(r => {
      const t = setTimeout(() => {
        sandboxChild.kill('SIGKILL');
        r(undefined);
      }, 5000);
      sandboxChild.once('exit', () => {
        clearTimeout(t);
        r(undefined);
      });
    });
  }
  log('done');
}

function sh(cmd: string) {
  try {
    return require('node:child_process')
      .execSync(cmd, { encoding: 'utf8' })
      .trimEnd();
  } catch {
    return '(unavailable)';
  }
}

function writeDoc(d: any) {
  const file = path.join(ROOT, 'docs/benchmarks.md');
  const f = (xs: number[], digits = 3) =>
    xs.map(x => fmt(x, digits)).join(', ');
  const machine = [
    `- date: ${new Date().toISOString()}`,
    `- mode: **${QUICK ? 'quick' : 'full'}** (\`${JSON.stringify(P)}\`)`,
    `- node ${process.version}, ${os.platform()} ${os.release()}`,
    `- nproc: ${sh('nproc')}, CPU: ${os.cpus()[0]?.model ?? '?'}`,
    '- free -h:',
    '',
    '```',
    sh('free -h'),
    '```',
  ].join('\n');
  const maxE = Math.max(...PATHS.map(p => d.med(p, 'p99')));
  const maxT = Math.max(
    ...PATHS.map(p => d.ttyMed(p, 'mibps')),
    ...PATHS.map(p => median(d.pipe[p])),
  );
  const maxP = Math.max(...PATHS.map(p => median(d.prompt[p])));
  const chart = [
    '```',
    'keystroke echo round trip (ms, lower is better)',
    ...PATHS.flatMap(p => [
      bar(`${p} p50`, d.med(p, 'p50'), maxE, 'ms'),
      bar(`${p} p99`, d.med(p, 'p99'), maxE, 'ms'),
    ]),
    '',
    'bulk output (MiB/s, higher is better)',
    ...PATHS.map(p => bar(`${p} TTY`, d.ttyMed(p, 'mibps'), maxT, 'MiB/s')),
    bar('direct non-TTY', median(d.pipe.direct), maxT, 'MiB/s'),
    bar('ours non-TTY', median(d.pipe.ours), maxT, 'MiB/s'),
    bar('proxy non-TTY', median(d.pipe.proxy), maxT, 'MiB/s'),
    '',
    'time to first prompt (ms, lower is better)',
    ...PATHS.map(p => bar(p, median(d.prompt[p]), maxP, 'ms')),
    '```',
  ].join('\n');
  const raw = [
    ...PATHS.map(
      p =>
        `- keystroke ${p}, per run: p50 ${f(d.echo[p].p50)} ms; p99 ${f(
          d.echo[p].p99,
        )} ms; server CPU ${f(d.echo[p].cpu)} ms/key`,
    ),
    ...PATHS.map(p => `- first prompt ${p} (ms): ${f(d.prompt[p], 1)}`),
    `- ours' \`connected\` message at median ${fmt(median(d.connected), 1)} ms`,
    ...PATHS.map(
      p =>
        `- TTY bulk ${p} (MiB/s): ${f(
          d.tty[p].map((x: any) => x.mibps),
          1,
        )}; server CPU ${f(
          d.tty[p].map((x: any) => x.serverCpuMsPerMiB),
          1,
        )} ms/MiB; sandbox CPU ${f(
          d.tty[p].map((x: any) => x.sandboxCpuMsPerMiB),
          1,
        )} ms/MiB; client CPU ${f(
          d.tty[p].map((x: any) => x.clientCpuMsPerMiB),
          1,
        )} ms/MiB`,
    ),
    `- non-TTY bulk (MiB/s): direct ${f(d.pipe.direct, 1)}; ours ${f(
      d.pipe.ours,
      1,
    )}; proxy ${f(d.pipe.proxy, 1)}; ours on fresh processes: relay alone ${f(
      d.pipe.plain,
      1,
    )}, with command audit ${f(
      d.pipe.recorded,
      1,
    )}, with session recording too ${f(d.pipe.sessionRecorded, 1)}`,
    ...RELAYS.map(p => {
      const m = d.mem[p];
      return `- idle memory ${p} (largest count): heapUsed ${(
        m.before.heapUsed / MiB
      ).toFixed(1)} → ${(m.during.heapUsed / MiB).toFixed(1)} MiB, external ${(
        m.before.external / MiB
      ).toFixed(1)} → ${(m.during.external / MiB).toFixed(1)} MiB, rss ${(
        m.before.rss / MiB
      ).toFixed(1)} → ${(m.during.rss / MiB).toFixed(
        1,
      )} MiB; heap still above the baseline after closing all: ${m.heapLeftAfterCloseKiB.toFixed(
        0,
      )} KiB (1 s), ${m.heapLeftLaterKiB.toFixed(0)} KiB (${
        m.laterSeconds
      } s); forced GC: ${m.gc}`;
    }),
    ...RELAYS.map(p => {
      const m: IdleAtScale = d.mem[p];
      const t = m.typing;
      return `- ${p} per idle session: ${m.points
        .map(
          x =>
            `@${x.sessions} heap ${x.heapKiB.toFixed(
              1,
            )} + external ${x.externalKiB.toFixed(
              1,
            )} KiB (rss ${x.rssKiB.toFixed(0)} KiB)`,
        )
        .join('; ')}; typing: ${t.typists} of ${t.sessions} sessions, ${
        t.samples
      } keys a round, p99 of the rounds ${t.roundsP99
        .map(x => fmt(x))
        .join(' / ')} ms, median round p50 ${fmt(t.p50)} ms, p99 ${fmt(
        t.p99,
      )} ms, max ${fmt(t.max)} ms, server CPU ${t.serverCpuPercent.toFixed(
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
      )} ms`;
    }),
    ...RELAYS.map(p => {
      const x: SlowConsumer = d.slow[p];
      return `- slow consumer ${p}: ${(x.floodBytes / MiB).toFixed(
        0,
      )} MiB flood, read ${x.readKBps.toFixed(
        1,
      )} KB/s for ${x.slowSeconds.toFixed(
        1,
      )} s; server heap+external grew ≤ ${x.maxGrowthMiB.toFixed(
        2,
      )} MiB (rss ≤ ${x.maxRssGrowthMiB.toFixed(1)} MiB); ${
        x.lost
      } bytes lost; the rest arrived in ${x.drainMs.toFixed(0)} ms`;
    }),
    ...(['recorded', 'plain'] as const).map(
      p =>
        `- ${
          p === 'recorded' ? 'commands recorded' : 'audit.commands: false'
        }: TTY bulk ${f(
          d.audited[p].tty.map((x: any) => x.mibps),
          1,
        )} MiB/s, server CPU ${f(
          d.audited[p].tty.map((x: any) => x.serverCpuMsPerMiB),
          1,
        )} ms/MiB, ${f(d.audited[p].cpuKey)} ms/key`,
    ),
    `- command audit overhead (medians, % more than without): throughput lost ${fmt(
      d.overhead.mibps,
      1,
    )} %, CPU per MiB ${fmt(d.overhead.cpuPerMiB, 1)} %, CPU per key ${fmt(
      d.overhead.cpuPerKey,
      1,
    )} %`,
    ...(['sessionRecorded', 'recorded'] as const).map(
      p =>
        `- ${
          p === 'sessionRecorded' ? 'sessions recorded' : 'recording off'
        }: TTY bulk of ${(d.recordBytes / MiB).toFixed(0)} MiB ${f(
          d.sessionRecorded[p].tty.map((x: any) => x.mibps),
          1,
        )} MiB/s, server CPU ${f(
          d.sessionRecorded[p].tty.map((x: any) => x.serverCpuMsPerMiB),
          1,
        )} ms/MiB, ${f(d.sessionRecorded[p].cpuKey)} ms/key`,
    ),
    `- session recording overhead (medians, % more than without): throughput lost ${fmt(
      d.recordingOverhead.mibps,
      1,
    )} %, CPU per MiB ${fmt(
      d.recordingOverhead.cpuPerMiB,
      1,
    )} %, CPU per key ${fmt(
      d.recordingOverhead.cpuPerKey,
      1,
    )} %; a bulk run's recording: ${(d.castBytes.bytes / MiB).toFixed(
      1,
    )} MiB stored${d.castBytes.truncated ? ', truncated' : ', complete'}`,
    `- command recorder alone (bench/recorderCost.ts): heap ${d.rec.heapKiB.toFixed(
      1,
    )} KiB + external ${d.rec.externalKiB.toFixed(
      1,
    )} KiB per idle recorder; ${d.rec.zeros.cpuMsPerMiB.toFixed(
      1,
    )} ms CPU/MiB of NULs (${d.rec.zeros.mibps.toFixed(
      0,
    )} MiB/s on one core), ${d.rec.text.cpuMsPerMiB.toFixed(
      1,
    )} ms CPU/MiB of 80-column text lines`,
  ].join('\n');
  const generated = `<!-- BEGIN GENERATED by bench/run.ts -->
## Latest run (${
    QUICK
      ? 'QUICK mode — smoke figures from few samples; run `yarn bench` for the real ones'
      : 'full mode'
  })

${machine}

${toMarkdown(d.cells)}

${chart}

Raw figures:

${raw}
<!-- END GENERATED -->`;
  let doc = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '';
  if (doc.includes('<!-- BEGIN GENERATED')) {
    doc = doc.replace(
      /<!-- BEGIN GENERATED[\s\S]*<!-- END GENERATED -->/,
      () => generated,
    );
  } else {
    doc = `# Terminal benchmarks\n\n${generated}\n`;
  }
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

main().catch(error => {
  process.stderr.write(`${(error as Error).stack ?? error}\n`);
  process.exit(1);
});
