/*
 * Attribution for the "ours" figures: what the backend's command recorder (@xterm/headless, one per
 * session) costs on its own, in a process of its own with --expose-gc:
 *   - heap and external memory per idle recorder (80×24, a bash prompt written into it), dormant (no
 *     key typed: only the output's tail is kept) and awake (a key typed: a terminal emulator is alive);
 *   - CPU per MiB of TTY output fed through it (NUL bytes, like the bulk workload, and text), dormant
 *     (nobody typing: the output is only kept as a tail) and awake (a line typed ahead: it is parsed);
 *   - CPU per keystroke: a user typing 40-character commands at a bash prompt, each key and its echo
 *     given to the recorder, Enter answered by the echo of the line, a line of output and the prompt —
 *     against the same exchange given to nothing (the loop's own cost).
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

/**
 * Feeds container output, waiting for the parser at each MiB: the recorder stops parsing (and
 * recording) beyond 4 MiB unparsed.
 */
async function feed(rec: CommandRecorder, chunk: Buffer, total: number) {
  const t0 = process.cpuUsage();
  const w0 = Date.now();
  let unflushed = 0;
  for (let sent = 0; sent < total; sent += chunk.length) {
    rec.output(chunk);
    unflushed += chunk.length;
    if (unflushed >= MiB) {
      await rec.flush();
      unflushed = 0;
    }
  }
  await rec.flush();
  const d = process.cpuUsage(t0);
  return {
    cpuMsPerMiB: (d.user + d.system) / 1000 / (total / MiB),
    mibps: total / MiB / ((Date.now() - w0) / 1000),
  };
}

const catStarted = new WeakSet<CommandRecorder>();

/**
 * CPU per key of typing `keys` keys as 40-character lines, each answered as bash would (or, `intoCat`,
 * as `cat` would: the line's echo and the line again; these lines are never settled).
 */
async function typeCommands(
  rec: CommandRecorder | undefined,
  keys: number,
  intoCat = false,
) {
  const prompt = Buffer.from('\u001b[?2004hdemo-service-7d9f8b6c5-abcde:~# ');
  const line = 'echo the-quick-brown-fox-jumps-over-it';
  const chars = [...line].map(c => Buffer.from(c));
  const enter = Buffer.from('\r');
  const after = Buffer.from(
    intoCat
      ? `\r\n${line}\r\n`
      : `\r\n\u001b[?2004l\r${line.slice(
          5,
        )}\r\n\u001b[?2004hdemo-service-7d9f8b6c5-abcde:~# `,
  );
  // The same cat reads on between calls: only the first shows bash starting it.
  if (!intoCat) rec?.output(prompt);
  else if (rec && !catStarted.has(rec)) {
    catStarted.add(rec);
    rec.output(Buffer.from('\u001b[?2004hpod:~# cat\r\n\u001b[?2004l\r'));
  }
  const t0 = process.cpuUsage();
  let typed = 0;
  while (typed < keys) {
    for (const char of chars) {
      rec?.input(char);
      rec?.output(char);
      // Each key and its echo come in a message of their own, as they do from the relay.
      await new Promise(resolve => setImmediate(resolve));
    }
    rec?.input(enter);
    rec?.output(after);
    typed += chars.length + 1;
    // A person types about ten keys a second: the parser's callbacks run between their lines.
    await (rec ? rec.flush() : Promise.resolve());
  }
  const d = process.cpuUsage(t0);
  return (d.user + d.system) / 1000 / typed;
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
  const keys = 20_000;
  const commands: string[] = [];
  const typist = new CommandRecorder({ cols: 80, rows: 24 });
  typist.onCommand(c => commands.push(c.command));
  await typeCommands(typist, keys / 10); // warm-up
  const bare = await typeCommands(undefined, keys);
  const cpuMsPerKey = (await typeCommands(typist, keys)) - bare;
  if (commands.length < keys / 40)
    throw new Error(`only ${commands.length} commands recorded`);
  typist.dispose();
  const catTypist = new CommandRecorder({ cols: 80, rows: 24 });
  catTypist.onCommand(c => commands.push(c.command));
  const recorded = commands.length;
  await typeCommands(catTypist, keys / 10, true);
  const bareCat = await typeCommands(undefined, keys, true);
  const cpuMsPerKeyIntoCat =
    (await typeCommands(catTypist, keys, true)) - bareCat;
  if (commands.length > recorded)
    throw new Error(
      `lines typed into cat were recorded: ${JSON.stringify(
        commands.slice(recorded, recorded + 3),
      )} (${commands.length - recorded})`,
    );
  catTypist.dispose();
  process.stdout.write(
    `${JSON.stringify({
      n,
      heapKiB: perKiB('heapUsed'),
      externalKiB: perKiB('external'),
      awakeHeapKiB: perKiB('heapUsed', typing),
      awakeExternalKiB: perKiB('external', typing),
      ...dormant,
      awake,
      cpuMsPerKey,
      cpuMsPerKeyIntoCat,
      kept: recs.length,
    })}\n`,
  );
}

main().catch(error => {
  process.stderr.write(`${(error as Error).stack ?? error}\n`);
  process.exit(1);
});
