/*
 * What recording a session costs: SessionRecording + RecordingWriter with a store that keeps nothing
 * (the stream's path and the chunking), then with SQLite in memory (and its writes, on the same event
 * loop). CPU per MiB of output. From the package directory:
 *
 *   node -r @backstage/cli/config/nodeTransform.cjs bench/recording.bench.ts [MiB]
 *
 * Output arrives in chunks of 4 KiB (a PTY read) and 64 KiB (a full WebSocket frame).
 */
import { randomUUID } from 'node:crypto';
import knexFactory from 'knex';
import { DatabaseRecordingStore } from '../src/recording/DatabaseRecordingStore';
import type { RecordingStore } from '../src/recording/RecordingStore';
import { RecordingWriter } from '../src/recording/RecordingWriter';

const MIB = 1024 * 1024;
const TOTAL_MIB = Number(process.argv[2] ?? 64);
const logger = {
  info() {},
  warn() {},
  error() {},
  debug() {},
  child() {
    return logger;
  },
} as any;

async function run(
  store: RecordingStore,
  name: string,
  size: number,
  warmup = false,
) {
  const writer = new RecordingWriter({
    store,
    logger,
    maxBytesPerSession: 8192 * MIB,
    failClosed: false,
    maxUnsavedBytes: 8192 * MIB,
  });
  const recording = writer.begin(
    { id: randomUUID(), cols: 80, rows: 24, title: 'bench' },
    { onFail: reason => console.log(`recording failed: ${reason}`) },
  );
  await writer.flush();
  // Distinct buffers, as the relay gets them, made before the clock starts.
  const chunks = Array.from({ length: (TOTAL_MIB * MIB) / size }, () =>
    Buffer.alloc(size, 0x61),
  );
  const start = process.cpuUsage();
  const wall = performance.now();
  for (let i = 0; i < chunks.length; i++) {
    recording.output(chunks[i]);
    if (i % 64 === 63) await new Promise(resolve => setImmediate(resolve));
  }
  recording.end();
  await writer.flush();
  const all = process.cpuUsage(start);
  if (warmup) return;
  console.log(
    `${name.padEnd(8)} ${String(size / 1024).padStart(2)} KiB chunks: ${(
      (all.user + all.system) /
      1000 /
      TOTAL_MIB
    ).toFixed(2)} ms CPU/MiB, ${(performance.now() - wall).toFixed(
      0,
    )} ms for ${TOTAL_MIB} MiB`,
  );
  await writer.close();
}

async function main() {
  const none: RecordingStore = {
    write: async () => {},
    meta: async () => undefined,
    read: async () => undefined,
    finishAbandoned: async () => {},
    deleteOlderThan: async () => 0,
  };
  const knex = knexFactory({
    client: 'better-sqlite3',
    connection: ':memory:',
    useNullAsDefault: true,
  });
  const sqlite = await DatabaseRecordingStore.create({
    database: { getClient: async () => knex } as any,
  });
  await run(none, 'warm-up', 4096, true);
  await run(sqlite, 'warm-up', 4096, true);
  for (const size of [4096, 65536]) {
    await run(none, 'no store', size);
    await run(sqlite, 'sqlite', size);
  }
  await knex.destroy();
}

main().catch(error => {
  console.error(error);
  process.exit(1);
});
