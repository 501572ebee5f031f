/*
 * Terminal performance bench: the same workloads on the same sandbox pod, over
 *   direct — @kubernetes/client-node exec (v5.channel.k8s.io WebSocket) straight to the sandbox, the floor;
 *   ours   — POST /api/kubernetes-terminal/sessions + the terminal WebSocket through our backend;
 *   proxy  — Backstage's own kubernetes-backend /api/kubernetes/proxy exec relay.
 * The sandbox and the backends each run in a child process of their own; this process is the client.
 *
 *   yarn bench            full run (a few minutes), writes docs/benchmarks.md
 *   yarn bench --quick    < 1 minute, proves the suite works; prints the table only
 *                         (--write puts it in docs/benchmarks.md, labelled quick; full mode: --no-write)
 *   yarn bench --only echo,tty   only those phases (the others' figures show "not run"; never written)
 *
 * This file measures: each phase below fills its part of `Results`. bench/figures.ts turns them into
 * the figures and their targets, bench/report.ts prints and writes them; a new figure is one entry
 * there, a new workload one phase here (and its function in bench/workloads.ts).
 *
 * The phases that force garbage collections to read memory (scale, slow) run on processes of their
 * own (oursScale, proxyScale): a forced full GC leaves V8 with an old-generation limit so tight that
 * the throughput and CPU figures measured after it paid for a mark-compact every few hundred
 * milliseconds (docs/benchmarks.md).
 */
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import { kubeConfig } from './clients';
import {
  type Params,
  type RecorderCost,
  type Relay,
  type Results,
  figures,
} from './figures';
import {
  BackendProcess,
  firstLine,
  log,
  oursOptions,
  sleep,
  startChild,
} from './processes';
import { table, toText, writeDoc, fmt } from './report';
import { idleAtScale, slowConsumer } from './scale';
import {
  type Ctx,
  type Path,
  type Server,
  MiB,
  PATHS,
  RELAYS,
  SETTLE_MS,
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

const argv = process.argv.slice(2);
const QUICK = argv.includes('--quick');
const onlyArg = argv.find(a => a.startsWith('--only'));
const ONLY = onlyArg
  ? (onlyArg.includes('=')
      ? onlyArg.split('=')[1]
      : argv[argv.indexOf(onlyArg) + 1]
    ).split(',')
  : undefined;
// Quick figures are smoke figures, and a partial run has holes: neither replaces the full figures in
// the doc unless asked to (--write).
const WRITE_DOC =
  QUICK || ONLY ? argv.includes('--write') : !argv.includes('--no-write');

const P0: Params = QUICK
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
const P: Params = {
  ...P0,
  ...(process.env.BENCH_IDLE_SESSIONS && {
    idleSessions: process.env.BENCH_IDLE_SESSIONS.split(',').map(Number),
  }),
  ...(process.env.BENCH_TYPING_FRACTION && {
    typingFraction: Number(process.env.BENCH_TYPING_FRACTION),
  }),
};

type Main = 'direct' | 'ours' | 'proxy';
/**
 * Memory at scale and the slow consumer force collections, which leave V8 with an old-generation limit
 * so tight that everything measured after them paid for a mark-compact every few hundred ms: they run
 * on processes of their own.
 */
const SCALE = { ours: 'oursScale', proxy: 'proxyScale' } as const;
/** The order of paths rotates between runs. */
const order = (r: number): Main[] =>
  PATHS.map((_, i) => PATHS[(i + r) % PATHS.length] as Main);
const byPath = <T>(make: () => T) =>
  Object.fromEntries(PATHS.map(p => [p, make()])) as Record<Main, T>;

interface Phase {
  name: string;
  /** Server processes besides ours and proxy it needs: started before it, stopped when none needs them. */
  needs?: Server[];
  run(ctx: Ctx & { sandbox: BackendProcess }, results: Results): Promise<void>;
}

/** How each server process starts (the sandbox's coordinates given). */
const STARTS: Record<Server, (sandbox: object) => Promise<BackendProcess>> = {
  // For investigations: BENCH_OURS_NODE_ARGS='--trace-gc' BENCH_OURS_STDOUT=/tmp/ours.log
  ours: async sandbox => {
    const server = await BackendProcess.start(
      'backendChild.ts',
      sandbox,
      oursOptions(),
      process.env.BENCH_OURS_NODE_ARGS?.split(' ') ?? [],
    );
    const out = process.env.BENCH_OURS_STDOUT;
    if (out) server.child.stdout!.pipe(fs.createWriteStream(out));
    return server;
  },
  proxy: sandbox => BackendProcess.start('proxyChild.ts', sandbox),
  oursScale: sandbox =>
    BackendProcess.start('backendChild.ts', sandbox, oursOptions()),
  proxyScale: sandbox => BackendProcess.start('proxyChild.ts', sandbox),
  recorded: sandbox =>
    BackendProcess.start('backendChild.ts', sandbox, {
      terminalConfig: { recording: { enabled: false } },
    }),
  plain: sandbox =>
    BackendProcess.start('backendChild.ts', sandbox, {
      terminalConfig: {
        audit: { commands: false },
        recording: { enabled: false },
      },
    }),
  sessionRecorded: sandbox =>
    BackendProcess.start('backendChild.ts', sandbox, {
      terminalConfig: { recording: { maxSessionMegabytes: 4096 } },
    }),
};
/** A proxy's kubeconfig: mock-user-token = mockCredentials.user.header(), swapped by the proxy for the cluster's token. */
const proxyKubeConfig = (server: BackendProcess) =>
  kubeConfig(
    `http://127.0.0.1:${server.port}/api/kubernetes/proxy`,
    'mock-user-token',
  );

/**
 * With BENCH_KEY_TIMES=<file>: each timed echo run's keys (when sent, how long to the echo) as a JSON
 * line, for bench/echoTails.ts to set against a `perf sched record -k CLOCK_MONOTONIC` of the run.
 */
function keyTimes(
  p: Path,
  run: number,
  res: { rtts: number[]; sentAt: number[]; serverPid?: number },
  sandboxPid: number,
) {
  const file = process.env.BENCH_KEY_TIMES;
  if (!file) return;
  fs.appendFileSync(
    file,
    `${JSON.stringify({
      path: p,
      run,
      clientPid: process.pid,
      serverPid: res.serverPid,
      sandboxPid,
      sentAt: res.sentAt,
      rtts: res.rtts,
    })}\n`,
  );
}

/** The phases, in the order they run. */
const PHASES: Phase[] = [
  {
    name: 'echo',
    async run(ctx, results) {
      for (const p of PATHS) await keystrokeEcho(ctx, p, 200, 0);
      const echo = byPath(() => ({
        p50: [] as number[],
        p99: [] as number[],
        cpu: [] as number[],
      }));
      for (let r = 0; r < P.echoRuns; r++) {
        for (const p of order(r)) {
          const server = p === 'direct' ? undefined : ctx.servers[p];
          const run = () =>
            keystrokeEcho(ctx, p, P.keystrokes, 20, QUICK ? 300 : SETTLE_MS);
          const res = server
            ? await server.profiled(`echo-${p}-${r + 1}`, run)
            : await run();
          keyTimes(p, r + 1, res, ctx.sandboxPid);
          const rtts = [...res.rtts].sort((a, b) => a - b);
          echo[p].p50.push(quantile(rtts, 0.5));
          echo[p].p99.push(quantile(rtts, 0.99));
          echo[p].cpu.push(res.serverCpuMsPerKey);
          log(
            `echo ${p} run ${r + 1}: p50 ${fmt(
              quantile(rtts, 0.5),
              3,
            )} ms, p99 ${fmt(quantile(rtts, 0.99), 3)} ms, max ${fmt(
              rtts[rtts.length - 1],
              3,
            )} ms, server CPU ${fmt(res.serverCpuMsPerKey, 3)} ms/key`,
          );
        }
      }
      results.echo = echo;
    },
  },
  {
    name: 'prompt',
    async run(ctx, results) {
      const ms = byPath(() => [] as number[]);
      const connected: number[] = [];
      for (let r = 0; r < P.promptRuns; r++) {
        for (const p of order(r)) {
          const res = await firstPrompt(ctx, p);
          ms[p].push(res.ms);
          if (p === 'ours') connected.push(res.connected);
        }
      }
      log(
        `first prompt: ${PATHS.map(
          p => `${p} ${fmt(median(ms[p as Main]), 1)} ms`,
        ).join(', ')} (ours' connected message at ${fmt(
          median(connected),
          1,
        )} ms)`,
      );
      results.prompt = { ms, connected };
    },
  },
  {
    name: 'tty',
    async run(ctx, results) {
      const tty = byPath(() => [] as Awaited<ReturnType<typeof bulkTty>>[]);
      for (let r = 0; r < P.bulkRuns; r++) {
        for (const p of order(r)) {
          const run = () => bulkTty(ctx, p, P.bulkBytes);
          const res =
            p === 'direct'
              ? await run()
              : await ctx.servers[p].profiled(`bulk-tty-${p}-${r + 1}`, run);
          tty[p].push(res);
          log(
            `tty bulk ${p} run ${r + 1}: ${fmt(
              res.mibps,
              1,
            )} MiB/s (server ${fmt(
              res.serverCpuMsPerMiB,
              1,
            )} ms CPU/MiB, sandbox ${fmt(
              res.sandboxCpuMsPerMiB,
              1,
            )}, client ${fmt(res.clientCpuMsPerMiB, 1)} ms CPU/MiB)`,
          );
        }
      }
      results.tty = tty;
    },
  },
  {
    name: 'pipe',
    async run(ctx, results) {
      const pipe = byPath(() => [] as number[]);
      for (let r = 0; r < P.bulkRuns; r++) {
        for (const p of order(r)) {
          const run = () => bulkPipe(ctx, p, P.bulkBytes);
          const res =
            p === 'direct'
              ? await run()
              : await ctx.servers[p].profiled(`bulk-pipe-${p}-${r + 1}`, run);
          pipe[p].push(res.mibps);
          log(
            `non-tty bulk ${p} run ${r + 1}: ${fmt(
              res.mibps,
              1,
            )} MiB/s, first byte at ${fmt(res.firstByteMs, 0)} ms (server ${fmt(
              res.serverCpuMsPerMiB,
              1,
            )}, sandbox ${fmt(res.sandboxCpuMsPerMiB, 1)}, client ${fmt(
              res.clientCpuMsPerMiB,
              1,
            )} ms CPU/MiB)`,
          );
        }
      }
      results.pipe = pipe;
    },
  },
  {
    // Attribution on the non-TTY path, on fresh processes of ours with the same (short) history: the
    // relay alone, with command audit, and with session recording as well (ours' defaults).
    name: 'parts',
    needs: ['plain', 'recorded', 'sessionRecorded'],
    async run(ctx, results) {
      const PARTS = ['plain', 'recorded', 'sessionRecorded'] as const;
      const parts = { plain: [], recorded: [], sessionRecorded: [] } as Record<
        (typeof PARTS)[number],
        number[]
      >;
      for (const p of PARTS) await bulkPipe(ctx, p, 16 * MiB); // warm-up
      for (let r = 0; r < P.bulkRuns; r++) {
        for (const p of PARTS.map((_, i) => PARTS[(i + r) % PARTS.length])) {
          // Half the bulk: what sessionRecorded records stays in its SQLite for the overhead runs below.
          const res = await bulkPipe(ctx, p, P.bulkBytes / 2);
          parts[p].push(res.mibps);
          log(
            `non-tty bulk, attribution, ${p} run ${r + 1}: ${fmt(
              res.mibps,
              1,
            )} MiB/s (server ${fmt(res.serverCpuMsPerMiB, 1)} ms CPU/MiB)`,
          );
        }
      }
      results.parts = parts;
    },
  },
  {
    // What recording commands costs: ours against ours with audit.commands: false, interleaved.
    name: 'audit',
    needs: ['recorded', 'plain'],
    async run(ctx, results) {
      results.audit = await compare(ctx, ['recorded', 'plain'], {
        bytes: P.bulkBytes,
        runs: P.bulkRuns,
        keystrokes: P.keystrokes,
      });
      const o = results.audit.overhead;
      log(
        `command audit overhead: throughput lost ${fmt(
          o.mibps,
          1,
        )} %, CPU/MiB ${fmt(o.cpuPerMiB, 1)} %, CPU/key ${fmt(
          o.cpuPerKey,
          1,
        )} %`,
      );
    },
  },
  {
    // What session recording costs: the same with and without it. NULs take 9 bytes of framing per
    // event stored, so a quarter of the bulk keeps the in-memory SQLite of the bench backend small.
    name: 'recording',
    needs: ['sessionRecorded', 'recorded'],
    async run(ctx, results) {
      const bytes = P.bulkBytes / 4;
      const comparison = await compare(ctx, ['sessionRecorded', 'recorded'], {
        bytes,
        runs: P.bulkRuns,
        keystrokes: P.keystrokes,
      });
      const cast = await lastRecordingBytes(ctx.servers.sessionRecorded);
      results.recording = { ...comparison, bytes, cast };
      const o = comparison.overhead;
      log(
        `session recording overhead: throughput lost ${fmt(
          o.mibps,
          1,
        )} %, CPU/MiB ${fmt(o.cpuPerMiB, 1)} %, CPU/key ${fmt(
          o.cpuPerKey,
          1,
        )} %; last bulk recording ${fmt(cast.bytes / MiB, 1)} MiB stored${
          cast.truncated ? ' (TRUNCATED)' : ''
        }`,
      );
    },
  },
  {
    // Attribution: the command recorder (@xterm/headless) alone, in a process of its own.
    name: 'recorder',
    async run(_ctx, results) {
      const child = startChild(
        'recorderCost.ts',
        [String(P.idleSessions[0]), String(QUICK ? 16 : 64)],
        ['--expose-gc'],
      );
      const rec = JSON.parse(
        await firstLine(child, 'recorderCost'),
      ) as RecorderCost;
      results.recorder = rec;
      log(
        `recorder alone: heap ${fmt(rec.heapKiB, 1)} KiB + external ${fmt(
          rec.externalKiB,
          1,
        )} KiB per idle recorder (awake: ${fmt(
          rec.awakeHeapKiB + rec.awakeExternalKiB,
          0,
        )} KiB); ${fmt(rec.zeros.cpuMsPerMiB, 1)} / ${fmt(
          rec.text.cpuMsPerMiB,
          1,
        )} ms CPU/MiB (NULs / text lines); ${fmt(
          rec.cpuMsPerKey * 1000,
          1,
        )} µs CPU per key typed at a prompt, ${fmt(
          rec.cpuMsPerKeyIntoCat * 1000,
          1,
        )} into cat`,
      );
    },
  },
  {
    // Memory per idle session at growing counts; with the most sessions open, a share of them type.
    name: 'scale',
    needs: ['oursScale', 'proxyScale'],
    async run(ctx, results) {
      const scale = {} as NonNullable<Results['scale']>;
      for (const p of RELAYS) {
        const scaled = SCALE[p];
        // As warm as ours and proxy were when this phase came first.
        await keystrokeEcho(ctx, scaled, 50, 0);
        const m = await idleAtScale(
          ctx.servers[scaled],
          p,
          () => openBash(ctx, scaled),
          {
            sandbox: ctx.sandbox,
            counts: P.idleSessions,
            typingFraction: P.typingFraction,
            keysPerTypist: P.keysPerTypist,
            typingRounds: P.typingRounds,
            laterSeconds: QUICK ? 2 : 5,
            settleMs: QUICK ? 1000 : 5000,
          },
        );
        scale[p] = m;
        for (const point of m.points)
          log(
            `idle memory ${p} at ${point.sessions} sessions: heap ${fmt(
              point.heapKiB,
              1,
            )} KiB, external ${fmt(point.externalKiB, 1)} KiB, rss ${fmt(
              point.rssKiB,
              1,
            )} KiB per session`,
          );
        const t = m.typing;
        log(
          `typing ${p}: ${t.typists} of ${
            t.sessions
          } sessions typing; p99 of each round ${t.roundsP99
            .map(x => fmt(x))
            .join(' / ')} ms; median round p50 ${fmt(t.p50)} ms, p99 ${fmt(
            t.p99,
          )} ms; server CPU ${fmt(
            t.serverCpuPercent,
            0,
          )} % of a core; server GC ${t.loopDelay.gcCount}× ${fmt(
            t.loopDelay.gcMs,
            0,
          )} ms (mark-compact ${t.loopDelay.gcMajorCount}×)`,
        );
        if (!m.gc)
          log(
            `warning: global.gc unavailable in ${p}; memory figures are without a forced GC`,
          );
      }
      results.scale = scale;
    },
  },
  {
    // A consumer reading at 10 KB/s while the pod floods.
    name: 'slow',
    needs: ['oursScale', 'proxyScale'],
    async run(ctx, results) {
      const slow = {} as NonNullable<Results['slow']>;
      for (const p of RELAYS) {
        slow[p as Relay] = await slowConsumer(
          ctx.servers[SCALE[p]],
          () => openBash(ctx, SCALE[p]),
          {
            floodBytes: P.floodBytes,
            slowMs: P.slowMs,
            bytesPerSecond: 10_000,
          },
        );
        const x = slow[p as Relay];
        log(
          `slow consumer ${p}: read ${fmt(x.readKBps, 1)} KB/s for ${fmt(
            x.slowSeconds,
            1,
          )} s; server heap+external grew ≤ ${fmt(
            x.maxGrowthMiB,
          )} MiB, rss ≤ ${fmt(x.maxRssGrowthMiB, 1)} MiB; then ${
            x.lost
          } bytes missing, the rest in ${fmt(x.drainMs, 0)} ms`,
        );
      }
      results.slow = slow;
    },
  },
];

async function main() {
  const phases = PHASES.filter(p => !ONLY || ONLY.includes(p.name));
  const unknown = ONLY?.filter(n => !PHASES.some(p => p.name === n)) ?? [];
  if (unknown.length) {
    throw new Error(
      `unknown phase ${unknown.join(', ')}; phases: ${PHASES.map(
        p => p.name,
      ).join(', ')}`,
    );
  }
  const limit = setTimeout(
    () => {
      log('bench exceeded its time limit; giving up');
      process.exit(2);
    },
    QUICK && !process.env.BENCH_IDLE_SESSIONS ? 120_000 : 600_000,
  );
  limit.unref();

  log(
    `mode ${QUICK ? 'quick' : 'full'}: ${JSON.stringify(P)}; phases ${phases
      .map(p => p.name)
      .join(', ')}`,
  );
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
    [servers.ours, servers.proxy] = await Promise.all([
      STARTS.ours(sandbox),
      STARTS.proxy(sandbox),
    ]);
    children.push(servers.ours.child, servers.proxy.child);
    log(
      `our backend on port ${servers.ours.port} (pid ${servers.ours.child.pid}); kubernetes-backend on port ${servers.proxy.port} (pid ${servers.proxy.child.pid})`,
    );

    const ctx = {
      kc: {
        direct: kubeConfig(sandbox.url, 'sandbox-portal-token'),
        proxy: proxyKubeConfig(servers.proxy),
      } as Ctx['kc'],
      servers: servers as Ctx['servers'],
      sandboxPid: sandboxChild.pid!,
      sandbox: new BackendProcess(sandboxChild, 0),
    };
    // The other servers run only while a phase needs them: idle processes on the same 2 cores are
    // noise in the latency figures of every path.
    const startFor = async (phase: Phase) => {
      const missing = (phase.needs ?? []).filter(n => !servers[n]);
      const started = await Promise.all(missing.map(n => STARTS[n](sandbox)));
      missing.forEach((n, i) => {
        servers[n] = started[i];
        children.push(started[i].child);
      });
      if (servers.proxyScale)
        ctx.kc.proxyScale = proxyKubeConfig(servers.proxyScale);
    };
    const stopAfter = async (index: number) => {
      const later = new Set(
        phases.slice(index + 1).flatMap(p => p.needs ?? []),
      );
      for (const [name, server] of Object.entries(servers)) {
        if (name === 'ours' || name === 'proxy' || later.has(name as Server))
          continue;
        await server!.stop();
        delete servers[name as Server];
      }
    };

    // Smoke, and warm-up of every path before anything is timed: the servers' code on these paths
    // compiled (a cold server's first runs measured its compiler), and the just-started processes
    // settled.
    for (const p of PATHS) {
      await (await openShell(ctx, p as Path)).close();
      await keystrokeEcho(ctx, p as Path, 50, 0);
    }
    log('all paths reach the prompt and echo');
    for (const p of PATHS) {
      // Our relay's echo reaches its steady state only after thousands of keys (V8 optimises each of
      // the functions on the way in turn): 2,000 left its p99 at 1–5 ms and its CPU per key 1.5–3× what
      // it is after 10,000.
      await keystrokeEcho(ctx, p as Path, QUICK ? 200 : 10_000, 0);
      // Each timed run opens a session too: that path compiled as well, not during the keys.
      for (let i = 0; i < (QUICK ? 5 : 100); i++)
        await (await openShell(ctx, p as Path)).close();
      await bulkTty(ctx, p as Path, QUICK ? 4 * MiB : 32 * MiB);
    }
    await sleep(QUICK ? 500 : 3000);

    const results: Results = {};
    for (const [index, phase] of phases.entries()) {
      await startFor(phase);
      await phase.run(ctx, results);
      await stopAfter(index);
    }

    const all = figures(results, P);
    const cells = table(ONLY ? all.filter(f => f.ran) : all);
    process.stdout.write(`\n${toText(cells)}\n\n`);
    if (WRITE_DOC)
      writeDoc({
        results,
        figures: all,
        params: P,
        quick: QUICK,
        phases: phases.map(p => p.name),
      });
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

main().catch(error => {
  process.stderr.write(`${(error as Error).stack ?? error}\n`);
  process.exit(1);
});
