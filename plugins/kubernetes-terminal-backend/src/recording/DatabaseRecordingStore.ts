import type { DatabaseService } from '@backstage/backend-plugin-api';
import { resolvePackagePath } from '@backstage/backend-plugin-api';
import type { Knex } from 'knex';
import { type DbDate, toDate, toOptionalDate } from '../database/rows';
import type {
  RecordingBatch,
  RecordingChunk,
  RecordingMeta,
  RecordingStore,
} from './RecordingStore';

const RECORDINGS = 'kubernetes_terminal_recordings';
const CHUNKS = 'kubernetes_terminal_recording_chunks';
/** Chunks read per query while a recording is streamed out (up to 256 KiB each). */
const READ_PAGE = 16;
const ID_CHUNK = 500;
/** SQLite takes at most a few hundred rows per insert. */
const CHUNKS_PER_INSERT = 100;

interface RecordingRow {
  session_id: string;
  header: string;
  started_at: DbDate;
  updated_at: DbDate;
  ended_at: DbDate | null;
  truncated: boolean | number;
}

/**
 * Recordings in the portal database (PostgreSQL or SQLite): a row with the header, the events in
 * binary chunks.
 *
 * @internal
 */
export class DatabaseRecordingStore implements RecordingStore {
  static async create(options: {
    database: DatabaseService;
    skipMigrations?: boolean;
  }): Promise<DatabaseRecordingStore> {
    const client = await options.database.getClient();
    if (!options.database.migrations?.skip && !options.skipMigrations) {
      await client.migrate.latest({
        directory: resolvePackagePath(
          '@kubernetes-terminal/backstage-plugin-kubernetes-terminal-backend',
          'migrations',
        ),
      });
    }
    return new DatabaseRecordingStore(client);
  }

  constructor(private readonly db: Knex) {}

  async write(batch: RecordingBatch): Promise<void> {
    // During a flood a batch is a few chunks and nothing else: one insert, atomic by itself, without
    // the transaction, whose knex instance costs more than the insert (and outlives a scavenge).
    if (
      batch.starts.length === 0 &&
      batch.ends.length === 0 &&
      batch.chunks.length <= CHUNKS_PER_INSERT
    ) {
      await this.insertChunks(this.db, batch.chunks);
      return;
    }
    const now = new Date();
    await this.db.transaction(async tx => {
      if (batch.starts.length > 0) {
        await tx(RECORDINGS)
          .insert(
            batch.starts.map(s => ({
              session_id: s.sessionId,
              header: s.header,
              started_at: s.startedAt,
              updated_at: now,
              truncated: false,
            })),
          )
          .onConflict('session_id')
          .ignore();
      }
      // One row per chunk, in inserts of at most CHUNKS_PER_INSERT rows.
      for (let i = 0; i < batch.chunks.length; i += CHUNKS_PER_INSERT) {
        await this.insertChunks(
          tx,
          batch.chunks.slice(i, i + CHUNKS_PER_INSERT),
        );
      }
      // No per-recording counters to update here: sizes are summed when asked for, so a second
      // in which many sessions typed costs one insert, not one update each.
      for (const end of batch.ends) {
        await tx(RECORDINGS)
          .where({ session_id: end.sessionId })
          .update({
            ended_at: end.endedAt,
            updated_at: now,
            ...(end.truncated && { truncated: true }),
          });
      }
    });
  }

  /**
   * A chunk is the same whenever it is written, so one already there (a retry after a commit whose
   * answer was lost) is left as it is.
   */
  private async insertChunks(db: Knex, chunks: RecordingChunk[]) {
    if (chunks.length === 0) return;
    await db(CHUNKS)
      .insert(
        chunks.map(c => ({
          session_id: c.sessionId,
          seq: c.seq,
          data: c.data,
        })),
      )
      .onConflict(['session_id', 'seq'])
      .ignore();
  }

  async meta(sessionId: string): Promise<RecordingMeta | undefined> {
    const row = await this.db<RecordingRow>(RECORDINGS)
      .where({ session_id: sessionId })
      .first();
    if (!row) return undefined;
    // length() of a blob (SQLite) or bytea (PostgreSQL) is its size in bytes.
    const [size] = await this.db(CHUNKS)
      .where({ session_id: sessionId })
      .select(this.db.raw('coalesce(sum(length(data)), 0) as bytes'));
    return toMeta(row, Number(size?.bytes ?? 0));
  }

  async read(
    sessionId: string,
  ): Promise<{ header: string; chunks: AsyncIterable<Buffer> } | undefined> {
    const row = await this.db<RecordingRow>(RECORDINGS)
      .where({ session_id: sessionId })
      .first('header');
    if (!row) return undefined;
    const db = this.db;
    async function* chunks() {
      let next = 0;
      for (;;) {
        const page: Array<{ seq: number; data: Buffer }> = await db(CHUNKS)
          .where({ session_id: sessionId })
          .andWhere('seq', '>=', next)
          .orderBy('seq')
          .limit(READ_PAGE)
          .select('seq', 'data');
        for (const chunk of page) yield chunk.data;
        if (page.length < READ_PAGE) return;
        next = page[page.length - 1].seq + 1;
      }
    }
    return { header: row.header, chunks: chunks() };
  }

  async finishAbandoned(sessionIds: string[], endedAt: Date): Promise<void> {
    for (let i = 0; i < sessionIds.length; i += ID_CHUNK) {
      await this.db(RECORDINGS)
        .whereIn('session_id', sessionIds.slice(i, i + ID_CHUNK))
        .whereNull('ended_at')
        .update({ ended_at: endedAt, updated_at: endedAt, truncated: true });
    }
  }

  async deleteOlderThan(cutoff: Date): Promise<number> {
    const removed = await this.db.transaction(async tx => {
      const old = tx(RECORDINGS)
        .where('updated_at', '<', cutoff)
        .select('session_id');
      await tx(CHUNKS).whereIn('session_id', old).delete();
      return await tx(RECORDINGS).where('updated_at', '<', cutoff).delete();
    });
    return Number(removed ?? 0);
  }
}

function toMeta(row: RecordingRow, bytes: number): RecordingMeta {
  return {
    sessionId: row.session_id,
    startedAt: toDate(row.started_at),
    endedAt: toOptionalDate(row.ended_at),
    bytes,
    truncated: Boolean(row.truncated),
  };
}
