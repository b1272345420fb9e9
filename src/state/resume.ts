/**
 * What the daemon does with its state store before anything runs: import the Python daemon's
 * queue and registry once, put rows left in flight by the last run back in the queue, and read
 * whether the store was rebuilt after corruption (files queued until the start-up scan has
 * re-discovered everything may already be in S3, and keys issued before the rebuild are unknown).
 */
import type { Config } from '../config/types.js';
import type { Logger } from '../telemetry/logger.js';
import { importLegacy } from './legacy-import.js';
import { RECOVERY_PENDING_KEY, STATE_REBUILT_AT_KEY, type StateStore } from './store.js';

export interface ResumedState {
  /** The store was rebuilt and the start-up scan has not completed since: new rows get a remote check. */
  readonly recovering: boolean;
  /** When the store was last rebuilt (epoch ms), -Infinity if never: keys before it may be unknown. */
  readonly rebuiltAt: number;
}

export function resumeState(store: StateStore, config: Config, logger: Logger, now: number): ResumedState {
  const legacy = importLegacy(store, {
    queueFile: config.upload.queueFile,
    registryFile: config.upload.processedFilesRegistry.registryFile,
    logDirectories: config.logDirectories,
    now,
    logger,
    retentionDays: config.upload.processedFilesRegistry.retentionDays,
  });
  if (!legacy.alreadyDone && (legacy.imported.queued > 0 || legacy.imported.uploaded > 0 || legacy.imported.tombstones > 0)) {
    logger.info({ ...legacy.imported }, 'imported the Python daemon\'s queue and registry');
  }
  const recovering = store.meta.get(RECOVERY_PENDING_KEY) !== null;
  const rebuiltAt = Number(store.meta.get(STATE_REBUILT_AT_KEY) ?? Number.NEGATIVE_INFINITY);
  const reset = store.files.resetInFlight();
  if (reset > 0) logger.info({ files: reset }, 'resuming uploads interrupted by the last shutdown');
  return { recovering, rebuiltAt };
}
