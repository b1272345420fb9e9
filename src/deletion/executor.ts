/**
 * Deletes one file, the only place in the daemon that unlinks a log: re-reads the file's row,
 * asks the safety layers, unlinks, records the deletion (row gone + audit row), removes the
 * subdirectories the deletion emptied (never the watched root), and emits one `file.deleted`
 * event (log line + metrics). All of it runs synchronously in one tick, so no upload claim or
 * enqueue in this process can slip between the check and the unlink.
 *
 * A file refused because it changed since its upload is new data: it is queued again. An
 * uploaded file that is already gone has its row forgotten (nothing left to delete or upload).
 * In a dry run it checks everything and reports what it would delete, touching nothing.
 */
import { rmdirSync, unlinkSync } from 'node:fs';
import { dirname } from 'node:path';
import { systemCode } from '../errors.js';
import type { Telemetry } from '../telemetry/events.js';
import type { Logger } from '../telemetry/logger.js';
import type { AuditRow, CandidateRow, DeletionRepo } from './deletion-repo.js';
import type { PolicyName } from './policies.js';
import type { SafetyLayers, SafetyRule } from './safety.js';

export interface DeletionEntry {
  readonly path: string;
  readonly source: string;
  readonly policy: PolicyName;
  readonly reason: string;
  readonly size: number;
  readonly mtimeMs: number;
  readonly uploaded: boolean;
  readonly sha256: string | null;
}

export type Attempt =
  | { readonly deleted: DeletionEntry }
  | { readonly skipped: SafetyRule | 'gone' | 'unlink-failed' };

export interface DeleteFs {
  unlink(path: string): void;
  rmdir(path: string): void;
}

export const realDeleteFs: DeleteFs = { unlink: unlinkSync, rmdir: rmdirSync };

export interface ExecutorOptions {
  readonly repo: Pick<DeletionRepo, 'get' | 'recordDeleted' | 'forget' | 'hasPath' | 'recordDeletedUnrecorded'>;
  readonly safety: SafetyLayers;
  /** Queues a file again with its current identity (FileRepo.enqueue). */
  readonly requeue: (row: CandidateRow, current: { size: number; mtimeMs: number }) => void;
  readonly telemetry: Pick<Telemetry, 'emit'>;
  readonly logger: Logger;
  readonly now: () => number;
  readonly dryRun: boolean;
  readonly fs?: DeleteFs;
}

export class DeletionExecutor {
  private readonly fs: DeleteFs;
  /**
   * Paths queued again in the current pass because they changed since their upload: new data,
   * which a later policy of the same pass must not take as an old un-uploaded file.
   */
  private readonly requeued = new Set<string>();

  constructor(private readonly o: ExecutorOptions) {
    this.fs = o.fs ?? realDeleteFs;
  }

  get dryRun(): boolean {
    return this.o.dryRun;
  }

  /** Called at the start of each pass. */
  beginPass(): void {
    this.requeued.clear();
  }

  tryDelete(candidate: CandidateRow, policy: PolicyName, reason: string, allowNotUploaded: boolean): Attempt {
    const row = this.o.repo.get(candidate.id);
    if (row === null || row.path !== candidate.path) return { skipped: 'gone' };
    if (this.requeued.has(row.path)) return { skipped: 'changed-since-upload' };
    const verdict = this.o.safety.check({ path: row.path, row, now: this.o.now(), allowNotUploaded });
    if (!verdict.ok) {
      this.onRefused(row, verdict.rule, verdict.detail, verdict.file);
      return { skipped: verdict.rule };
    }
    const uploaded = row.status === 'uploaded';
    const entry: DeletionEntry = {
      path: row.path,
      source: row.source,
      policy,
      reason,
      size: verdict.file.size,
      mtimeMs: verdict.file.mtimeMs,
      uploaded,
      sha256: row.contentSha256,
    };
    return this.remove(entry, verdict.dir.path, row.objectKey, (audit) => this.o.repo.recordDeleted(row.id, audit), () => {
      if (uploaded) this.o.repo.forget(row.id);
    });
  }

  /**
   * A file the state store has no row for (never queued, so never uploaded): only for the
   * policies allowed to delete un-uploaded files. Same safety layers, audited the same way.
   */
  tryDeleteUnrecorded(file: { path: string; source: string }, policy: PolicyName, reason: string): Attempt {
    if (this.o.repo.hasPath(file.path)) return { skipped: 'gone' }; // recorded meanwhile: the row's policies decide
    const verdict = this.o.safety.check({ path: file.path, row: null, now: this.o.now(), allowNotUploaded: true });
    if (!verdict.ok) return { skipped: verdict.rule };
    const entry: DeletionEntry = {
      path: file.path, source: file.source, policy, reason, size: verdict.file.size, mtimeMs: verdict.file.mtimeMs, uploaded: false, sha256: null,
    };
    return this.remove(entry, verdict.dir.path, null, (audit) => this.o.repo.recordDeletedUnrecorded(audit), () => undefined);
  }

  /** Unlink, record, tidy up, tell: the tail every deletion shares. */
  private remove(entry: DeletionEntry, root: string, objectKey: string | null, record: (audit: AuditRow) => void, onGone: () => void): Attempt {
    if (this.o.dryRun) return { deleted: entry };
    try {
      this.fs.unlink(entry.path);
    } catch (err) {
      if (systemCode(err) === 'ENOENT') {
        onGone();
        return { skipped: 'gone' };
      }
      this.o.logger.warn({ err, path: entry.path, policy: entry.policy }, 'cannot delete local file; it is kept');
      return { skipped: 'unlink-failed' };
    }
    record({
      deletedAt: this.o.now(),
      path: entry.path,
      source: entry.source,
      size: entry.size,
      mtimeMs: entry.mtimeMs,
      contentSha256: entry.sha256,
      objectKey,
      uploaded: entry.uploaded,
      policy: entry.policy,
      reason: entry.reason,
    });
    this.removeEmptiedDirs(entry.path, root);
    this.o.telemetry.emit({ type: 'file.deleted', ...entry });
    return { deleted: entry };
  }

  private onRefused(row: CandidateRow, rule: SafetyRule, detail: string, file: { size: number; mtimeMs: number } | null): void {
    if (this.o.dryRun) return;
    if (rule === 'changed-since-upload' && file !== null) {
      this.o.requeue(row, file);
      this.requeued.add(row.path);
      this.o.logger.info({ path: row.path }, `not deleted: ${detail}; queued for upload again`);
    } else if (rule === 'not-a-regular-file' && file === null && row.status === 'uploaded') {
      this.o.repo.forget(row.id);
    } else {
      this.o.logger.debug({ path: row.path, rule }, `not deleted: ${detail}`);
    }
  }

  /** Walks up from the deleted file, removing directories left empty, stopping below the root. */
  private removeEmptiedDirs(path: string, root: string): void {
    for (let dir = dirname(path); dir !== root && dir.startsWith(root + '/'); dir = dirname(dir)) {
      try {
        this.fs.rmdir(dir); // refuses a directory that is not empty: someone is still using it
      } catch {
        return;
      }
    }
  }
}
