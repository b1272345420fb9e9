/**
 * What happens to one claimed file: re-check it on disk, compress it in a worker (paths in,
 * metadata out), upload the result, and record the outcome in the state store in one step.
 * Every failure goes through the single retry policy; the file is never dropped silently: a
 * vanished file is removed with a log line, everything else stays queued with a persisted
 * next-attempt time.
 */
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { ErrorCodes, type TvmError } from '../errors.js';
import type { Codec } from '../config/types.js';
import type { CompressJob, CompressResult } from '../workers/protocol.js';
import type { FileRecord } from '../state/types.js';
import type { Telemetry } from '../telemetry/events.js';
import type { StatProbe } from './stat-probe.js';

export interface UploadRequest {
  readonly record: FileRecord;
  readonly key: string;
  readonly result: CompressResult;
  readonly verifyRemote: boolean;
  readonly signal: AbortSignal;
}

export interface JobFiles {
  markUploaded(id: number, r: { objectKey: string; contentSha256: string; uploadedAt: number; size: number; mtimeMs: number }): void;
  markFailed(id: number, r: { error: string; code: string; nextAttemptAt: number }): FileRecord;
  remove(id: number): void;
  release(id: number): void;
}

export interface UploadJobDeps {
  readonly files: JobFiles;
  readonly compress: (job: CompressJob, signal: AbortSignal) => Promise<CompressResult>;
  readonly upload: (req: UploadRequest) => Promise<{ skipped: boolean; bytesSent: number }>;
  readonly objectKey: (record: FileRecord, codec: Codec) => string;
  readonly classify: (err: unknown) => TvmError;
  /** Delay before the next attempt, given the attempt count after this failure. */
  readonly retryDelayMs: (attempts: number, err: TvmError) => number;
  /** Told about every failure and every success, to log operator-class problems once. */
  readonly alerts?: { failure(err: TvmError): void; success(): void };
  readonly telemetry: Telemetry;
  readonly stat: StatProbe;
  readonly now: () => number;
  readonly spoolDir: string;
  readonly compression: { codec: Codec; level: number; skipExtensions: readonly string[] };
  readonly partSize: number;
  /** Quiet period: a file that changed is looked at again after this long. */
  readonly stableMs: number;
}

const EXT: Record<Codec, string> = { gzip: '.gz', zstd: '.zst', none: '' };

/** How long a file that failed permanently waits before it is tried again (it may have been renamed or fixed). */
export const PERMANENT_RETRY_MS = 24 * 3600 * 1000;

export function createUploadJob(d: UploadJobDeps) {
  return async function uploadJob(record: FileRecord, signal: AbortSignal): Promise<void> {
    const started = d.now();
    const spoolPath = join(d.spoolDir, `${record.id}${EXT[d.compression.codec] || '.raw'}`);
    let key: string | null = null;
    let result: CompressResult | null = null;
    try {
      const st = await d.stat(record.path);
      if (st === null) {
        d.files.remove(record.id);
        d.telemetry.emit({ type: 'file.vanished', path: record.path });
        return;
      }
      result = await d.compress(
        {
          kind: 'compress',
          sourcePath: record.path,
          outputPath: spoolPath,
          codec: d.compression.codec,
          level: d.compression.level,
          skipExtensions: d.compression.skipExtensions,
          partSize: d.partSize,
          expectedSize: st.size,
          expectedMtimeMs: st.mtimeMs,
        },
        signal,
      );
      const current = { ...record, size: result.sourceSize, mtimeMs: result.sourceMtimeMs };
      key = d.objectKey(current, result.codec);
      const sent = await d.upload({ record, key, result, verifyRemote: record.verifyRemote, signal });
      d.files.markUploaded(record.id, {
        objectKey: key,
        contentSha256: result.sourceSha256,
        uploadedAt: d.now(),
        size: result.sourceSize,
        mtimeMs: result.sourceMtimeMs,
      });
      d.alerts?.success();
      d.telemetry.emit({
        type: 'file.uploaded',
        path: record.path,
        key,
        source: record.source,
        sourceBytes: result.sourceSize,
        sentBytes: sent.bytesSent,
        codec: result.codec,
        latencyMs: d.now() - started,
        remoteSkip: sent.skipped,
      });
    } catch (raw) {
      if (signal.aborted) {
        // Shutdown, not a failure: back to the queue without counting an attempt. Multipart
        // progress is kept, so the upload resumes on the next start.
        d.files.release(record.id);
        return;
      }
      const err = d.classify(raw);
      if (err.code === ErrorCodes.FILE_VANISHED) {
        d.files.remove(record.id);
        d.telemetry.emit({ type: 'file.vanished', path: record.path });
        return;
      }
      const changed = err.code === ErrorCodes.FILE_CHANGED;
      // Permanent errors (a name that cannot be a key, an object too large) will not heal by
      // retrying: the file stays queued (never dropped silently) but is looked at once a day,
      // instead of being re-compressed and re-logged at every backoff step.
      const delay = changed
        ? Math.max(d.stableMs, 1000)
        : err.retriability === 'permanent'
          ? PERMANENT_RETRY_MS
          : d.retryDelayMs(record.attempts + 1, err);
      const after = d.files.markFailed(record.id, { error: err.message, code: err.code, nextAttemptAt: d.now() + delay });
      if (changed) {
        d.telemetry.emit({ type: 'file.changed', path: record.path });
      } else {
        d.alerts?.failure(err);
        d.telemetry.emit({
          type: 'file.failed',
          path: record.path,
          key,
          code: err.code,
          message: err.message,
          attempts: after.attempts,
          retryInMs: delay,
          retriability: err.retriability,
          hint: err.hint ?? null,
        });
      }
    } finally {
      // The spool copy is only a cache: compression is deterministic, so a retry (or a resumed
      // multipart upload after a restart) re-creates identical bytes and part checksums.
      if (result === null || result.uploadPath !== record.path) {
        await rm(spoolPath, { force: true }).catch(() => undefined);
      }
    }
  };
}
