/*
 * The bench's workloads (bench/run.ts runs them): each opens its own terminals over one path and
 * returns what it measured. direct is client-node exec straight to the sandbox; proxy is Backstage's
 * /api/kubernetes/proxy; ours and its variants are our backend.
 */
import * as k8s from '@kubernetes/client-node';
import { DirectTerm, OursTerm, type Term, USER_AUTH, now } from './clients';
import { type BackendProcess, procCpuMs, sleep } from './processes';

export const MiB = 1024 * 1024;
/** How long a timed echo run waits after opening its session (see `keystrokeEcho`). */
export const SETTLE_MS = 1500;

// ---------------------------------------------------------------------------------------------
// Statistics

export function quantile(sorted: number[], q: number) {
  if (!sorted.length) return NaN;
  const i = Math.min(
    sorted.length - 1,
    Math.max(0, Math.ceil(q * sorted.length) - 1),
  );
  return sorted[i];
}
export const median = (xs: number[]) =>
  quantile(
    [...xs].sort((a, b) => a - b),
    0.5,
  );
/** How much more `a` is than `b`, in %. */
export const pct = (a: number, b: number) => (a / b - 1) * 100;

// ---------------------------------------------------------------------------------------------
// Workloads

/**
 * direct: client-node exec straight to the sandbox. ours: our backend. proxy: Backstage's
 * kubernetes-backend /api/kubernetes/proxy, driven by the same client-node exec as direct (its only
 * cluster is picked without the Backstage-Kubernetes-Cluster header; our mock user token authenticates).
 */
/**
 * What recording commands costs is measured on two fresh processes of our backend with the same
 * history — `recorded` (commands recorded, as by default) and `plain` (`audit.commands: false`), both
 * without session recording. What session recording costs: `sessionRecorded` (as `recorded`, plus
 * session recording without a size cap in the way) against `recorded`. Memory at scale and the slow
 * consumer, which force garbage collections, run on processes of their own: `oursScale`, `proxyScale`.
 */
export type Path =
  | 'direct'
  | 'ours'
  | 'proxy'
  | 'recorded'
  | 'plain'
  | 'sessionRecorded'
  | 'oursScale'
  | 'proxyScale';
export const PATHS: Path[] = ['direct', 'ours', 'proxy'];
export const RELAYS = ['ours', 'proxy'] as const;
export type Server = Exclude<Path, 'direct'>;
/** The paths through Backstage's /proxy and straight to the sandbox, driven by client-node's exec. */
type ExecPath = 'direct' | 'proxy' | 'proxyScale';

export interface Ctx {
  kc: Record<ExecPath, k8s.KubeConfig>;
  servers: Record<Server, BackendProcess>;
  sandboxPid: number;
}

const isExecPath = (p: Path): p is ExecPath =>
  p === 'direct' || p === 'proxy' || p === 'proxyScale';

/** Opens bash in the pod (tty) over a path; resolves once the request is sent and the socket is open. */
export function openBash(ctx: Ctx, p: Path): Promise<Term> {
  return isExecPath(p)
    ? DirectTerm.open(ctx.kc[p], ['bash'], true)
    : OursTerm.open(ctx.servers[p].port);
}

export async function openShell(ctx: Ctx, p: Path): Promise<Term> {
  const t = await openBash(ctx, p);
  await t.waitPrompt();
  return t;
}

export const serverPid = (ctx: Ctx, p: Path) =>
  p === 'direct' ? undefined : ctx.servers[p].child.pid!;

/**
 * Keystroke echo: `exec cat` in the tty; each typed byte is echoed by the line discipline. With
 * `settleMs`, the keys start that long after the session opened: what opening a session costs is not
 * counted per key (ours writes its session row, audit events and the recording's start off the stream's
 * path, within a second, where /proxy writes nothing).
 */
