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
import { fork, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PassThrough, Writable } from 'node:stream';
import * as k8s from '@kubernetes/client-node';
import WebSocket from 'ws';

const ROOT = path.resolve(__dirname, '..');
const POD = 'demo-service-7d9f8b6c5-abcde';
const NAMESPACE = 'demo';
const CONTAINER = 'app';
const APP_ORIGIN = 'http://localhost:3000';
// = mockCredentials.user.header() from @backstage/backend-test-utils (user:default/mock), spelled out so
// this client process does not load the test-utils package.
const USER_AUTH = 'Bearer mock-user-token';
const PROMPT = /[$#] $/;
const MiB = 1024 * 1024;

const argv = process.argv.slice(2);
const QUICK = argv.includes('--quick');
// Quick figures are smoke figures: they only replace the full ones in the doc when asked to (--write).
const WRITE_DOC = QUICK
  ? argv.includes('--write')
  : !argv.includes('--no-write');
const P = QUICK
  ? {
      keystrokes: 100,
      echoRuns: 3,
      bulkBytes: 16 * MiB,
      bulkRuns: 3,
      promptRuns: 5,
      idleSessions: 20,
    }
  : {
      keystrokes: 1000,
      echoRuns: 5,
      bulkBytes: 256 * MiB,
      bulkRuns: 3,
      promptRuns: 15,
      idleSessions: 100,
    };

const started = Date.now();
const log = (msg: string) =>
  process.stderr.write(
    `[bench +${((Date.now() - started) / 1000).toFixed(1)}s] ${msg}\n`,
  );
const sleep = (ms: number) => new Promise(r => setTimeout(r, ms));
const now = () => Number(process.hrtime.bigint()) / 1e6; // ms

// ---------------------------------------------------------------------------------------------
// Child processes

const NODE_ARGS = [
  '-r',
  require.resolve('@backstage/cli/config/nodeTransform.cjs'),
];

function startChild(
  file: string,
  args: string[],
  extraExecArgv: string[] = [],
): ChildProcess {
  return fork(path.join(__dirname, file), args, {
    cwd: ROOT,
    execArgv: [...NODE_ARGS, ...extraExecArgv],
    stdio: ['pipe', 'pipe', 'pipe', 'ipc'],
  });
}

function firstLine(child: ChildProcess, what: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    child.stderr!.on('data', d => (err += d));
    child.stdout!.on('data', d => {
      out += d;
      const nl = out.indexOf('\n');
      if (nl >= 0) resolve(out.slice(0, nl));
    });
    child.once('exit', code =>
      reject(new Error(`${what} exited with ${code}: ${err}`)),
    );
  });
}

/** CPU time (user+system, ms) a process has used, from /proc. */
function procCpuMs(pid: number): number {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const tick = 100; // CLK_TCK on Linux
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / tick;
  } catch {
    return NaN;
  }
}

