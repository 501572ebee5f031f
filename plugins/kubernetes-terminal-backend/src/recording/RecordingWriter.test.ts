import { mockServices } from '@backstage/backend-test-utils';
import { parseAsciicast } from '@kubernetes-terminal/backstage-plugin-kubernetes-terminal-common';
import { toAsciicastLines } from './recordingFormat';
import type { RecordingBatch, RecordingStore } from './RecordingStore';
import { RecordingWriter } from './RecordingWriter';

const ID = '00000000-0000-4000-8000-000000000001';

/** Keeps what it is given in memory; can be made to fail. */
class MemoryStore implements RecordingStore {
  readonly files = new Map<
    string,
    { header: string; chunks: Buffer[]; truncated: boolean; ended: boolean }
  >();
  failing = false;
  writes = 0;
  async write(batch: RecordingBatch) {
    this.writes += 1;
    if (this.failing) throw new Error('database is down');
    for (const s of batch.starts)
      this.files.set(s.sessionId, {
        header: s.header,
        chunks: [],
        truncated: false,
        ended: false,
      });
    for (const c of batch.chunks)
      this.files.get(c.sessionId)!.chunks.push(c.data);
    for (const e of batch.ends) {
      const f = this.files.get(e.sessionId)!;
      f.ended = true;
      f.truncated ||= e.truncated;
    }
  }
  async meta() {
    return undefined;
  }
  async read() {
    return undefined;
  }
  async finishAbandoned() {}
  async deleteOlderThan() {
    return 0;
  }
}

function setup(
  options: Partial<ConstructorParameters<typeof RecordingWriter>[0]> = {},
) {
  const store = new MemoryStore();
  let now = 1_700_000_000_000;
  const writer = new RecordingWriter({
    store,
    logger: mockServices.logger.mock(),
    maxBytesPerSession: 1024 * 1024,
    failClosed: false,
    minRetryDelayMs: 0,
    now: () => now,
    ...options,
  });
  const failures: string[] = [];
  const recording = writer.begin(
    { id: ID, cols: 80, rows: 24, title: 'alice in dev', shell: 'bash' },
    { onFail: reason => failures.push(reason) },
  );
  return {
    store,
    writer,
    recording,
    failures,
    tick: (ms: number) => (now += ms),
    cast: async () => {
      const file = store.files.get(ID)!;
      let text = '';
      for await (const part of toAsciicastLines(
        file.header,
        (async function* chunks() {
          yield* file.chunks;
        })(),
      ))
        text += part;
      return parseAsciicast(text);
    },
  };
}

afterEach(() => jest.useRealTimers());

