import {
  mockServices,
  TestDatabases,
  type TestDatabaseId,
} from '@backstage/backend-test-utils';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DatabaseRecordingStore } from './DatabaseRecordingStore';
import { DirectoryRecordingStore } from './DirectoryRecordingStore';
import type { RecordingStore } from './RecordingStore';
import {
  EVENT_HEADER_BYTES,
  toAsciicastLines,
  writeEventHeader,
} from './recordingFormat';

jest.setTimeout(60_000);

const databases = TestDatabases.create({ ids: ['POSTGRES_15', 'SQLITE_3'] });
const A = '00000000-0000-4000-8000-00000000000a';
const B = '00000000-0000-4000-8000-00000000000b';
const t0 = new Date('2026-03-01T10:00:00.123Z');

/** The recording as served: asciicast lines. */
async function readAll(store: RecordingStore, id: string) {
  const stored = await store.read(id);
  if (!stored) return undefined;
  let text = '';
  for await (const part of toAsciicastLines(stored.header, stored.chunks))
    text += part;
  return text;
}

const event = (ms: number, data: string) => {
  const bytes = Buffer.from(data);
  const out = Buffer.alloc(EVENT_HEADER_BYTES + bytes.length);
  writeEventHeader(out, 0, 'o', ms, bytes.length);
  bytes.copy(out, EVENT_HEADER_BYTES);
  return out;
};
const line = (ms: number, data: string) =>
  `${JSON.stringify([ms / 1000, 'o', data])}\n`;
const chunk = (sessionId: string, seq: number, data: Buffer) => ({
  sessionId,
  seq,
  data,
});

const stores: Array<[string, () => Promise<RecordingStore>]> = [
  ...databases
    .eachSupportedId()
    .map(([id]): [string, () => Promise<RecordingStore>] => [
      id,
      async () => {
        const knex = await databases.init(id as TestDatabaseId);
        const database = mockServices.database({
          knex,
          migrations: { skip: false },
        });
        return DatabaseRecordingStore.create({ database });
      },
    ]),
  [
    'directory',
    async () =>
      new DirectoryRecordingStore(
        fs.mkdtempSync(path.join(os.tmpdir(), 'recordings-')),
      ),
  ],
];