/** A backend under test in its own process (backendChild.ts or proxyChild.ts). */
class BackendProcess {
  private nextId = 1;
  private pending = new Map<number, (m: any) => void>();
  constructor(readonly child: ChildProcess, readonly port: number) {
    child.on('message', (m: any) => {
      this.pending.get(m.id)?.(m);
      this.pending.delete(m.id);
    });
  }
  static async start(file: string, sandbox: object): Promise<BackendProcess> {
    const child = startChild(
      file,
      [JSON.stringify({ sandbox })],
      ['--expose-gc'],
    );
    let err = '';
    child.stderr!.on('data', d => (err += d));
    child.stdout!.resume();
    const port = await new Promise<number>((resolve, reject) => {
      child.on('message', (m: any) => m.type === 'ready' && resolve(m.port));
      child.once('exit', code =>
        reject(new Error(`backend exited with ${code}: ${err}`)),
      );
    });
    return new BackendProcess(child, port);
  }
  private request(msg: object): Promise<any> {
    const id = this.nextId++;
    return new Promise(resolve => {
      this.pending.set(id, resolve);
      this.child.send({ ...msg, id });
    });
  }
  memory(): Promise<{ gc: boolean; usage: NodeJS.MemoryUsage }> {
    return this.request({ type: 'mem' });
  }
  /**
   * With BENCH_BACKEND_PROF=<dir>, runs `fn` under the V8 sampling profiler of the backend and writes
   * <dir>/<name>.cpuprofile (open it in Chrome DevTools, or summarise it with bench/profileTop.ts).
   */
  async profiled<T>(name: string, fn: () => Promise<T>): Promise<T> {
    const dir = process.env.BENCH_BACKEND_PROF;
    if (!dir) return fn();
    fs.mkdirSync(dir, { recursive: true });
    await this.request({ type: 'prof-start' });
    try {
      return await fn();
    } finally {
      const file = path.resolve(dir, `${name}.cpuprofile`);
      await this.request({ type: 'prof-stop', file });
      log(`backend profile: ${file}`);
    }
  }
  async stop() {
    this.child.send({ type: 'stop' });
    await new Promise(r => {
      const t = setTimeout(() => {
        this.child.kill('SIGKILL');
        r(undefined);
      }, 5000);
      this.child.once('exit', () => {
        clearTimeout(t);
        r(undefined);
      });
    });
  }
}

// ---------------------------------------------------------------------------------------------
// A terminal over either path: bytes in, a byte counter and waiters out.

abstract class Term {
  total = 0;
  private tail = Buffer.alloc(0);
  private waiters: Array<{ ok: () => boolean; resolve: () => void }> = [];
  private markerFound?: { marker: Buffer; at?: number };
  closed = false;
  firstDataAt?: number;

  abstract write(data: string | Buffer): void;
  abstract close(): Promise<void>;

  protected data(chunk: Buffer) {
    if (this.firstDataAt === undefined) this.firstDataAt = now();
    this.total += chunk.length;
    const window = this.tail.length ? Buffer.concat([this.tail, chunk]) : chunk;
    if (
      this.markerFound &&
      this.markerFound.at === undefined &&
      window.indexOf(this.markerFound.marker) >= 0
    ) {
      this.markerFound.at = now();
    }
    this.tail = Buffer.from(window.subarray(Math.max(0, window.length - 128)));
    this.check();
  }

  protected ended() {
    this.closed = true;
    this.check();
  }

  private check() {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) {
      if (w.ok()) w.resolve();
      else this.waiters.push(w);
    }
  }

  text() {
    return this.tail.toString('latin1');
  }

  waitFor(ok: () => boolean, what: string, timeoutMs = 30_000): Promise<void> {
    if (ok()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter(w => w !== entry);
        reject(
          new Error(
            `timed out waiting for ${what}; tail ${JSON.stringify(
              this.text(),
            )}`,
          ),
        );
      }, timeoutMs);
      const entry = {
        ok: () =>
          ok() ||
          (this.closed && !what.startsWith('close')
            ? (reject(
                new Error(
                  `closed while waiting for ${what}; tail ${JSON.stringify(
                    this.text(),
                  )}`,
                ),
              ),
              true)
            : false),
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
      };
      this.waiters.push(entry);
    });
  }

  waitBytes(n: number, timeoutMs?: number) {
    return this.waitFor(
      () => this.total >= n,
      `${n} bytes (have ${this.total})`,
      timeoutMs,
    );
  }

  waitPrompt(timeoutMs?: number) {
    return this.waitFor(() => PROMPT.test(this.text()), 'prompt', timeoutMs);
  }

  /** Types `line`, waits for `marker` in the output; returns ms from typing to marker. */
  async runUntilMarker(
    line: string,
    marker: string,
    timeoutMs = 120_000,
  ): Promise<number> {
    const found = { marker: Buffer.from(marker, 'latin1') } as {
      marker: Buffer;
      at?: number;
    };
    this.markerFound = found;
    const t0 = now();
    this.write(line);
    await this.waitFor(
      () => found.at !== undefined,
      `marker ${marker}`,
      timeoutMs,
    );
    this.markerFound = undefined;
    return found.at! - t0;
  }
}