export async function keystrokeEcho(
  ctx: Ctx,
  p: Path,
  n: number,
  warmup = 20,
  settleMs = 0,
) {
  const t = await openShell(ctx, p);
  const pid = serverPid(ctx, p);
  let cpu0 = NaN;
  try {
    await t.runUntilMarker('exec cat\r', 'exec cat\r\n');
    await sleep(Math.max(50, settleMs));
    const rtts: number[] = [];
    /** When each timed key was sent (ms of the monotonic clock, as perf's `-k CLOCK_MONOTONIC`). */
    const sentAt: number[] = [];
    const LINE = 50;
    for (let i = 0; i < n + warmup; i++) {
      if (i === warmup && pid) cpu0 = procCpuMs(pid);
      const before = t.total;
      const t0 = now();
      t.write('x');
      await t.waitBytes(before + 1, 5000);
      if (i >= warmup) {
        rtts.push(now() - t0);
        sentAt.push(t0);
      }
      if ((i + 1) % LINE === 0) {
        // End the line (untimed): echo "\r\n", then cat writes the LINE x's and "\r\n".
        const b = t.total;
        t.write('\r');
        await t.waitBytes(b + 2 + LINE + 2, 5000);
      }
    }
    return {
      rtts,
      sentAt,
      serverPid: pid,
      serverCpuMsPerKey: pid ? (procCpuMs(pid) - cpu0) / n : NaN,
    };
  } finally {
    await t.close();
  }
}

/** Two servers side by side on the same TTY bulk and keystroke workloads, runs interleaved. */
/** What one TTY bulk run measured. */
export interface BulkTty {
  ms: number;
  mibps: number;
  serverCpuMsPerMiB: number;
  sandboxCpuMsPerMiB: number;
  clientCpuMsPerMiB: number;
}

/** Two servers side by side: each one's runs, and how much more the first costs than the second (%). */
export interface Comparison<S extends Server> {
  runs: Record<S, { tty: BulkTty[]; cpuKey: number[] }>;
  overhead: { mibps: number; cpuPerMiB: number; cpuPerKey: number };
}

/** Two servers side by side on the same TTY bulk and keystroke workloads, runs interleaved. */
export async function compare<S extends Server>(
  ctx: Ctx,
  pair: readonly [S, S],
  sizes: { bytes: number; runs: number; keystrokes: number },
): Promise<Comparison<S>> {
  const { bytes } = sizes;
  const runs = Object.fromEntries(
    pair.map(p => [p, { tty: [], cpuKey: [] }]),
  ) as unknown as Comparison<S>['runs'];
  // Fresh processes: compile each one's path first, so that the first timed run is not the JIT's.
  for (const p of pair) {
    await bulkTty(ctx, p, Math.min(bytes, 4 * MiB));
    await keystrokeEcho(ctx, p, 50);
  }
  for (let r = 0; r < sizes.runs; r++) {
    for (const p of r % 2 ? [...pair].reverse() : pair) {
      runs[p].tty.push(await bulkTty(ctx, p, bytes));
      runs[p].cpuKey.push(
        (await keystrokeEcho(ctx, p, sizes.keystrokes, 20, SETTLE_MS))
          .serverCpuMsPerKey,
      );
    }
  }
  const [a, b] = pair;
  const overhead = {
    // Throughput lost, in % of the throughput of the second.
    mibps: -pct(
      median(runs[a].tty.map(x => x.mibps)),
      median(runs[b].tty.map(x => x.mibps)),
    ),
    cpuPerMiB: pct(
      median(runs[a].tty.map(x => x.serverCpuMsPerMiB)),
      median(runs[b].tty.map(x => x.serverCpuMsPerMiB)),
    ),
    cpuPerKey: pct(median(runs[a].cpuKey), median(runs[b].cpuKey)),
  };
  return { runs, overhead };
}

/** The size of a stored recording, and whether it was cut at its cap. */
export interface RecordingSize {
  bytes: number;
  truncated: boolean;
}

