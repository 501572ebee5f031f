/*
 * Where the slowest keystroke echoes spent their time, from the scheduler's own record.
 *
 *   BENCH_KEY_TIMES=/tmp/keys.jsonl perf sched record -k CLOCK_MONOTONIC -o /tmp/echo.perf -- \
 *     node -r @backstage/cli/config/nodeTransform.cjs bench/run.ts --only echo
 *   node -r @backstage/cli/config/nodeTransform.cjs bench/echoTails.ts /tmp/keys.jsonl /tmp/echo.perf
 *
 * A key's echo needs three processes to run in turn: the bench client, the server (ours or /proxy;
 * none for direct) and the sandbox. For each run, the keys at or above its p99 are set against the
 * median keys: how long, inside the key's round trip, each of those processes' main threads was
 * runnable but waiting for a core (`wait`), how long it ran (`run`), and what ran on the cores
 * instead. A tail that is mostly `wait` was the scheduler's doing; one that is mostly the server's
 * `run` was the server's own work.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import readline from 'node:readline';

interface KeyRun {
  path: string;
  run: number;
  clientPid: number;
  serverPid?: number;
  sandboxPid: number;
  sentAt: number[];
  rtts: number[];
}

/** [start, end] in ms of the monotonic clock. */
type Interval = [number, number];

interface Task {
  pid: number;
  comm: string;
  runs: Interval[];
  waits: Interval[];
  runningSince?: number;
  waitingSince?: number;
}

const [keysFile, perfFile] = process.argv.slice(2);
if (!keysFile || !perfFile) {
  process.stderr.write(
    'usage: echoTails.ts <BENCH_KEY_TIMES file> <perf sched record file>\n',
  );
  process.exit(2);
}

const keyRuns: KeyRun[] = fs
  .readFileSync(keysFile, 'utf8')
  .split('\n')
  .filter(Boolean)
  .map(line => JSON.parse(line));

const tasks = new Map<number, Task>();
function task(tid: number, pid: number, comm: string): Task {
  let t = tasks.get(tid);
  if (!t) {
    t = { pid, comm, runs: [], waits: [] };
    tasks.set(tid, t);
  }
  if (pid > 0) t.pid = pid;
  return t;
}

// perf script -F comm,pid,tid,time,event,trace:
//   node 15308/15308 2257.300294: sched:sched_switch: prev_comm=node prev_pid=15308 ... prev_state=R ==> next_comm=... next_pid=0 ...
const LINE = /^\s*(.*?)\s+(-?\d+)\/(\d+)\s+(\d+\.\d+):\s+sched:(\w+):\s+(.*)$/;

async function readSchedule() {
  const perf = spawn(
    'perf',
    ['script', '-i', perfFile, '-F', 'comm,pid,tid,time,event,trace', '--ns'],
    {
      stdio: ['ignore', 'pipe', 'ignore'],
    },
  );
  const lines = readline.createInterface({ input: perf.stdout });
  for await (const line of lines) {
    const m = LINE.exec(line);
    if (!m) continue;
    const [, comm, pid, , time, event, trace] = m;
    const at = Number(time) * 1000;
    if (event === 'sched_switch') {
      const f = fields(trace.replace(' ==> ', ' '));
      const prev = task(Number(f.prev_pid), Number(pid), f.prev_comm ?? comm);
      if (prev.runningSince !== undefined) {
        prev.runs.push([prev.runningSince, at]);
        prev.runningSince = undefined;
      }
      // Switched out while runnable: preempted, waiting for a core again from now.
      if (f.prev_state?.startsWith('R')) prev.waitingSince = at;
      const next = task(Number(f.next_pid), -1, f.next_comm ?? '');
      if (next.waitingSince !== undefined) {
        next.waits.push([next.waitingSince, at]);
        next.waitingSince = undefined;
      }
      next.runningSince = at;
    } else if (event === 'sched_wakeup' || event === 'sched_wakeup_new') {
      const f = fields(trace);
      const woken = task(Number(f.pid), -1, f.comm ?? '');
      if (woken.runningSince === undefined && woken.waitingSince === undefined)
        woken.waitingSince = at;
    }
  }
}

/** `a=1 b=two` → { a: '1', b: 'two' } (comm values without spaces, as perf prints them). */
function fields(trace: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of trace.matchAll(/(\w+)=(\S*)/g)) out[m[1]] = m[2];
  return out;
}

/** How much of [from, to] the intervals cover (intervals sorted by start). */
function overlap(intervals: Interval[], from: number, to: number): number {
  let lo = 0;
  let hi = intervals.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (intervals[mid][1] <= from) lo = mid + 1;
    else hi = mid;
  }
  let sum = 0;
  for (let i = lo; i < intervals.length && intervals[i][0] < to; i++) {
    sum += Math.max(
      0,
      Math.min(to, intervals[i][1]) - Math.max(from, intervals[i][0]),
    );
  }
  return sum;
}

interface KeyCut {
  rtt: number;
  wait: Record<string, number>;
  run: Record<string, number>;
  /** Run time of the processes' other threads (V8's collector and compiler threads among them). */
  helpers: Record<string, number>;
  /** The same by thread name, as `role thread`. */
  helperThreads: Map<string, number>;
  others: Map<string, number>;
}