class DirectTerm extends Term {
  ws!: WebSocket;
  stdin = new PassThrough();
  status?: k8s.V1Status;

  static async open(
    kc: k8s.KubeConfig,
    command: string[],
    tty: boolean,
  ): Promise<DirectTerm> {
    const term = new DirectTerm();
    const sink = new Writable({
      write(chunk: Buffer, _enc, cb) {
        term.data(chunk);
        cb();
      },
    });
    const ws = (await new k8s.Exec(kc).exec(
      NAMESPACE,
      POD,
      CONTAINER,
      command,
      sink,
      tty ? null : sink,
      tty ? term.stdin : null,
      tty,
      status => (term.status = status),
    )) as unknown as WebSocket;
    term.ws = ws;
    ws.on('close', () => term.ended());
    // kubectl sends the window size straight away (the sandbox waits up to 100 ms for it before spawning).
    if (tty)
      ws.send(
        Buffer.concat([
          Buffer.from([4]),
          Buffer.from(JSON.stringify({ Width: 80, Height: 24 })),
        ]),
      );
    return term;
  }

  write(data: string | Buffer) {
    this.stdin.write(data);
  }

  async close() {
    if (this.closed) return;
    this.ws.close();
    await this.waitFor(() => this.closed, 'close', 5000).catch(() =>
      this.ws.terminate(),
    );
  }
}

class OursTerm extends Term {
  ws!: WebSocket;
  connectedAt?: number;
  messages: any[] = [];

  static async open(
    port: number,
    opts: { ack?: boolean } = {},
  ): Promise<OursTerm> {
    const term = new OursTerm();
    const res = await fetch(
      `http://127.0.0.1:${port}/api/kubernetes-terminal/sessions`,
      {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          authorization: USER_AUTH,
        },
        body: JSON.stringify({
          entityRef: 'component:default/demo-service',
          cluster: 'sandbox',
          namespace: NAMESPACE,
          pod: POD,
          container: CONTAINER,
          cols: 80,
          rows: 24,
        }),
      },
    );
    if (res.status !== 201)
      throw new Error(`POST /sessions: HTTP ${res.status} ${await res.text()}`);
    const { ticket, streamPath } = (await res.json()) as {
      ticket: string;
      streamPath: string;
    };
    const ws = new WebSocket(
      `ws://127.0.0.1:${port}/api/kubernetes-terminal${streamPath}`,
      ['kubernetes-terminal.v1', `ticket.${ticket}`],
      { headers: { origin: APP_ORIGIN } },
    );
    term.ws = ws;
    const ack = opts.ack ?? true;
    ws.on('message', (data: Buffer, isBinary) => {
      if (isBinary) {
        term.data(data);
        // What the browser does once xterm.js has processed the bytes; without it output stops at 1 MiB.
        if (ack) ws.send(JSON.stringify({ type: 'ack', bytes: data.length }));
      } else {
        const msg = JSON.parse(data.toString('utf8'));
        term.messages.push(msg);
        if (msg.type === 'connected') term.connectedAt = now();
        term.data(Buffer.alloc(0));
      }
    });
    ws.on('close', () => term.ended());
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('unexpected-response', (_q, r) =>
        reject(new Error(`upgrade refused: HTTP ${r.statusCode}`)),
      );
      ws.once('error', reject);
    });
    return term;
  }

  waitConnected(timeoutMs?: number) {
    return this.waitFor(
      () => this.connectedAt !== undefined,
      'connected',
      timeoutMs,
    );
  }

  write(data: string | Buffer) {
    this.ws.send(Buffer.from(data));
  }

  async close() {
    if (this.closed) return;
    this.ws.close();
    await this.waitFor(() => this.closed, 'close', 5000).catch(() =>
      this.ws.terminate(),
    );
  }
}

