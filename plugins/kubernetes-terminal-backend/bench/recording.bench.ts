/*
 * What recording a session costs: SessionRecording + RecordingWriter with a store that keeps nothing
 * (the stream's path and the chunking), then with SQLite in memory (and its writes, on the same event
 * loop), and with PostgreSQL if RECORDING_BENCH_PG is set. CPU per MiB of output. From the package
 * directory:
 *
 *   [RECORDING_BENCH_PG=postgresql://…] node -r @backstage/cli/config/nodeTransform.cjs bench/recording.bench.ts [MiB]
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
  const postgres = await postgresStore();
  await run(none, 'warm-up', 4096, true);
  await run(sqlite, 'warm-up', 4096, true);
  if (postgres) await run(postgres.store, 'warm-up', 4096, true);
  for (const size of [4096, 65536]) {
    await run(none, 'no store', size);
    await run(sqlite, 'sqlite', size);
    if (postgres) await run(postgres.store, 'postgres', size);
  }
  await knex.destroy();
  await postgres?.close();
}

/**
 * PostgreSQL at RECORDING_BENCH_PG (e.g. postgresql://postgres@127.0.0.1:5432), in a database of its
 * own that is made afresh; skipped when unset. The CPU figures are this process's: the client's side.
 */
async function postgresStore() {
  const url = process.env.RECORDING_BENCH_PG;
  if (!url) return undefined;
  const name = 'kubernetes_terminal_recording_bench';
  const admin = knexFactory({ client: 'pg', connection: url });
  await admin.raw(`drop database if exists ${name}`);
  await admin.raw(`create database ${name}`);
  await admin.destroy();
  const target = new URL(url);
  target.pathname = `/${name}`;
  const knex = knexFactory({ client: 'pg', connection: target.toString() });
  const store = await DatabaseRecordingStore.create({
    database: { getClient: async () => knex } as any,
  });
  return { store, close: () => knex.destroy() };
}

main().catch(error => {
  console.error(error);
  process.exit(1);
});
