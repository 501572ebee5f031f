/*
 * Attribution for the "ours" figures: what the backend's command recorder (@xterm/headless, one per
 * session) costs on its own, in a process of its own with --expose-gc:
 *   - heap and external memory per idle recorder (80×24, a bash prompt written into it), dormant (no
 *     key typed: only the output's tail is kept) and awake (a key typed: a terminal emulator is alive);
 *   - CPU per MiB of TTY output fed through it (NUL bytes, like the bulk workload, and text), dormant
 *     (nobody typing: the output is only kept as a tail) and awake (a line typed ahead: it is parsed).
 * Prints one JSON line.
 */
import { CommandRecorder } from '../plugins/kubernetes-terminal-backend/src/audit/CommandRecorder';

const gc = (globalThis as { gc?: () => void }).gc ?? (() => {});
const sleep = (ms: number) => new Promise(r => setTimeout(r, ms));
const MiB = 1024 * 1024;

async function settle() {
  for (let i = 0; i < 3; i++) {
    gc();
    await sleep(20);
  }
  return process.memoryUsage();
}

/** Feeds container output, keeping under the recorder's unparsed limit (it would stop recording). */
async function feed(rec: CommandRecorder, chunk: Buffer, total: number) {
  const unparsed = () => (rec as unknown as { unparsed: number }).unparsed;
  const t0 = process.cpuUsage();
  const w0 = Date.now();
  for (let sent = 0; sent < total; sent += chunk.length) {
    rec.output(chunk);
    while (unparsed() > MiB) await new Promise(r => setImmediate(r));
  }
  while (unparsed() > 0) await new Promise(r => setImmediate(r));
  const d = process.cpuUsage(t0);
  if ((rec as unknown as { lost?: boolean }).lost)
    throw new Error('recorder gave up');
  return {
    cpuMsPerMiB: (d.user + d.system) / 1000 / (total / MiB),
    mibps: total / MiB / ((Date.now() - w0) / 1000),
  };
}

async function main() {
  const n = Number(process.argv[2] ?? 100);
  const mib = Number(process.argv[3] ?? 16);
  const prompt = Buffer.from('\u001b[?2004hdemo-service-7d9f8b6c5-abcde:~# ');
  // Warm up the module and its code paths.
  new CommandRecorder({ cols: 80, rows: 24 }).output(prompt);
  const before = await settle();
  const recs: CommandRecorder[] = [];
  for (let i = 0; i < n; i++) {
    const r = new CommandRecorder({ cols: 80, rows: 24 });
    r.output(prompt);
    recs.push(r);
  }
  await sleep(200);
  const during = await settle();
  for (const r of recs) r.input(Buffer.from('l'));
  await sleep(200);
  const typing = await settle();
  const perKiB = (
    k: keyof NodeJS.MemoryUsage,
    m: NodeJS.MemoryUsage = during,
  ) => (m[k] - before[k]) / n / 1024;
  const line = Buffer.from(
    `${'x'.repeat(79)}\r\n`.repeat(Math.floor((64 * 1024) / 81)),
  );
  const measure = async (awake: boolean) => {
    const rec = new CommandRecorder({ cols: 80, rows: 24 });
    rec.output(prompt);
    if (awake) rec.input(Buffer.from('sleep 1; ls\r'));
    const zeros = await feed(rec, Buffer.alloc(64 * 1024), mib * MiB);
    const text = await feed(rec, line, mib * MiB);
    if (rec.awake !== awake) throw new Error(`recorder awake: ${rec.awake}`);
    rec.dispose();
    return { zeros, text };
  };
  const dormant = await measure(false);
  const awake = await measure(true);
  process.stdout.write(
    `${JSON.stringify({
      n,
      heapKiB: perKiB('heapUsed'),
      externalKiB: perKiB('external'),
      awakeHeapKiB: perKiB('heapUsed', typing),
      awakeExternalKiB: perKiB('external', typing),
      ...dormant,
      awake,
      kept: recs.length,
    })}\n`,
  );
}

main().catch(error => {
  process.stderr.write(`${(error as Error).stack ?? error}\n`);
  process.exit(1);
});