// ---------------------------------------------------------------------------------------------
// Statistics

function quantile(sorted: number[], q: number) {
  if (!sorted.length) return NaN;
  const i = Math.min(
    sorted.length - 1,
    Math.max(0, Math.ceil(q * sorted.length) - 1),
  );
  return sorted[i];
}
const median = (xs: number[]) =>
  quantile(
    [...xs].sort((a, b) => a - b),
    0.5,
  );

// ---------------------------------------------------------------------------------------------
// Workloads

/**
 * direct: client-node exec straight to the sandbox. ours: our backend. proxy: Backstage's
 * kubernetes-backend /api/kubernetes/proxy, driven by the same client-node exec as direct (its only
 * cluster is picked without the Backstage-Kubernetes-Cluster header; our mock user token authenticates).
 */
type Path = 'direct' | 'ours' | 'proxy';
const PATHS: Path[] = ['direct', 'ours', 'proxy'];
const RELAYS: Array<Exclude<Path, 'direct'>> = ['ours', 'proxy'];

interface Ctx {
  kc: Record<'direct' | 'proxy', k8s.KubeConfig>;
  servers: Record<'ours' | 'proxy', BackendProcess>;
  sandboxPid: number;
}

function kubeConfig(server: string, token: string) {
  const kc = new k8s.KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'c', server, skipTLSVerify: true }],
    users: [{ name: 'u', token }],
    contexts: [{ name: 'c', cluster: 'c', user: 'u' }],
    currentContext: 'c',
  });
  return kc;
}

/** Opens bash in the pod (tty) over a path; resolves once the request is sent and the socket is open. */
function openBash(ctx: Ctx, p: Path): Promise<Term> {
  return p === 'ours'
    ? OursTerm.open(ctx.servers.ours.port)
    : DirectTerm.open(ctx.kc[p], ['bash'], true);
}

async function openShell(ctx: Ctx, p: Path): Promise<Term> {
  const t = await openBash(ctx, p);
  await t.waitPrompt();
  return t;
}

const serverPid = (ctx: Ctx, p: Path) =>
  p === 'direct' ? undefined : ctx.servers[p].child.pid!;

/** Keystroke echo: `exec cat` in the tty; each typed byte is echoed by the line discipline. */
async function keystrokeEcho(ctx: Ctx, p: Path, n: number, warmup = 20) {
  const t = await openShell(ctx, p);
  const pid = serverPid(ctx, p);
  let cpu0 = NaN;
  try {
    await t.runUntilMarker('exec cat\r', 'exec cat\r\n');
    await sleep(50);
    const rtts: number[] = [];
    const LINE = 50;
    for (let i = 0; i < n + warmup; i++) {
      if (i === warmup && pid) cpu0 = procCpuMs(pid);
      const before = t.total;
      const t0 = now();
      t.write('x');
      await t.waitBytes(before + 1, 5000);
      if (i >= warmup) rtts.push(now() - t0);
      if ((i + 1) % LINE === 0) {
        // End the line (untimed): echo "\r\n", then cat writes the LINE x's and "\r\n".
        const b = t.total;
        t.write('\r');
        await t.waitBytes(b + 2 + LINE + 2, 5000);
      }
    }
    return { rtts, serverCpuMsPerKey: pid ? (procCpuMs(pid) - cpu0) / n : NaN };
  } finally {
    await t.close();
  }
}

