import fs from 'node:fs';
import path from 'node:path';
import type {
  RecordingBatch,
  RecordingMeta,
  RecordingStore,
} from './RecordingStore';

const SESSION_ID = /^[0-9a-f-]{36}$/;

interface MetaFile {
  header: string;
  startedAt: string;
  endedAt?: string;
  truncated: boolean;
}

/**
 * Recordings as files in a directory: `<session id>.events` (the events, framed as in
 * recordingFormat.ts, appended as the session runs) and `<session id>.json` (header, start, end, and
 * whether it was cut short). Served as asciicast like those in the database.
 *
 * @internal
 */
export class DirectoryRecordingStore implements RecordingStore {
  /**
   * Of each recording this replica is writing: the next chunk expected and the bytes of its events
   * file known to be whole. A batch that failed is given again; what was written of it is skipped,
   * and whatever a write cut short left is cut off.
   */
  private readonly written = new Map<string, { seq: number; size: number }>();

  constructor(private readonly directory: string) {
    fs.mkdirSync(directory, { recursive: true, mode: 0o700 });
  }

  private file(sessionId: string, ext: 'events' | 'json'): string {
    if (!SESSION_ID.test(sessionId)) {
      throw new Error(`invalid session id for a recording: ${sessionId}`);
    }
    return path.join(this.directory, `${sessionId}.${ext}`);
  }

  async write(batch: RecordingBatch): Promise<void> {
    for (const start of batch.starts) {
      // Started by an earlier try of this batch.
      if (await this.readMeta(start.sessionId)) continue;
      const meta: MetaFile = {
        header: start.header,
        startedAt: start.startedAt.toISOString(),
        truncated: false,
      };
      const events = this.file(start.sessionId, 'events');
      await fs.promises
        .writeFile(events, '', { mode: 0o600, flag: 'wx' })
        .catch(async error => {
          // Left by a try that failed before the meta file was written: ours, started afresh.
          if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
          await fs.promises.truncate(events, 0);
        });
      await this.writeMeta(start.sessionId, meta);
      this.written.set(start.sessionId, { seq: 0, size: 0 });
    }
    // Consecutive chunks of a recording in one write.
    const bySession = new Map<string, RecordingBatch['chunks']>();
    for (const chunk of batch.chunks) {
      const list = bySession.get(chunk.sessionId) ?? [];
      list.push(chunk);
      bySession.set(chunk.sessionId, list);
    }
    for (const [sessionId, chunks] of bySession) {
      await this.append(sessionId, chunks);
    }
    for (const end of batch.ends) {
      const meta = await this.readMeta(end.sessionId);
      if (!meta) continue;
      meta.endedAt = end.endedAt.toISOString();
      meta.truncated ||= end.truncated;
      await this.writeMeta(end.sessionId, meta);
      this.written.delete(end.sessionId);
    }
  }

  private async append(sessionId: string, chunks: RecordingBatch['chunks']) {
    const file = this.file(sessionId, 'events');
    // A recording this store did not start (it was restarted) is taken as its file stands.
    const known = this.written.get(sessionId) ?? {
      seq: 0,
      size: (await fs.promises.stat(file)).size,
    };
    const fresh = chunks.filter(c => c.seq >= known.seq);
    if (fresh.length === 0) return;
    const data = Buffer.concat(fresh.map(c => c.data));
    const handle = await fs.promises.open(file, 'r+');
    try {
      await handle.truncate(known.size);
      for (let offset = 0; offset < data.length; ) {
        const { bytesWritten } = await handle.write(
          data,
          offset,
          data.length - offset,
          known.size + offset,
        );
        offset += bytesWritten;
      }
    } finally {
      await handle.close();
    }
    this.written.set(sessionId, {
      seq: fresh[fresh.length - 1].seq + 1,
      size: known.size + data.length,
    });
  }

  private async writeMeta(sessionId: string, meta: MetaFile) {
    // Replaced whole, never seen half-written.
    const file = this.file(sessionId, 'json');
    await fs.promises.writeFile(`${file}.tmp`, JSON.stringify(meta), {
      mode: 0o600,
    });
    await fs.promises.rename(`${file}.tmp`, file);
  }

  private async readMeta(sessionId: string): Promise<MetaFile | undefined> {
    try {
      return JSON.parse(
        await fs.promises.readFile(this.file(sessionId, 'json'), 'utf8'),
      );
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
  }

  async meta(sessionId: string): Promise<RecordingMeta | undefined> {
    const meta = await this.readMeta(sessionId);
    if (!meta) return undefined;
    const stat = await fs.promises
      .stat(this.file(sessionId, 'events'))
      .catch(() => undefined);
    return {
      sessionId,
      startedAt: new Date(meta.startedAt),
      endedAt: meta.endedAt ? new Date(meta.endedAt) : undefined,
      bytes: stat?.size ?? 0,
      truncated: meta.truncated,
    };
  }

  async read(
    sessionId: string,
  ): Promise<{ header: string; chunks: AsyncIterable<Buffer> } | undefined> {
    const meta = await this.readMeta(sessionId);
    if (!meta) return undefined;
    const chunks = fs.createReadStream(this.file(sessionId, 'events'), {
      highWaterMark: 256 * 1024,
    }) as AsyncIterable<Buffer>;
    return { header: meta.header, chunks };
  }

  async finishAbandoned(sessionIds: string[], endedAt: Date): Promise<void> {
    for (const sessionId of sessionIds) {
      const meta = await this.readMeta(sessionId);
      if (!meta || meta.endedAt) continue;
      meta.endedAt = endedAt.toISOString();
      meta.truncated = true;
      await this.writeMeta(sessionId, meta);
    }
  }

  async deleteOlderThan(cutoff: Date): Promise<number> {
    let removed = 0;
    for (const name of await fs.promises.readdir(this.directory)) {
      if (!name.endsWith('.json')) continue;
      const file = path.join(this.directory, name);
      const events = file.replace(/\.json$/, '.events');
      const stat = await fs.promises
        .stat(events)
        .catch(() => fs.promises.stat(file).catch(() => undefined));
      if (!stat || stat.mtime >= cutoff) continue;
      await fs.promises.rm(events, { force: true });
      await fs.promises.rm(file, { force: true });
      removed += 1;
    }
    return removed;
  }
}
