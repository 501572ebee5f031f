/*
 * Keeping the shell: what a detached session costs the backend, and how long a resume takes from the
 * reconnect to the restored screen. Run by `yarn bench:resume` (`--quick`: fewer sessions; `--write`:
 * rewrites its section of docs/benchmarks.md).
 *
 * Sessions are opened to the prompt against our backend (in a process of its own, figures after a
 * forced GC), then their sockets are cut as a network does (no close frame), and resumed one by one
 * through `POST /sessions/:id/resume` and a new socket:
 * - idle: nothing was printed while away; resumed once `connected` arrives;
 * - holding output: each printed 64 KiB and a marker while away, held by the backend; resumed once
 *   the marker has arrived, i.e. every held byte has been replayed.
 * BENCH_RESUME_SESSIONS sets how many of each; BENCH_RESUME_SETTLE_MS how long the held output is
 * left to settle before the memory is read (default 2000).
 */
import os from 'node:os';
import path from 'node:path';
import { OursTerm, now } from './clients';
import {
  BackendProcess,
  firstLine,
  log,
  oursOptions,
  sleep,
  startChild,
  writeDocSection,
} from './processes';

const QUICK = process.argv.includes('--quick');
const WRITE = process.argv.includes('--write');
const SESSIONS = Number(
  process.env.BENCH_RESUME_SESSIONS ?? (QUICK ? 20 : 200),
);
const HELD_BYTES = 64 * 1024;
const ROOT = path.resolve(__dirname, '..');

function quantile(values: number[], q: number) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

const fmt = (x: number, digits = 1) => x.toFixed(digits);

async function openMany(port: number, n: number): Promise<OursTerm[]> {
  const terms: OursTerm[] = [];
  for (let i = 0; i < n; i += 10) {
    const batch = await Promise.all(
      Array.from({ length: Math.min(10, n - i) }, () => OursTerm.open(port)),
    );
    await Promise.all(batch.map(t => t.waitPrompt()));
    terms.push(...batch);
  }
  return terms;
}

/** Cuts each socket as a network would, and waits until the backend has seen it. */
async function cut(terms: OursTerm[]) {
  for (const t of terms) t.ws.terminate();
  await Promise.all(terms.map(t => t.waitFor(() => t.closed, 'close', 5000)));
  await sleep(500);
}

