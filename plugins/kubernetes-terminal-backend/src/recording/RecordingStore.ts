/** @internal */
export interface RecordingStart {
  sessionId: string;
  startedAt: Date;
  /** The asciicast header line, without its line feed. */
  header: string;
}

/** Whole events of one recording, framed as in recordingFormat.ts. @internal */
export interface RecordingChunk {
  sessionId: string;
  /** 0, 1, 2, … per recording; chunks are read back in this order. */
  seq: number;
  data: Buffer;
}

/** @internal */
export interface RecordingEnd {
  sessionId: string;
  endedAt: Date;
  truncated: boolean;
}

/** One write: new recordings, then chunks, then ends, applied in that order. @internal */
export interface RecordingBatch {
  starts: RecordingStart[];
  chunks: RecordingChunk[];
  ends: RecordingEnd[];
}

/** @internal */
export interface RecordingMeta {
  sessionId: string;
  startedAt: Date;
  endedAt?: Date;
  /** Bytes of every chunk stored (the recorded output and the events' framing). */
  bytes: number;
  truncated: boolean;
}

/**
 * Where session recordings are kept: the portal database or a directory.
 *
 * @internal
 */
export interface RecordingStore {
  write(batch: RecordingBatch): Promise<void>;
  meta(sessionId: string): Promise<RecordingMeta | undefined>;
  /** The header line and every chunk in order; undefined if there is no such recording. */
  read(
    sessionId: string,
  ): Promise<{ header: string; chunks: AsyncIterable<Buffer> } | undefined>;
  /** Marks recordings that were never finished (their replica died) as ended and truncated. */
  finishAbandoned(sessionIds: string[], endedAt: Date): Promise<void>;
  /** Retention: deletes recordings last written before `cutoff`; returns how many. */
  deleteOlderThan(cutoff: Date): Promise<number>;
}
