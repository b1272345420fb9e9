/**
 * Builds the deletion components over one state store and config, the same way for the daemon,
 * `cleanup` and `status`: the repository, the safety layers, the executor (real or dry run) and
 * the pass dependencies. The file-system and disk probes are injectable for tests (a fake
 * "disk full" statfs, a fake unlink).
 */
import type Database from 'better-sqlite3';
import type { Config } from '../config/types.js';
import { diskUsage, realDiskUsageIo, type DiskUsageIo } from '../disk/usage.js';
import type { Telemetry } from '../telemetry/events.js';
import type { Logger } from '../telemetry/logger.js';
import { DeletionRepo } from './deletion-repo.js';
import { DeletionExecutor, type DeleteFs } from './executor.js';
import type { PassDeps } from './pass.js';
import { SafetyLayers, realSafetyFs, type SafetyFs } from './safety.js';

export interface DeletionProbes {
  readonly diskIo?: DiskUsageIo;
  readonly safetyFs?: SafetyFs;
  readonly deleteFs?: DeleteFs;
}

export interface BuildDeletionOptions extends DeletionProbes {
  readonly config: Config;
  readonly db: Database.Database;
  readonly dbPath: string;
  /** Queues a changed file again (FileRepo.enqueue); unused in a dry run. */
  readonly enqueue: (input: { path: string; source: string; relPath: string; size: number; mtimeMs: number }, now: number) => unknown;
  readonly telemetry: Pick<Telemetry, 'emit'>;
  readonly logger: Logger;
  readonly now: () => number;
  readonly dryRun: boolean;
}

export interface Deletion {
  readonly repo: DeletionRepo;
  readonly pass: PassDeps;
}

export function buildDeletion(o: BuildDeletionOptions): Deletion {
  const repo = new DeletionRepo(o.db, o.dbPath);
  const safety = new SafetyLayers(o.config.logDirectories, o.config.upload.fileStableSeconds * 1000, o.safetyFs ?? realSafetyFs);
  const executor = new DeletionExecutor({
    repo,
    safety,
    requeue: (row, cur) => o.enqueue({ path: row.path, source: row.source, relPath: row.relPath, size: cur.size, mtimeMs: cur.mtimeMs }, o.now()),
    telemetry: o.telemetry,
    logger: o.logger,
    now: o.now,
    dryRun: o.dryRun,
    ...(o.deleteFs ? { fs: o.deleteFs } : {}),
  });
  const io = o.diskIo ?? realDiskUsageIo;
  return {
    repo,
    pass: { config: o.config, repo, executor, measure: (p) => diskUsage(p, io), telemetry: o.telemetry, now: o.now },
  };
}
