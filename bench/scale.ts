/*
 * Workloads at scale, for a relay in its own process: memory per open idle session at growing session
 * counts, keystroke echo while a share of those sessions type, and a consumer that reads slowly while
 * the pod floods output.
 */
import type { Socket } from 'node:net';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { Term } from './clients';
import { now } from './clients';
import {
  type BackendProcess,
  type LoopDelay,
  procCpuMs,
  sleep,
} from './processes';

const MiB = 1024 * 1024;

export interface ScalePoint {
  sessions: number;
  heapKiB: number;
  externalKiB: number;
  rssKiB: number;
}

export interface TypingUnderLoad {
  sessions: number;
  typists: number;
  samples: number;
  p50: number;
  p99: number;
  max: number;
  /** p99 of each round; p50, p99 and the rest are those of the median round, max the largest. */
  roundsP99: number[];
  /** The server's CPU while they typed, in % of one core. */
  serverCpuPercent: number;
  /** The server's event-loop delay while they typed (ms). */
  loopDelay: LoopDelay;
  /** The bench client's own event-loop delay meanwhile (ms): its share of the latency. */
  clientLoopDelay: { p99: number; max: number };
  /** The sandbox's event-loop delay meanwhile (ms): the cluster's share. */
  sandboxLoopDelay?: LoopDelay;
}

export interface IdleAtScale {
  points: ScalePoint[];
  typing: TypingUnderLoad;
  heapLeftAfterCloseKiB: number;
  heapLeftLaterKiB: number;
  laterSeconds: number;
  gc: boolean;
  before: NodeJS.MemoryUsage;
  during: NodeJS.MemoryUsage;
}

function quantile(sorted: number[], q: number) {
  if (!sorted.length) return NaN;
  return sorted[
    Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))
  ];
}

