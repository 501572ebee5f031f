/*
 * The bench's processes: the sandbox and the backends under test each run in a child of their own
 * (sandboxChild.ts, backendChild.ts, proxyChild.ts), driven over IPC (childControl.ts).
 */
import { fork, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '..');

const started = Date.now();
export const log = (msg: string) =>
  process.stderr.write(
    `[bench +${((Date.now() - started) / 1000).toFixed(1)}s] ${msg}\n`,
  );
export const sleep = (ms: number) => new Promise(r => setTimeout(r, ms));

// ---------------------------------------------------------------------------------------------
// Child processes

const NODE_ARGS = [
  '-r',
  require.resolve('@backstage/cli/config/nodeTransform.cjs'),
];

export function startChild(
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

export function firstLine(child: ChildProcess, what: string): Promise<string> {
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
export function procCpuMs(pid: number): number {
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
/** Event-loop delay and garbage collection of a server over a span (ms). */
export interface LoopDelay {
  p50: number;
  p99: number;
  max: number;
  gcMs: number;
  gcMaxMs: number;
  gcCount: number;
  /** Mark-compact pauses among them. */
  gcMajorCount: number;
  gcMajorMaxMs: number;
}

/** Options for `ours`: BENCH_OURS_CONFIG='{"recording":{"enabled":false}}' merges into its config. */
export function oursOptions(): object {
  return process.env.BENCH_OURS_CONFIG
    ? { terminalConfig: JSON.parse(process.env.BENCH_OURS_CONFIG) }
    : {};
}

export class BackendProcess {
  private nextId = 1;
  private pending = new Map<number, (m: any) => void>();
  constructor(readonly child: ChildProcess, readonly port: number) {
    child.on('message', (m: any) => {
      this.pending.get(m.id)?.(m);
      this.pending.delete(m.id);
    });
  }
  /** `options` go to the child as JSON with the sandbox (backendChild.ts: `terminalConfig`). */
  static async start(
    file: string,
    sandbox: object,
    options: object = {},
    execArgv: string[] = [],
  ): Promise<BackendProcess> {
    const child = startChild(
      file,
      [JSON.stringify({ ...options, sandbox })],
      ['--expose-gc', ...execArgv],
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
  /** Runs `fn` while the server's event-loop delay (ms: p50, p99, max) and GC pauses are sampled. */
  async loopDelay<T>(
    fn: () => Promise<T>,
  ): Promise<{ result: T; delay: LoopDelay }> {
    await this.request({ type: 'loop-delay-start' });
    const result = await fn();
    const {
      id: _id,
      type: _type,
      ...delay
    } = await this.request({
      type: 'loop-delay-stop',
    });
    return { result, delay: delay as LoopDelay };
  }
  /** With BENCH_HEAP_SNAPSHOTS=<dir>, writes <dir>/<name>.heapsnapshot (compare with bench/heapDiff.ts). */
  async heapSnapshot(name: string) {
    const dir = process.env.BENCH_HEAP_SNAPSHOTS;
    if (!dir) return;
    fs.mkdirSync(dir, { recursive: true });
    const file = path.resolve(dir, `${name}.heapsnapshot`);
    await this.request({ type: 'heap-snapshot', file });
    log(`heap snapshot: ${file}`);
  }
  /**
   * With BENCH_BACKEND_PROF=<dir>, runs `fn` under the V8 sampling profiler of the backend and writes
   * <dir>/<name>.cpuprofile (open it in Chrome DevTools, or summarise it with bench/profileTop.ts).
   */
  async profiled<T>(name: string, fn: () => Promise<T>): Promise<T> {
    // BENCH_BACKEND_ALLOC_PROF=<dir>: what the workload allocates instead, sampled (objects collected
    // since included), as <dir>/<name>.heapprofile.
    const alloc = process.env.BENCH_BACKEND_ALLOC_PROF;
    const dir = alloc ?? process.env.BENCH_BACKEND_PROF;
    if (!dir) return fn();
    const [kind, ext] = alloc
      ? ['alloc', 'heapprofile']
      : ['prof', 'cpuprofile'];
    fs.mkdirSync(dir, { recursive: true });
    await this.request({ type: `${kind}-start` });
    try {
      return await fn();
    } finally {
      const file = path.resolve(dir, `${name}.${ext}`);
      await this.request({ type: `${kind}-stop`, file });
      log(`backend ${alloc ? 'allocation ' : ''}profile: ${file}`);
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

/**
 * Replaces the generated section of `file` that `script` (e.g. `bench/agent.ts`) writes, or appends it
 * under `heading` the first time.
 */
export function writeDocSection(
  file: string,
  script: string,
  heading: string,
  body: string,
) {
  const begin = `<!-- BEGIN GENERATED by ${script} -->`;
  const end = `<!-- END GENERATED by ${script} -->`;
  const section = `${begin}\n${body}\n${end}`;
  const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  const pattern = new RegExp(`${escape(begin)}[\\s\\S]*${escape(end)}`);
  const doc = fs.readFileSync(file, 'utf8');
  fs.writeFileSync(
    file,
    pattern.test(doc)
      ? doc.replace(pattern, () => section)
      : `${doc.trimEnd()}\n\n## ${heading}\n\n${section}\n`,
  );
  log(`wrote ${file}`);
}