/** TTY bulk output: `head -c N /dev/zero` in bash; ms from Enter to the end marker. */
async function bulkTty(ctx: Ctx, p: Path, bytes: number) {
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
async function bulkPipe(ctx: Ctx, p: 'direct' | 'proxy', bytes: number) {
  const t0 = now();
  const t = await DirectTerm.open(
    ctx.kc[p],
    ['head', '-c', String(bytes), '/dev/zero'],
    false,
  );
  await t.waitFor(() => t.closed, 'close', 120_000);
  const ms = now() - t0;
  if (t.total !== bytes)
    throw new Error(
      `non-tty bulk over ${p}: got ${t.total} bytes, wanted ${bytes}`,
    );
  return { ms, mibps: bytes / MiB / (ms / 1000) };
}

/** Time to first prompt for an existing pod: from the first request to the shell prompt on screen. */
async function firstPrompt(ctx: Ctx, p: Path) {
  const t0 = now();
  const t = await openBash(ctx, p);
  await t.waitPrompt();
  const ms = now() - t0;
  const connected = t instanceof OursTerm ? t.connectedAt! - t0 : NaN;
  await t.close();
  return { ms, connected };
}

/** Server memory per open idle session: N sessions at the prompt, heap/external after GC minus before. */
async function idleMemory(ctx: Ctx, p: 'ours' | 'proxy', n: number) {
  const server = ctx.servers[p];
  // Warm up lazily initialised code paths with a couple of sessions first.
  for (let i = 0; i < 2; i++) await (await openShell(ctx, p)).close();
  await sleep(300);
  const before = await server.memory();
  const terms: Term[] = [];
  const BATCH = 10;
  for (let i = 0; i < n; i += BATCH) {
    terms.push(
      ...(await Promise.all(
        Array.from({ length: Math.min(BATCH, n - i) }, () => openShell(ctx, p)),
      )),
    );
  }
  await sleep(500);
  const during = await server.memory();
  await Promise.all(terms.map(t => t.close()));
  await sleep(1000);
  const after = await server.memory();
  await sleep(QUICK ? 1000 : 4000);
  const later = await server.memory();
  const per = (k: keyof NodeJS.MemoryUsage) =>
    (during.usage[k] - before.usage[k]) / n / 1024;
  return {
    gc: during.gc,
    heapKiB: per('heapUsed'),
    externalKiB: per('external'),
    rssKiB: per('rss'),
    heapLeftAfterCloseKiB:
      (after.usage.heapUsed - before.usage.heapUsed) / 1024,
    heapLeftLaterKiB: (later.usage.heapUsed - before.usage.heapUsed) / 1024,
    laterSeconds: QUICK ? 2 : 5,
    before: before.usage,
    during: during.usage,
  };
}

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
    QUICK ? 120_000 : 600_000,
  );
  limit.unref();

  log(`mode ${QUICK ? 'quick' : 'full'}: ${JSON.stringify(P)}`);
  const sandboxChild = startChild('sandboxChild.ts', []);
  const children: ChildProcess[] = [sandboxChild];
  const servers: Partial<Ctx['servers']> = {};
  process.on('exit', () =>
    children.forEach(c => c.exitCode === null && c.kill('SIGKILL')),
  );
  try {
    const sandbox = JSON.parse(await firstLine(sandboxChild, 'sandbox'));
    log(`sandbox at ${sandbox.url} (pid ${sandboxChild.pid})`);
    [servers.ours, servers.proxy] = await Promise.all([
      BackendProcess.start('backendChild.ts', sandbox),
      BackendProcess.start('proxyChild.ts', sandbox),
    ]);
    children.push(servers.ours.child, servers.proxy.child);
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

    // Smoke, and warm-up of every path (JIT, connection setup) before anything is timed.
    for (const p of PATHS) {
      await (await openShell(ctx, p)).close();
      await keystrokeEcho(ctx, p, 50, 0);
    }
    log('all paths reach the prompt and echo');

    // Idle memory first, before the bulk runs grow the heaps (RSS would then not move at all).
    const mem = {} as Record<
      'ours' | 'proxy',
      Awaited<ReturnType<typeof idleMemory>>
    >;
    for (const p of RELAYS) {
      mem[p] = await idleMemory(ctx, p, P.idleSessions);
      log(
        `idle memory ${p} at ${P.idleSessions} sessions: heap ${mem[
          p
        ].heapKiB.toFixed(1)} KiB, external ${mem[p].externalKiB.toFixed(
          1,
        )} KiB, rss ${mem[p].rssKiB.toFixed(1)} KiB per session (gc ${
          mem[p].gc
        }); heap still above the baseline after closing all: ${mem[
          p
        ].heapLeftAfterCloseKiB.toFixed(0)} KiB after 1 s, ${mem[
          p
        ].heapLeftLaterKiB.toFixed(0)} KiB after ${mem[p].laterSeconds} s`,
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
    const pipe: Record<'direct' | 'proxy', number[]> = {
      direct: [],
      proxy: [],
    };
    for (let r = 0; r < P.bulkRuns; r++) {
      for (const p of ['direct', 'proxy'] as const) {
        const res = await bulkPipe(ctx, p, P.bulkBytes);
        pipe[p].push(res.mibps);
        log(`non-tty bulk ${p} run ${r + 1}: ${res.mibps.toFixed(1)} MiB/s`);
      }
    }

    // Attribution: the command recorder (@xterm/headless) alone, in a process of its own.
    const recChild = startChild(
      'recorderCost.ts',
      [String(P.idleSessions), String(QUICK ? 16 : 64)],
      ['--expose-gc'],
    );
    const rec = JSON.parse(await firstLine(recChild, 'recorderCost')) as {
      heapKiB: number;
      externalKiB: number;
      zeros: { cpuMsPerMiB: number; mibps: number };
      text: { cpuMsPerMiB: number; mibps: number };
    };
    log(
      `recorder alone: heap ${rec.heapKiB.toFixed(
        1,
      )} KiB + external ${rec.externalKiB.toFixed(
        1,
      )} KiB per idle recorder; ${rec.zeros.cpuMsPerMiB.toFixed(
        1,
      )} ms CPU/MiB (NULs), ${rec.text.cpuMsPerMiB.toFixed(
        1,
      )} ms CPU/MiB (text lines)`,
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
        ours: 'n/a (TTY only)',
        proxy: median(pipe.proxy),
        target: '—',
        met: '—',
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
      {
        figure: `server heap per idle session @${P.idleSessions}`,
        unit: 'KiB',
        direct: '—',
        ours: mem.ours.heapKiB,
        proxy: mem.proxy.heapKiB,
        target: '≤ 64 KiB (ours)',
        met: yesNo(mem.ours.heapKiB <= 64),
        ratio: false,
      },
      {
        figure: `server heap + external per idle session @${P.idleSessions}`,
        unit: 'KiB',
        direct: '—',
        ours: mem.ours.heapKiB + mem.ours.externalKiB,
        proxy: mem.proxy.heapKiB + mem.proxy.externalKiB,
        target: '≤ 64 KiB (ours)',
        met: yesNo(mem.ours.heapKiB + mem.ours.externalKiB <= 64),
        ratio: false,
      },
      {
        figure: `server RSS per idle session @${P.idleSessions} (indicative)`,
        unit: 'KiB',
        direct: '—',
        ours: mem.ours.rssKiB,
        proxy: mem.proxy.rssKiB,
        target: '—',
        met: '—',
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
    median(d.pipe.direct),
    median(d.pipe.proxy),
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
    `- non-TTY bulk (MiB/s): direct ${f(d.pipe.direct, 1)}; proxy ${f(
      d.pipe.proxy,
      1,
    )}`,
    ...RELAYS.map(p => {
      const m = d.mem[p];
      return `- idle memory ${p}: heapUsed ${(m.before.heapUsed / MiB).toFixed(
        1,
      )} → ${(m.during.heapUsed / MiB).toFixed(1)} MiB, external ${(
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
