import type {
  DatabaseService,
  LoggerService,
} from '@backstage/backend-plugin-api';
import type { RecordingConfig } from '../config';
import { DatabaseRecordingStore } from './DatabaseRecordingStore';
import { DirectoryRecordingStore } from './DirectoryRecordingStore';
import type { RecordingStore } from './RecordingStore';
import { RecordingWriter } from './RecordingWriter';

/**
 * The recording store and writer that `kubernetesTerminal.recording` asks for; undefined when
 * recording is off.
 *
 * @internal
 */
export async function createRecordings(options: {
  config: RecordingConfig;
  database: DatabaseService;
  logger: LoggerService;
}): Promise<{ writer: RecordingWriter; store: RecordingStore } | undefined> {
  const { config, database, logger } = options;
  if (!config.enabled) return undefined;
  const store =
    config.storage === 'directory'
      ? new DirectoryRecordingStore(config.directory!)
      : await DatabaseRecordingStore.create({ database });
  const writer = new RecordingWriter({
    store,
    logger,
    maxBytesPerSession: config.maxBytesPerSession,
    failClosed: config.failClosed,
  });
  return { writer, store };
}