function cut(r: KeyRun, i: number): KeyCut {
  const from = r.sentAt[i];
  const to = from + r.rtts[i];
  const roles: Record<string, number | undefined> = {
    client: r.clientPid,
    server: r.serverPid,
    sandbox: r.sandboxPid,
  };
  const wait: Record<string, number> = {};
  const run: Record<string, number> = {};
  const helpers: Record<string, number> = {};
  const others = new Map<string, number>();
  const helperThreads = new Map<string, number>();
  const ofRole = new Map<number, string>();
  for (const [role, pid] of Object.entries(roles)) {
    if (pid === undefined) continue;
    ofRole.set(pid, role);
    const main = tasks.get(pid);
    wait[role] = main ? overlap(main.waits, from, to) : 0;
    run[role] = main ? overlap(main.runs, from, to) : 0;
    helpers[role] = 0;
  }
  for (const [tid, t] of tasks) {
    if (tid === 0) continue;
    const ran = overlap(t.runs, from, to);
    if (ran === 0) continue;
    const role = ofRole.get(t.pid);
    if (role && tid === t.pid) continue;
    if (role) {
      helpers[role] += ran;
      const name = `${role} ${t.comm}`;
      helperThreads.set(name, (helperThreads.get(name) ?? 0) + ran);
    } else others.set(t.comm, (others.get(t.comm) ?? 0) + ran);
  }
  return { rtt: r.rtts[i], wait, run, helpers, helperThreads, others };
}

function mean(cuts: KeyCut[], pick: (c: KeyCut) => number) {
  return cuts.reduce((s, c) => s + pick(c), 0) / Math.max(1, cuts.length);
}

/** The main threads' waits for a core during one key, together. */
const waited = (c: KeyCut) => Object.values(c.wait).reduce((s, x) => s + x, 0);

const ms = (x: number) => x.toFixed(3);

async function main() {
  await readSchedule();
  for (const t of tasks.values()) {
    t.runs.sort((a, b) => a[0] - b[0]);
    t.waits.sort((a, b) => a[0] - b[0]);
  }
  const out: string[] = [];
  const totals = new Map<
    string,
    { tail: KeyCut[]; middle: KeyCut[]; runs: number }
  >();
  for (const r of keyRuns) {
    const order = r.rtts.map((_, i) => i).sort((a, b) => r.rtts[a] - r.rtts[b]);
    const n = order.length;
    const tail = order.slice(Math.ceil(0.99 * n) - 1).map(i => cut(r, i));
    const middle = order
      .slice(Math.floor(0.4 * n), Math.ceil(0.6 * n))
      .map(i => cut(r, i));
    const sum = totals.get(r.path) ?? { tail: [], middle: [], runs: 0 };
    sum.tail.push(...tail);
    sum.middle.push(...middle);
    sum.runs++;
    totals.set(r.path, sum);
  }
  out.push(
    'keys at or above each run\'s p99 ("tail") against its p40–p60 keys ("middle"), means in ms;',
    "wait = runnable but not running, run = running, helpers = the process's other threads running",
    '',
  );
  for (const [path, { tail, middle, runs }] of totals) {
    out.push(`${path}: ${runs} runs, ${tail.length} tail keys`);
    for (const [label, cuts] of [
      ['tail', tail],
      ['middle', middle],
    ] as const) {
      const roles = Object.keys(cuts[0]?.wait ?? {});
      const parts = roles.map(
        role =>
          `${role} wait ${ms(mean(cuts, c => c.wait[role]))} run ${ms(
            mean(cuts, c => c.run[role]),
          )} helpers ${ms(mean(cuts, c => c.helpers[role]))}`,
      );
      out.push(
        `  ${label.padEnd(6)} echo ${ms(mean(cuts, c => c.rtt))}; waits ${ms(
          mean(cuts, waited),
        )}; ${parts.join('; ')}`,
      );
    }
    const extra = mean(tail, c => c.rtt) - mean(middle, c => c.rtt);
    const serverRun = (cuts: KeyCut[]) => mean(cuts, c => c.run.server ?? 0);
    out.push(
      `  the tail's extra ${ms(extra)} ms: ${ms(
        mean(tail, waited) - mean(middle, waited),
      )} more waiting for a core, ${ms(
        serverRun(tail) - serverRun(middle),
      )} more of the server running`,
    );
    const byName = (pick: (c: KeyCut) => Map<string, number>) => {
      const sums = new Map<string, number>();
      for (const c of tail)
        for (const [name, ran] of pick(c))
          sums.set(name, (sums.get(name) ?? 0) + ran / tail.length);
      return [...sums]
        .sort((a, b) => b[1] - a[1])
        .slice(0, 6)
        .map(([name, ran]) => `${name} ${ms(ran)}`)
        .join(', ');
    };
    // The relay's helper threads; the direct path has none, so the sandbox's.
    const role = 'server' in (tail[0]?.helpers ?? {}) ? 'server' : 'sandbox';
    const busy = (cuts: KeyCut[]) =>
      cuts.filter(c => (c.helpers[role] ?? 0) >= 0.5).length;
    out.push(
      `  keys during which the ${role}'s other threads ran ≥ 0.5 ms: ${busy(
        tail,
      )} of ${tail.length} tail keys, ${busy(middle)} of ${
        middle.length
      } middle keys`,
      `  helper threads running during a tail key: ${byName(
        c => c.helperThreads,
      )}`,
      `  other tasks running during a tail key: ${byName(c => c.others)}`,
      '',
    );
  }
  process.stdout.write(`${out.join('\n')}\n`);
}

main().catch(error => {
  process.stderr.write(`${error.stack ?? error}\n`);
  process.exit(1);
});