/** Size of the recording of the last session on a server that holds a bulk run (the largest). */
export async function lastRecordingBytes(
  server: BackendProcess,
): Promise<RecordingSize> {
  const headers = { authorization: USER_AUTH };
  const base = `http://127.0.0.1:${server.port}/api/kubernetes-terminal`;
  const list = (await (
    await fetch(`${base}/sessions?status=closed&limit=50`, { headers })
  ).json()) as { items: Array<{ id: string }> };
  let best = { bytes: 0, truncated: false };
  for (const { id } of list.items) {
    const detail = (await (
      await fetch(`${base}/sessions/${id}`, { headers })
    ).json()) as { recording?: { bytes: number; truncated: boolean } };
    if (detail.recording && detail.recording.bytes > best.bytes)
      best = detail.recording;
  }
  return best;
}

/** TTY bulk output: `head -c N /dev/zero` in bash; ms from Enter to the end marker. */
export async function bulkTty(
  ctx: Ctx,
  p: Path,
  bytes: number,
): Promise<BulkTty> {
  const t = await openShell(ctx, p);
  const pid = serverPid(ctx, p);
  try {
    const cpu0 = {
      server: pid ? procCpuMs(pid) : NaN,
      sandbox: procCpuMs(ctx.sandboxPid),
      client: process.cpuUsage(),
    };
    const ms = await t.runUntilMarker(
      `head -c ${bytes} /dev/zero; echo BENCH_''DONE\r`,
      'BENCH_DONE',
    );
    const cpu1 = {
      server: pid ? procCpuMs(pid) : NaN,
      sandbox: procCpuMs(ctx.sandboxPid),
      client: process.cpuUsage(cpu0.client),
    };
    if (t.total < bytes)
      throw new Error(`tty bulk: got ${t.total} bytes, wanted ${bytes}`);
    return {
      ms,
      mibps: bytes / MiB / (ms / 1000),
      serverCpuMsPerMiB: (cpu1.server - cpu0.server) / (bytes / MiB),
      sandboxCpuMsPerMiB: (cpu1.sandbox - cpu0.sandbox) / (bytes / MiB),
      clientCpuMsPerMiB:
        (cpu1.client.user + cpu1.client.system) / 1000 / (bytes / MiB),
    };
  } finally {
    await t.close();
  }
}

/** Non-TTY bulk output, exec `head` straight, to close. Not for ours: our relay always allocates a tty. */
export async function bulkPipe(ctx: Ctx, p: Path, bytes: number) {
  const pid = serverPid(ctx, p);
  const cpu0 = {
    server: pid ? procCpuMs(pid) : NaN,
    sandbox: procCpuMs(ctx.sandboxPid),
    client: process.cpuUsage(),
  };
  const t0 = now();
  let t: Term;
  if (!isExecPath(p)) {
    // A session without a terminal runs bash reading its input; `exec` makes head the last word.
    t = await OursTerm.open(ctx.servers[p].port, { tty: false });
    t.write(`exec head -c ${bytes} /dev/zero\n`);
  } else {
    t = await DirectTerm.open(
      ctx.kc[p],
      ['head', '-c', String(bytes), '/dev/zero'],
      false,
    );
  }
  await t.waitFor(() => t.closed, 'close', 120_000);
  const ms = now() - t0;
  if (t.total !== bytes)
    throw new Error(
      `non-tty bulk over ${p}: got ${t.total} bytes, wanted ${bytes}`,
    );
  const mib = bytes / MiB;
  const client = process.cpuUsage(cpu0.client);
  return {
    ms,
    mibps: mib / (ms / 1000),
    firstByteMs: (t.firstDataAt ?? NaN) - t0,
    serverCpuMsPerMiB: pid ? (procCpuMs(pid) - cpu0.server) / mib : NaN,
    sandboxCpuMsPerMiB: (procCpuMs(ctx.sandboxPid) - cpu0.sandbox) / mib,
    clientCpuMsPerMiB: (client.user + client.system) / 1000 / mib,
  };
}

/** Time to first prompt for an existing pod: from the first request to the shell prompt on screen. */
export async function firstPrompt(ctx: Ctx, p: Path) {
  const t0 = now();
  const t = await openBash(ctx, p);
  await t.waitPrompt();
  const ms = now() - t0;
  const connected = t instanceof OursTerm ? t.connectedAt! - t0 : NaN;
  await t.close();
  return { ms, connected };
}
