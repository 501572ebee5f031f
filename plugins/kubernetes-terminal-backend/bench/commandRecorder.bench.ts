/*
 * What following a session's output with a CommandRecorder costs. From the package directory:
 *
 *   node --expose-gc -r @backstage/cli/config/nodeTransform.cjs bench/commandRecorder.bench.ts [MiB]
 *
 * Feeds realistic terminal output (log lines, `ls --color` listings, SGR-heavy test runner output, wrapped
 * lines, some UTF-8) through output() in 32 KiB chunks, as the exec stream delivers it, and compares the
 * CPU time with a bare pass-through of the same chunks and with xterm's parser on its own; then once more
 * with an Enter pending whose echo never comes, the recorder's worst case.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Terminal } from '@xterm/headless';
import { CommandRecorder } from '../src/audit/CommandRecorder';

const MIB = 1024 * 1024;
const TOTAL_MIB = Number(process.argv[2] ?? 64);
const CHUNK_BYTES = 32 * 1024;
/** The relay does not wait for the recorder; here we let it catch up now and then so that nothing is dropped. */
const FLUSH_EVERY_BYTES = 2 * MIB;

function realisticOutput(bytes: number): Buffer {
  const parts: string[] = [];
  let size = 0;
  let n = 0;
  const colors = [31, 32, 33, 34, 35, 36, 90];
  while (size < bytes) {
    n++;
    let line: string;
    switch (n % 6) {
      case 0:
        line = `2024-05-0${n % 9}T12:${String(n % 60).padStart(
          2,
          '0',
        )}:07.123Z INFO  [worker-${n % 16}] request id=${n.toString(
          16,
        )} path=/api/catalog/entities?filter=kind%3Dcomponent status=200 duration=${
          n % 997
        }ms`;
        break;
      case 1:
        line = '';
        for (let i = 0; i < 8; i++) {
          line +=
            i % 3 === 0
              ? `\x1b[01;34mdir-${n}-${i}\x1b[0m  `
              : `file-${n}-${i}.txt  `;
        }
        break;
      case 2:
        line = `\x1b[${
          colors[n % colors.length]
        }m✓\x1b[39m \x1b[2msrc/components/Widget${n}.test.tsx\x1b[22m \x1b[33m(${
          n % 300
        } ms)\x1b[39m`;
        break;
      case 3:
        line = `    at Object.<anonymous> (/app/node_modules/some-package/lib/index.js:${
          n % 400
        }:${n % 80}) — ünïcödé ${'─'.repeat(10)}`;
        break;
      case 4:
        line = `${'x'.repeat(150 + (n % 50))}`; // wraps on an 80-column terminal
        break;
      default:
        line = `\x1b[1m\x1b[38;5;${
          n % 256
        }mbuild\x1b[0m step ${n}: compiling module ${n % 1000} of 1000 \x1b[K`;
    }
    const text = `${line}\r\n`;
    parts.push(text);
    size += Buffer.byteLength(text);
  }
  return Buffer.from(parts.join('')).subarray(0, bytes);
}

function* chunks(block: Buffer, totalBytes: number) {
  for (let sent = 0; sent < totalBytes; sent += CHUNK_BYTES) {
    const offset = sent % block.length;
    yield block.subarray(offset, Math.min(offset + CHUNK_BYTES, block.length));
  }
}

function gc() {
  (globalThis as { gc?: () => void }).gc?.();
}

interface Result {
  label: string;
  seconds: number;
  cpuSeconds: number;
  maxLoopDelayMs: number;
}

async function measure(
  label: string,
  run: () => Promise<void>,
): Promise<Result> {
  gc();
  const loop = monitorEventLoopDelay({ resolution: 1 });
  loop.enable();
  const cpu = process.cpuUsage();
  const start = process.hrtime.bigint();
  await run();
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  const used = process.cpuUsage(cpu);
  loop.disable();
  return {
    label,
    seconds,
    cpuSeconds: (used.user + used.system) / 1e6,
    maxLoopDelayMs: loop.max / 1e6,
  };
}