async function main() {
  const sandboxChild = startChild('sandboxChild.ts', []);
  const children = [sandboxChild];
  process.on('exit', () => children.forEach(c => c.kill('SIGKILL')));
  const sandbox = JSON.parse(await firstLine(sandboxChild, 'sandbox'));
  const options = oursOptions() as { terminalConfig?: object };
  const server = await BackendProcess.start('backendChild.ts', sandbox, {
    terminalConfig: {
      resume: { grace: { minutes: 15 } },
      ...options.terminalConfig,
    },
  });
  children.push(server.child);
  const kib = (a: NodeJS.MemoryUsage, b: NodeJS.MemoryUsage, n: number) => ({
    heap: (a.heapUsed - b.heapUsed) / n / 1024,
    external: (a.external - b.external) / n / 1024,
  });
  try {
    // Warm-up: the first session compiles code paths the others reuse.
    const warm = await OursTerm.open(server.port);
    await warm.waitPrompt();
    await warm.close();
    const base = (await server.memory()).usage;

    log(`opening ${SESSIONS} idle sessions`);
    const idle = await openMany(server.port, SESSIONS);
    const attached = (await server.memory()).usage;
    await cut(idle);
    const detached = (await server.memory()).usage;

    log(
      `opening ${SESSIONS} sessions that print ${HELD_BYTES} bytes while away`,
    );
    const busy = await openMany(server.port, SESSIONS);
    const busyAttached = (await server.memory()).usage;
    // Each is cut right after its shell echoed the line, a second before the output comes.
    for (const [i, t] of busy.entries()) {
      t.write(
        `sleep 1; head -c ${HELD_BYTES} /dev/zero; echo RESUME_MARK_${i}\n`,
      );
      await t.waitFor(() => /sleep 1; head/.test(t.text()), 'the echo');
      t.ws.terminate();
    }
    await Promise.all(busy.map(t => t.waitFor(() => t.closed, 'close', 5000)));
    if (busy.some((t, i) => t.text().includes(`RESUME_MARK_${i}`))) {
      throw new Error('output arrived before the cut: nothing was held');
    }
    await sleep(Number(process.env.BENCH_RESUME_SETTLE_MS ?? 2000));
    const holding = (await server.memory()).usage;

    log('resuming every session');
    const idleMs: number[] = [];
    const resumed: OursTerm[] = [];
    for (const t of idle) {
      const t0 = now();
      const again = await OursTerm.resume(server.port, t.sessionId, t.total);
      await again.waitConnected();
      idleMs.push(now() - t0);
      resumed.push(again);
    }
    const busyMs: number[] = [];
    for (const [i, t] of busy.entries()) {
      const t0 = now();
      const again = await OursTerm.resume(server.port, t.sessionId, t.total);
      await again
        .waitFor(() => again.text().includes(`RESUME_MARK_${i}`), `marker ${i}`)
        .catch(error => {
          throw new Error(
            `${error.message}; messages ${JSON.stringify(
              again.messages,
            )}, received ${again.total} bytes, had ${t.total}`,
          );
        });
      busyMs.push(now() - t0);
      resumed.push(again);
    }
    await Promise.all(resumed.map(t => t.close()));

    const perAttached = kib(attached, base, SESSIONS);
    const perDetached = kib(detached, base, SESSIONS);
    const perHolding = kib(holding, busyAttached, SESSIONS);
    const rows = [
      ['figure', 'value', 'target'],
      [
        'memory per session, attached and idle (heap + external)',
        `${fmt(perAttached.heap + perAttached.external)} KiB`,
        '',
      ],
      [
        'memory per session, detached and idle',
        `${fmt(perDetached.heap + perDetached.external)} KiB`,
        '',
      ],
      [
        `memory per detached session holding ${
          HELD_BYTES / 1024
        } KiB of output`,
        `${fmt(perHolding.heap + perHolding.external)} KiB`,
        `≈ ${HELD_BYTES / 1024} KiB + the session`,
      ],
      [
        'resume, idle: reconnect to `connected`, p50 / p99',
        `${fmt(quantile(idleMs, 0.5))} / ${fmt(quantile(idleMs, 0.99))} ms`,
        '≤ 300 ms',
      ],
      [
        `resume, ${
          HELD_BYTES / 1024
        } KiB held: reconnect to the last byte, p50 / p99`,
        `${fmt(quantile(busyMs, 0.5))} / ${fmt(quantile(busyMs, 0.99))} ms`,
        '≤ 300 ms',
      ],
    ];
    const met =
      quantile(idleMs, 0.99) <= 300 && quantile(busyMs, 0.99) <= 300
        ? 'met'
        : 'NO';
    const table = [
      `| ${rows[0].join(' | ')} |`,
      `| --- | --- | --- |`,
      ...rows.slice(1).map(r => `| ${r.join(' | ')} |`),
    ].join('\n');
    console.log(table);
    console.log(`resume target (p99 ≤ 300 ms): ${met}`);
    if (WRITE) {
      const file = path.join(ROOT, 'docs/benchmarks.md');
      writeDocSection(
        file,
        'bench/resume.ts',
        'Keeping the shell (`yarn bench:resume`)',
        `- date: ${new Date().toISOString()}, mode: **${
          QUICK ? 'quick' : 'full'
        }**, ${SESSIONS} sessions per kind
- node ${process.version}, nproc ${os.cpus().length}, ${
          os.cpus()[0]?.model ?? '?'
        }

${table}

Resume target (p99 ≤ 300 ms from the reconnect to the restored screen): **${met}**.`,
      );
    }
  } finally {
    await server.stop();
    sandboxChild.kill('SIGTERM');
  }
}

main().then(
  () => process.exit(0),
  error => {
    process.stderr.write(`${(error as Error).stack ?? error}\n`);
    process.exit(1);
  },
);