describe.each(stores)('recording store on %s', (_name, create) => {
  it('keeps chunks in order, counts bytes and closes recordings', async () => {
    const store = await create();
    const header = JSON.stringify({ version: 2, width: 80, height: 24 });
    await store.write({
      starts: [
        { sessionId: A, startedAt: t0, header },
        { sessionId: B, startedAt: t0, header },
      ],
      chunks: [chunk(A, 0, event(100, 'ab\u00e9'))],
      ends: [],
    });
    // Many chunks, across several read pages.
    const many = Array.from({ length: 150 }, (_, i) =>
      chunk(A, i + 1, event(1000 + i, `line ${i}\r\n`)),
    );
    await store.write({ starts: [], chunks: many, ends: [] });
    await store.write({
      starts: [],
      chunks: [],
      ends: [
        {
          sessionId: A,
          endedAt: new Date(t0.getTime() + 5000),
          truncated: false,
        },
      ],
    });

    const text = await readAll(store, A);
    const expected = `${header}\n${line(100, 'ab\u00e9')}${many
      .map((_, i) => line(1000 + i, `line ${i}\r\n`))
      .join('')}`;
    expect(text).toBe(expected);
    expect(await store.meta(A)).toEqual({
      sessionId: A,
      startedAt: t0,
      endedAt: new Date(t0.getTime() + 5000),
      // Stored as framed bytes: 9 per event and the output itself.
      bytes: 9 + 4 + many.reduce((n, c) => n + c.data.length, 0),
      truncated: false,
    });
    expect(await readAll(store, B)).toBe(`${header}\n`);
    expect((await store.meta(B))?.endedAt).toBeUndefined();
    expect(
      await store.read('00000000-0000-4000-8000-000000000000'),
    ).toBeUndefined();
    expect(
      await store.meta('00000000-0000-4000-8000-000000000000'),
    ).toBeUndefined();

    // A replica died with B open: B is closed as truncated; A keeps its end.
    await store.finishAbandoned([A, B], new Date(t0.getTime() + 9000));
    expect((await store.meta(B))?.truncated).toBe(true);
    expect((await store.meta(A))?.truncated).toBe(false);
    expect((await store.meta(A))?.endedAt).toEqual(
      new Date(t0.getTime() + 5000),
    );
  });

  it('takes a batch again after a failed or unacknowledged write, keeping each event once', async () => {
    const store = await create();
    const header = JSON.stringify({ version: 2, width: 80, height: 24 });
    // The writer retries a whole batch when the store reports a failure, even one that was written
    // in part or in full (a commit whose answer was lost).
    const first = {
      starts: [{ sessionId: A, startedAt: t0, header }],
      chunks: [chunk(A, 0, event(0, 'one\r\n'))],
      ends: [],
    };
    await store.write(first);
    const retried = {
      starts: [...first.starts, { sessionId: B, startedAt: t0, header }],
      chunks: [
        ...first.chunks,
        chunk(A, 1, event(10, 'two\r\n')),
        chunk(B, 0, event(20, 'b\r\n')),
      ],
      ends: [],
    };
    await store.write(retried);
    await store.write(retried);
    await store.write({
      starts: [],
      chunks: [chunk(A, 2, event(30, 'three\r\n'))],
      ends: [{ sessionId: A, endedAt: t0, truncated: false }],
    });
    expect(await readAll(store, A)).toBe(
      `${header}\n${line(0, 'one\r\n')}${line(10, 'two\r\n')}${line(
        30,
        'three\r\n',
      )}`,
    );
    expect(await readAll(store, B)).toBe(`${header}\n${line(20, 'b\r\n')}`);
    expect((await store.meta(A))?.bytes).toBe(9 * 3 + 5 + 5 + 7);
  });

  it('deletes recordings last written before the cutoff, and only those', async () => {
    const store = await create();
    const header = JSON.stringify({ version: 2, width: 80, height: 24 });
    await store.write({
      starts: [{ sessionId: A, startedAt: t0, header }],
      chunks: [chunk(A, 0, event(0, 'x'))],
      ends: [],
    });
    expect(await store.deleteOlderThan(new Date(Date.now() - 60_000))).toBe(0);
    expect(await readAll(store, A)).toBeDefined();
    expect(await store.deleteOlderThan(new Date(Date.now() + 60_000))).toBe(1);
    expect(await readAll(store, A)).toBeUndefined();
    expect(await store.meta(A)).toBeUndefined();
  });
});

describe('recording store on a directory', () => {
  it('cuts off what a write cut short left, and keeps the files to the backend', async () => {
    const directory = path.join(
      fs.mkdtempSync(path.join(os.tmpdir(), 'recordings-')),
      'nested',
    );
    const store = new DirectoryRecordingStore(directory);
    const header = JSON.stringify({ version: 2, width: 80, height: 24 });
    await store.write({
      starts: [{ sessionId: A, startedAt: t0, header }],
      chunks: [chunk(A, 0, event(0, 'one\r\n'))],
      ends: [],
    });
    // A write that failed half-way (the disk filled up): part of the next chunk is in the file.
    const events = path.join(directory, `${A}.events`);
    const next = chunk(A, 1, event(10, 'two\r\n'));
    fs.appendFileSync(events, next.data.subarray(0, 7));
    // Read meanwhile (as a replay of a live session may, while a write is under way): served up to
    // the last whole event.
    expect(await readAll(store, A)).toBe(`${header}\n${line(0, 'one\r\n')}`);
    fs.appendFileSync(events, next.data.subarray(7, 12));
    expect(await readAll(store, A)).toBe(`${header}\n${line(0, 'one\r\n')}`);
    await store.write({ starts: [], chunks: [next], ends: [] });
    expect(await readAll(store, A)).toBe(
      `${header}\n${line(0, 'one\r\n')}${line(10, 'two\r\n')}`,
    );
    expect(fs.statSync(directory).mode & 0o777).toBe(0o700);
    expect(fs.statSync(events).mode & 0o777).toBe(0o600);
    expect(fs.statSync(path.join(directory, `${A}.json`)).mode & 0o777).toBe(
      0o600,
    );
  });
});