async function main() {
  const total = TOTAL_MIB * MIB;
  const block = realisticOutput(4 * MIB);
  let forwarded = 0;
  const forward = (chunk: Uint8Array) => {
    // What the relay does with a chunk anyway: hand a copy to the browser's socket.
    forwarded += Buffer.from(chunk).length;
  };

  // Warm-up, so that neither run pays for JIT compilation.
  const warm = new CommandRecorder({ cols: 80, rows: 24 });
  for (const chunk of chunks(block, 8 * MIB)) warm.output(chunk);
  await warm.flush();
  warm.dispose();

  const without = await measure('pass-through only', async () => {
    for (const chunk of chunks(block, total)) forward(chunk);
  });

  const withRecorder = (
    label: string,
    prepare: (r: CommandRecorder) => Promise<void>,
  ) =>
    measure(label, async () => {
      const recorder = new CommandRecorder({ cols: 80, rows: 24 });
      await prepare(recorder);
      let sinceFlush = 0;
      for (const chunk of chunks(block, total)) {
        forward(chunk);
        recorder.output(chunk);
        sinceFlush += chunk.length;
        if (sinceFlush >= FLUSH_EVERY_BYTES) {
          sinceFlush = 0;
          await recorder.flush();
        }
      }
      await recorder.flush();
      recorder.dispose();
    });

  // The floor: xterm's parser alone, with none of the recorder's hooks.
  const xtermOnly = await measure('xterm/headless alone', async () => {
    const terminal = new Terminal({ cols: 80, rows: 24, scrollback: 100 });
    let sinceFlush = 0;
    for (const chunk of chunks(block, total)) {
      forward(chunk);
      terminal.write(chunk);
      sinceFlush += chunk.length;
      if (sinceFlush >= FLUSH_EVERY_BYTES) {
        sinceFlush = 0;
        await new Promise<void>(resolve => terminal.write('', resolve));
      }
    }
    await new Promise<void>(resolve => terminal.write('', resolve));
    terminal.dispose();
  });
  const idle = await withRecorder('with recorder', async () => {});
  // Worst case: an Enter whose echo never comes is pending, so every line feed is examined.
  const pending = await withRecorder(
    'with recorder, Enter pending',
    async recorder => {
      recorder.output(Buffer.from('prompt$ '));
      await recorder.flush();
      recorder.input(Buffer.from('never-echoed\r'));
    },
  );

  // What a session keeps: one recorder that has followed plenty of output, measured over many.
  gc();
  const heapBefore = process.memoryUsage().heapUsed;
  const sessions: CommandRecorder[] = [];
  for (let i = 0; i < 50; i++) {
    const recorder = new CommandRecorder({ cols: 120, rows: 40 });
    for (const chunk of chunks(block, MIB)) recorder.output(chunk);
    await recorder.flush();
    sessions.push(recorder);
  }
  gc();
  const perSession =
    (process.memoryUsage().heapUsed - heapBefore) / sessions.length;
  sessions.forEach(recorder => recorder.dispose());

  const mibPerSecond = (r: Result) => TOTAL_MIB / r.seconds;
  const cpuMsPerMib = (r: Result) => (r.cpuSeconds * 1000) / TOTAL_MIB;
  console.log(
    `${TOTAL_MIB} MiB of terminal output in ${
      CHUNK_BYTES / 1024
    } KiB chunks, node ${process.version}`,
  );
  for (const r of [without, xtermOnly, idle, pending]) {
    console.log(
      `${r.label.padEnd(32)} ${mibPerSecond(r)
        .toFixed(1)
        .padStart(8)} MiB/s  ` +
        `${cpuMsPerMib(r).toFixed(2).padStart(7)} ms CPU/MiB  ` +
        `max event-loop delay ${r.maxLoopDelayMs.toFixed(1)} ms`,
    );
  }
  const added = (r: Result) => cpuMsPerMib(r) - cpuMsPerMib(without);
  console.log(
    `the recorder adds ${added(idle).toFixed(2)} ms CPU per MiB of output ` +
      `(${added(pending).toFixed(2)} ms with an Enter pending), ` +
      `of which xterm's parser is ${added(xtermOnly).toFixed(2)} ms`,
  );
  console.log(
    `heap kept per session (120x40, after 1 MiB of output): ${(
      perSession / 1024
    ).toFixed(0)} KiB`,
  );
  if (forwarded === 0) throw new Error('nothing forwarded');
}

main().catch(error => {
  console.error(error);
  process.exit(1);
});