describe('RecordingWriter', () => {
  it('writes output, resizes and markers as asciicast v2, joining characters split across chunks', async () => {
    const { writer, recording, tick, cast } = setup();
    const euro = Buffer.from('€');
    recording.output(Buffer.from('price: '));
    tick(250);
    recording.output(euro.subarray(0, 1));
    recording.output(euro.subarray(1));
    tick(1000);
    recording.resize(100, 30);
    recording.marker('echo "quoted"\n');
    recording.output(Buffer.from('\x1b[1mbold\x1b[0m\r\n'));
    recording.end();
    await writer.flush();
    const { header, events } = await cast();
    expect(header).toEqual({
      version: 2,
      width: 80,
      height: 24,
      timestamp: 1_700_000_000,
      title: 'alice in dev',
      env: { TERM: 'xterm-256color', SHELL: 'bash' },
    });
    expect(events).toEqual([
      [0, 'o', 'price: '],
      [0.25, 'o', '€'],
      [1.25, 'r', '100x30'],
      [1.25, 'm', 'echo "quoted"\n'],
      [1.25, 'o', '\x1b[1mbold\x1b[0m\r\n'],
    ]);
  });

  it('closes chunks at their size and writes them in order', async () => {
    const { writer, recording, store, cast } = setup({ chunkBytes: 1000 });
    for (let i = 0; i < 200; i++)
      recording.output(Buffer.from(`line ${i}\r\n`));
    recording.end();
    await writer.flush();
    const output = (await cast()).events.map(([, , d]) => d).join('');
    expect(output).toBe(
      Array.from({ length: 200 }, (_, i) => `line ${i}\r\n`).join(''),
    );
    expect(store.files.get(ID)!.ended).toBe(true);
  });

  it('copies output as it comes, and a chunk of a few events does not hold a full chunk of memory', async () => {
    const { writer, recording, store, cast } = setup({ chunkBytes: 64 * 1024 });
    const reused = Buffer.from('first');
    recording.output(reused);
    reused.write('XXXXX');
    // A flood: chunks close at their size, each in a buffer of its own.
    for (let i = 0; i < 64; i++) recording.output(Buffer.alloc(4096, 'y'));
    await writer.flush();
    const flood = store.files.get(ID)!.chunks;
    expect(flood.length).toBeGreaterThanOrEqual(4);
    expect(flood.every(c => c.length <= 64 * 1024 + 4096 + 9)).toBe(true);
    // After a flood the next chunk starts a full chunk big; with a few bytes in it, it is copied out.
    recording.output(Buffer.from('tail'));
    await writer.flush();
    const small = store.files.get(ID)!.chunks.at(-1)!;
    expect(small.length).toBe(9 + 4);
    expect(small.buffer.byteLength).toBeLessThan(64 * 1024);
    recording.end();
    await writer.flush();
    const output = (await cast()).events.map(([, , d]) => d).join('');
    expect(output).toBe(`first${'y'.repeat(64 * 4096)}tail`);
  });

  it('stops at the size cap and lets the session go on unless fail-closed', async () => {
    const open = setup({ maxBytesPerSession: 2000 });
    for (let i = 0; i < 100; i++)
      open.recording.output(Buffer.from('0123456789'.repeat(3)));
    open.recording.end();
    await open.writer.flush();
    const events = (await open.cast()).events;
    expect(events[events.length - 1]).toEqual([
      0,
      'm',
      'recording stopped: the recording reached its size limit of 2 KiB',
    ]);
    expect(open.store.files.get(ID)!.truncated).toBe(true);
    expect(open.failures).toEqual([]);

    const closed = setup({ maxBytesPerSession: 2000, failClosed: true });
    for (let i = 0; i < 100; i++)
      closed.recording.output(Buffer.from('0123456789'.repeat(3)));
    expect(closed.failures).toEqual([
      'the recording reached its size limit of 2 KiB',
    ]);
  });

  it('keeps what a failed write held and writes it once the store is back, in order', async () => {
    const { writer, recording, store, cast, failures } = setup();
    store.failing = true;
    recording.output(Buffer.from('one '));
    await expect(writer.flush()).rejects.toThrow(/database is down/);
    expect(writer.healthy).toBe(false);
    recording.output(Buffer.from('two '));
    await expect(writer.flush()).rejects.toThrow(/database is down/);
    store.failing = false;
    recording.output(Buffer.from('three'));
    recording.end();
    await writer.flush();
    expect(writer.healthy).toBe(true);
    expect((await cast()).events.map(([, , d]) => d).join('')).toBe(
      'one two three',
    );
    expect(failures).toEqual([]);
  });

  it('fail-closed: a failed write ends the sessions whose lines it held', async () => {
    const { writer, recording, store, failures } = setup({ failClosed: true });
    await writer.flush();
    store.failing = true;
    recording.output(Buffer.from('secret work'));
    await expect(writer.flush()).rejects.toThrow();
    expect(failures).toEqual(['its recording could not be written']);
  });

  it('bounds memory: past maxUnsavedBytes recordings stop rather than grow', async () => {
    const { writer, recording, store, failures } = setup({
      maxUnsavedBytes: 10_000,
    });
    store.failing = true;
    for (let i = 0; i < 1000; i++)
      recording.output(Buffer.from('x'.repeat(100)));
    expect(writer.unsavedBytes).toBeLessThanOrEqual(10_000);
    expect(recording.truncated).toBe(true);
    expect(failures).toEqual([]);
  });

  it('ends open recordings on close and writes everything', async () => {
    const { writer, recording, store, cast } = setup();
    recording.output(Buffer.from('bye'));
    await writer.close();
    expect(store.files.get(ID)!.ended).toBe(true);
    expect((await cast()).events).toEqual([[0, 'o', 'bye']]);
  });
});