/** Deterministic think times, so that runs are comparable. */
function mulberry32(seed: number) {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Opens sessions up to each count in turn (cumulatively), each to its prompt, and measures the
 * server's heap, external and RSS per session after a forced GC against the figures before. At the
 * largest count, `typingFraction` of the sessions type (see typeConcurrently), then all are closed and
 * the heap is sampled again (leak check).
 */
export async function idleAtScale(
  server: BackendProcess,
  name: string,
  open: () => Promise<Term>,
  opts: {
    sandbox?: BackendProcess;
    counts: number[];
    typingFraction: number;
    keysPerTypist: number;
    typingRounds: number;
    laterSeconds: number;
    settleMs: number;
  },
): Promise<IdleAtScale> {
  // Warm up lazily initialised code paths first: code compiled once is not memory per session.
  await closeAll(
    await Promise.all(Array.from({ length: 10 }, () => openToPrompt(open))),
  );
  await sleep(300);
  await server.heapSnapshot(`idle-${name}-before`);
  const before = await server.memory();
  const terms: Term[] = [];
  const points: ScalePoint[] = [];
  let during = before;
  const BATCH = 20;
  try {
    for (const count of opts.counts) {
      while (terms.length < count) {
        const batch = Math.min(BATCH, count - terms.length);
        terms.push(
          ...(await Promise.all(
            Array.from({ length: batch }, () => openToPrompt(open)),
          )),
        );
      }
      await sleep(500);
      during = await server.memory();
      const per = (k: keyof NodeJS.MemoryUsage) =>
        (during.usage[k] - before.usage[k]) / count / 1024;
      points.push({
        sessions: count,
        heapKiB: per('heapUsed'),
        externalKiB: per('external'),
        rssKiB: per('rss'),
      });
    }
    await server.heapSnapshot(`idle-${name}-${terms.length}`);
    // Steady state: the burst of opening (keep-alive sockets, garbage) has passed before anyone types,
    // and the sandbox too has collected what the opening left (it is the same cluster for every path,
    // and a collection of its own that happens to fall into one path's typing lands in that path's
    // tail: 27 ms once, p99 54 ms for that path, in a quick run of 1,000 keys).
    await opts.sandbox?.memory();
    await sleep(opts.settleMs);
    const typing = await typeConcurrently(
      server,
      name,
      terms,
      opts.typingFraction,
      opts.keysPerTypist,
      opts.typingRounds,
      opts.sandbox,
    );
    await closeAll(terms);
    await sleep(1000);
    const after = await server.memory();
    await sleep(Math.max(0, opts.laterSeconds * 1000 - 1000));
    const later = await server.memory();
    return {
      points,
      typing,
      heapLeftAfterCloseKiB:
        (after.usage.heapUsed - before.usage.heapUsed) / 1024,
      heapLeftLaterKiB: (later.usage.heapUsed - before.usage.heapUsed) / 1024,
      laterSeconds: opts.laterSeconds,
      gc: during.gc,
      before: before.usage,
      during: during.usage,
    };
  } finally {
    await closeAll(terms);
  }
}

async function openToPrompt(open: () => Promise<Term>) {
  const t = await open();
  await t.waitPrompt();
  return t;
}

async function closeAll(terms: Term[]) {
  for (let i = 0; i < terms.length; i += 50) {
    await Promise.all(terms.slice(i, i + 50).map(t => t.close()));
  }
}

/**
 * A share of the open sessions type as people do, one key every 50–150 ms (Enter every 50 keys), into
 * `exec cat`, each keystroke timed to its echo; the others stay idle at their prompts.
 */
async function typeConcurrently(
  server: BackendProcess,
  name: string,
  terms: Term[],
  fraction: number,
  keys: number,
  rounds: number,
  sandbox?: BackendProcess,
): Promise<TypingUnderLoad> {
  const typists = terms.slice(
    0,
    Math.max(1, Math.ceil(terms.length * fraction)),
  );
  await Promise.all(
    typists.map(t => t.runUntilMarker('exec cat\r', 'exec cat\r\n')),
  );
  await sleep(200);
  // Several rounds, the median reported: one collection in any of the three processes (client, relay,
  // sandbox) that falls into a round sets that round's p99.
  const results: TypingUnderLoad[] = [];
  for (let round = 0; round < rounds; round++) {
    if (round > 0) await sleep(1000);
    results.push(await typingRound(round));
  }
  const byP99 = [...results].sort((a, b) => a.p99 - b.p99);
  return {
    ...byP99[Math.floor((byP99.length - 1) / 2)],
    max: Math.max(...results.map(r => r.max)),
    roundsP99: results.map(r => r.p99),
  };

  async function typingRound(round: number): Promise<TypingUnderLoad> {
    const pid = server.child.pid!;
    const cpu0 = procCpuMs(pid);
    const t0 = now();
    const rtts: number[] = [];
    const clientLoop = monitorEventLoopDelay({ resolution: 1 });
    clientLoop.enable();
    const typed = () =>
      server.loopDelay(() =>
        server.profiled(`typing-${name}-${terms.length}-${round}`, () =>
          typeAll(round, rtts),
        ),
      );
    let sandboxLoopDelay: LoopDelay | undefined;
    let delay: LoopDelay;
    if (sandbox) {
      const both = await sandbox.loopDelay(typed);
      sandboxLoopDelay = both.delay;
      delay = both.result.delay;
    } else {
      delay = (await typed()).delay;
    }
    clientLoop.disable();
    const wallMs = now() - t0;
    const cpuMs = procCpuMs(pid) - cpu0;
    rtts.sort((a, b) => a - b);
    return {
      sessions: terms.length,
      typists: typists.length,
      samples: rtts.length,
      p50: quantile(rtts, 0.5),
      p99: quantile(rtts, 0.99),
      max: rtts[rtts.length - 1],
      roundsP99: [],
      serverCpuPercent: (cpuMs / wallMs) * 100,
      loopDelay: delay,
      clientLoopDelay: {
        p99: clientLoop.percentile(99) / 1e6,
        max: clientLoop.max / 1e6,
      },
      sandboxLoopDelay,
    };
  }

  function typeAll(round: number, rtts: number[]) {
    const LINE = 50;
    return Promise.all(
      typists.map(async (t, index) => {
        const random = mulberry32(index + 1 + round * 7919);
        for (let i = 0; i < keys; i++) {
          await sleep(50 + random() * 100);
          const before = t.total;
          const start = now();
          t.write('x');
          await t.waitBytes(before + 1, 10_000);
          rtts.push(now() - start);
          if ((i + 1) % LINE === 0) {
            const b = t.total;
            t.write('\r');
            await t.waitBytes(b + 2 + LINE + 2, 10_000);
          }
        }
      }),
    );
  }
}

/** Reads from the socket at about `bytesPerSecond`: pauses it after each chunk for as long as that takes. */
function throttle(socket: Socket, bytesPerSecond: number): () => void {
  let active = true;
  let timer: NodeJS.Timeout | undefined;
  const onData = (chunk: Buffer) => {
    if (!active) return;
    socket.pause();
    timer = setTimeout(
      () => active && socket.resume(),
      (chunk.length / bytesPerSecond) * 1000,
    );
  };
  socket.prependListener('data', onData);
  return () => {
    active = false;
    clearTimeout(timer);
    socket.off('data', onData);
    socket.resume();
  };
}

export interface SlowConsumer {
  floodBytes: number;
  slowSeconds: number;
  /** What the client read while slow, in KB/s. */
  readKBps: number;
  /** Growth of the server's heap + external (after GC) over its figure before, the largest sample. */
  maxGrowthMiB: number;
  maxRssGrowthMiB: number;
  /** NUL bytes of the flood that never arrived once reading was fast again (0 = no loss). */
  lost: number;
  /** How long the rest took to arrive once reading was fast again. */
  drainMs: number;
}

/**
 * The pod floods `head -c N /dev/zero` at a client that reads its socket at 10 KB/s (acknowledging what
 * it reads, as a browser does once drawn); the server's memory is sampled meanwhile. Then the client
 * reads at full speed, and every NUL byte must arrive.
 */
export async function slowConsumer(
  server: BackendProcess,
  open: () => Promise<Term>,
  opts: { floodBytes: number; slowMs: number; bytesPerSecond: number },
): Promise<SlowConsumer> {
  const t = await openToPrompt(open);
  try {
    const base = await server.memory();
    const growth = { heap: 0, rss: 0 };
    t.countZeros = true;
    const unthrottle = throttle(t.socket, opts.bytesPerSecond);
    t.write(`head -c ${opts.floodBytes} /dev/zero; echo BENCH_''DONE\r`);
    const slowStart = now();
    while (now() - slowStart < opts.slowMs) {
      await sleep(Math.min(1000, opts.slowMs / 3));
      const m = await server.memory();
      growth.heap = Math.max(
        growth.heap,
        m.usage.heapUsed +
          m.usage.external -
          base.usage.heapUsed -
          base.usage.external,
      );
      growth.rss = Math.max(growth.rss, m.usage.rss - base.usage.rss);
    }
    const readWhileSlow = t.total;
    const slowMs = now() - slowStart;
    unthrottle();
    const drainStart = now();
    await t
      .waitFor(
        () => t.text().includes('BENCH_DONE'),
        'the end of the flood',
        120_000,
      )
      .catch(() => undefined);
    return {
      floodBytes: opts.floodBytes,
      slowSeconds: slowMs / 1000,
      readKBps: readWhileSlow / 1000 / (slowMs / 1000),
      maxGrowthMiB: growth.heap / MiB,
      maxRssGrowthMiB: growth.rss / MiB,
      lost: opts.floodBytes - t.zeros,
      drainMs: now() - drainStart,
    };
  } finally {
    await t.close();
  }
}
