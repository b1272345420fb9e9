/**
 * What happens to one claimed file: re-check it on disk, compress it in a worker (paths in,
 * metadata out; a small output's bytes come back in memory), upload the result, and record the
 * outcome in the state store in one step.
 * Every failure goes through the single retry policy; the file is never dropped silently: a
 * vanished file is removed with a log line, everything else stays queued with a persisted
 * next-attempt time.
 */
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { ErrorCodes, type TvmError } from '../errors.js';
import type { Codec } from '../config/types.js';
import type { CompressRequest, CompressResult } from '../workers/protocol.js';
import type { FileRecord } from '../state/types.js';
import type { Telemetry } from '../telemetry/events.js';
import type { IssuedKey, IssueInput, StoredKey } from '../state/key-repo.js';
import { validateObjectKey } from '../sinks/s3/object-key.js';
import { spoolFileName } from '../workers/spool-dir.js';
import { SAMPLE_BYTES } from '../workers/sniff.js';
import type { SourceStat } from './stat-probe.js';
import type { Failure, RetryDecision } from '../sinks/retry.js';
import type { KeptCompressions } from './kept-compressions.js';

export { PERMANENT_RETRY_MS } from '../sinks/retry.js';

export interface UploadRequest {
  readonly record: FileRecord;
  readonly key: string;
  readonly result: CompressResult;
  /** The level the file was compressed at (0 when stored as is): part of a multipart upload's proof. */
  readonly level: number;
  readonly verifyRemote: boolean;
  /** The key holds an earlier, shorter content of this file (this source sha256): replace it. */
  readonly replaces?: string | undefined;
  readonly signal: AbortSignal;
}

export interface JobFiles {
  markUploaded(id: number, r: { objectKey: string; contentSha256: string; uploadedAt: number; size: number; mtimeMs: number }): void;
  markFailed(id: number, r: { error: string; code: string; nextAttemptAt: number }): FileRecord;
  remove(id: number): void;
  release(id: number): void;
}

/** Object key versions (state/key-repo.ts): which key these bytes go to, and keys found taken. */
export interface JobKeys {
  issue(input: IssueInput): IssuedKey;
  lastStored(path: string): StoredKey | null;
  markTaken(key: string, sourceSha256: string, now: number): void;
}

export interface UploadJobDeps {
  readonly files: JobFiles;
  readonly keys: JobKeys;
  readonly compress: (job: CompressRequest, signal: AbortSignal) => Promise<CompressResult>;
  readonly upload: (req: UploadRequest) => Promise<{ skipped: boolean; bytesSent: number }>;
  readonly objectKey: (record: FileRecord, codec: Codec) => string;
  readonly classify: (err: unknown) => TvmError;
  /** The retry policy (sinks/retry.ts): what every failure leads to, and after how long. */
  readonly retry: { decide(failure: Failure): RetryDecision };
  /** Told about every failure and every success, to log operator-class problems once. */
  readonly alerts?: { failure(err: TvmError): void; success(): void };
  readonly telemetry: Telemetry;
  /** null only when the source itself is gone (ENOENT); other problems throw. See lstatSource. */
  readonly stat: SourceStat;
  readonly now: () => number;
  readonly spoolDir: string;
  readonly compression: { codec: Codec; level: number; skipExtensions: readonly string[] };
  /**
   * The level per file (pipeline/compression-level.ts) and what each compression achieved.
   * Omitted: always compression.level.
   */
  readonly levels?: {
    choose(record: FileRecord): number;
    observe(sample: { level: number; sourceBytes: number; outputBytes: number; elapsedMs: number }): void;
  };
  readonly partSize: number;
  /**
   * Epoch ms since which the key records are complete: keys issued earlier may have been pruned
   * (registry retention) or lost (state rebuilt after corruption). A file whose date folder may
   * hold such keys is checked in S3 before it is written (HEAD), so it cannot replace them.
   */
  readonly keysKnownSince: () => number;
  /** Room for a compression on the spool's filesystem (workers/spool-budget.ts); null = none: send as is. */
  readonly spool?: {
    reserve(bytes: number): Promise<(() => void) | null>;
    /** A file that needs no room (kept in memory); lets a spool reported short see that room is back. */
    unneeded?(): Promise<void>;
  };
  /**
   * Outputs up to this many bytes come back from the worker in memory and are PUT from there: no
   * spool file, no room to reserve (IN_MEMORY_MAX_BYTES in the daemon). Omitted: the spool always.
   */
  readonly memoryMaxBytes?: number;
  /** Large compressions kept between the attempts of a file that failed (kept-compressions.ts). Omitted: none kept. */
  readonly kept?: KeptCompressions;
}

/**
 * Small files skip the spool below this size (source or compressed output, whichever is smaller;
 * the whole file must also fit the worker's 1 MiB sample). Each upload in flight holds at most this
 * much on the main thread until its PUT ends: ≤ upload.concurrency × 256 KiB (1 MiB at the default
 * concurrency 4). docs/PERFORMANCE.md has the measurements behind the figure.
 */
export const IN_MEMORY_MAX_BYTES = 256 * 1024;

/** Margin for the date folder: a local day starts up to ~26 h before an mtime in it (zones, DST). */
const DATE_MARGIN_MS = 2 * 24 * 3600 * 1000;

/** Taken keys skipped within one attempt before it fails (and is retried with backoff). */
export const MAX_TAKEN_KEYS_PER_ATTEMPT = 8;

export function createUploadJob(d: UploadJobDeps) {
  // Beyond the worker's one-shot sample a file is streamed to the spool, which this job would
  // then not have reserved room for.
  if (d.memoryMaxBytes !== undefined && !(d.memoryMaxBytes >= 0 && d.memoryMaxBytes <= SAMPLE_BYTES)) {
    throw new RangeError(`memoryMaxBytes must be within 0..${SAMPLE_BYTES}, got ${d.memoryMaxBytes}`);
  }
  return async function uploadJob(record: FileRecord, signal: AbortSignal): Promise<void> {
    const started = d.now();
    const spoolPath = join(d.spoolDir, spoolFileName(record.id, d.compression.codec));
    // The last key tried, for the failure report (sendVersioned may try several).
    const tried: { key: string | null } = { key: null };
    let result: CompressResult | null = null;
    let releaseSpool: (() => void) | null = null;
    // A file within memoryMaxBytes never touches the spool: its output comes back in memory.
    let inMemory = false;
    let level = d.compression.level;
    let prefixSize: number | undefined;
    // Set when the failure will be retried: a large compression is then kept for the next attempt.
    let retried = false;
    try {
      const st = await d.stat(record.path);
      if (st === null) {
        await d.kept?.drop(record.id);
        d.files.remove(record.id);
        d.telemetry.emit({ type: 'file.vanished', path: record.path });
        return;
      }
      // Reject a name that cannot be a key before spending a compression on it.
      d.objectKey({ ...record, size: st.size, mtimeMs: st.mtimeMs }, 'none');
      // What this path last stored: if the file only grew since, its object is replaced rather
      // than versioned (the worker hashes that many leading bytes to tell).
      const last = d.keys.lastStored(record.path);
      prefixSize = last !== null && last.sourceSize > 0 && last.sourceSize < st.size ? last.sourceSize : undefined;
      // The last attempt's compression of these very bytes, if still on the spool: no second pass.
      const reused = await reuseKept(d, record, st, prefixSize);
      if (reused !== null) {
        ({ result, level } = reused);
      } else {
        // Room for the output (source size: the ratio is unknown) plus the reserve, or no spool at all.
        inMemory = d.memoryMaxBytes !== undefined && st.size <= d.memoryMaxBytes;
        if (inMemory) await d.spool?.unneeded?.();
        releaseSpool = d.spool === undefined || inMemory ? () => undefined : await d.spool.reserve(st.size);
        level = d.levels?.choose(record) ?? d.compression.level;
        result = await d.compress(compressRequest(d, record, st, { spoolPath, level, prefixSize, noSpool: releaseSpool === null }), signal);
        if (result.codec !== 'none') d.levels?.observe({ level, sourceBytes: result.sourceSize, outputBytes: result.outputSize, elapsedMs: result.elapsedMs });
      }
      const applied = result.codec === 'none' ? 0 : level;
      const current = { ...record, size: result.sourceSize, mtimeMs: result.sourceMtimeMs };
      const base = d.objectKey(current, result.codec);
      const grows = last !== null && result.prefixSha256 === last.sourceSha256 ? last.key : undefined;
      const sent = await sendVersioned(d, record, { base, grows }, { result, level: applied }, signal, tried);
      const key = sent.key;
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
        ...(applied > 0 ? { level: applied } : {}),
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
      // ENOENT may come from the spool, a credentials file or anything else: the row is only
      // forgotten when the source itself is gone now; otherwise it is a retriable failure.
      // Permanent errors stay queued (never dropped silently) but are looked at once a day.
      const gone = err.code === ErrorCodes.FILE_VANISHED && (await sourceGone(d, record.path));
      const decision = d.retry.decide({ attempt: record.attempts + 1, error: err, sourceGone: gone });
      if (decision.action === 'remove') {
        d.files.remove(record.id);
        d.telemetry.emit({ type: 'file.vanished', path: record.path });
        return;
      }
      retried = decision.action === 'retry';
      const changed = decision.action === 'restabilize';
      const delay = decision.delayMs;
      const after = d.files.markFailed(record.id, { error: err.message, code: err.code, nextAttemptAt: d.now() + delay });
      if (changed) {
        d.telemetry.emit({ type: 'file.changed', path: record.path });
      } else {
        d.alerts?.failure(err);
        d.telemetry.emit({
          type: 'file.failed',
          path: record.path,
          key: tried.key,
          code: err.code,
          message: err.message,
          attempts: after.attempts,
          retryInMs: delay,
          retriability: err.retriability,
          hint: err.hint ?? null,
        });
      }
    } finally {
      releaseSpool?.();
      // The spool copy is only a cache: compression is deterministic, so a retry (or a resumed
      // multipart upload after a restart) re-creates identical bytes and part checksums. A small
      // file's request wrote none (its failure discards any .partial in the worker).
      if (retried && result !== null && result.uploadPath === spoolPath && d.kept?.wants(result) === true) {
        await d.kept.keep(record.id, { result, level, partSize: d.partSize, prefixSize });
      } else if (result === null ? !inMemory : result.uploadPath !== record.path) {
        await rm(spoolPath, { force: true }).catch(() => undefined);
      }
    }
  };
}

function compressRequest(
  d: UploadJobDeps,
  record: FileRecord,
  st: { size: number; mtimeMs: number },
  o: { spoolPath: string; level: number; prefixSize: number | undefined; noSpool: boolean },
): CompressRequest {
  return {
    kind: 'compress',
    sourcePath: record.path,
    outputPath: o.spoolPath,
    codec: d.compression.codec,
    level: o.level,
    skipExtensions: d.compression.skipExtensions,
    partSize: d.partSize,
    expectedSize: st.size,
    expectedMtimeMs: st.mtimeMs,
    ...(o.prefixSize !== undefined ? { prefixSize: o.prefixSize } : {}),
    ...(o.noSpool ? { noSpool: true } : {}),
    ...(d.memoryMaxBytes !== undefined ? { memoryMaxBytes: d.memoryMaxBytes } : {}),
  };
}

/** The kept compression of this file when it is still for these bytes and its spool file is there. */
async function reuseKept(d: UploadJobDeps, record: FileRecord, st: { size: number; mtimeMs: number }, prefixSize: number | undefined): Promise<{ result: CompressResult; level: number } | null> {
  const k = await d.kept?.take(record.id, { size: st.size, mtimeMs: st.mtimeMs, codec: d.compression.codec, partSize: d.partSize, prefixSize });
  if (k === undefined || k === null) return null;
  // Someone may have emptied the spool meanwhile.
  const there = await Promise.resolve()
    .then(() => d.stat(k.result.uploadPath))
    .catch(() => null);
  return there !== null && there.size === k.result.outputSize ? { result: k.result, level: k.level } : null;
}

/**
 * Uploads under the key the state store issues for these source bytes: the reference key the
 * first time, the next free version when it holds other content, the same key when the file
 * only grew since it was stored there. Identical bytes already stored send nothing. A key found taken on the server (conditional write refused, or a check showing
 * another source) is recorded and the next version tried, a few times within one attempt.
 */
async function sendVersioned(
  d: UploadJobDeps,
  record: FileRecord,
  target: { base: string; grows: string | undefined },
  compressed: { result: CompressResult; level: number },
  signal: AbortSignal,
  tried: { key: string | null },
): Promise<{ key: string; skipped: boolean; bytesSent: number }> {
  const { result, level } = compressed;
  for (let taken = 0; ; taken++) {
    const now = d.now();
    const issued = d.keys.issue({ ...target, sourceSha256: result.sourceSha256, path: record.path, now });
    tried.key = issued.key;
    if (issued.stored) return { key: issued.key, skipped: true, bytesSent: 0 };
    validateObjectKey(issued.key, record.relPath);
    try {
      const forgotten = result.sourceMtimeMs < d.keysKnownSince() + DATE_MARGIN_MS;
      const verifyRemote = record.verifyRemote || issued.unconfirmed || forgotten;
      const sent = await d.upload({ record, key: issued.key, result, level, verifyRemote, replaces: issued.replaces, signal });
      return { key: issued.key, ...sent };
    } catch (err) {
      const e = d.classify(err);
      if (e.code !== ErrorCodes.KEY_TAKEN || taken + 1 >= MAX_TAKEN_KEYS_PER_ATTEMPT) throw err;
      const remote = typeof e.details.remoteSha256 === 'string' ? e.details.remoteSha256 : '';
      d.keys.markTaken(issued.key, remote, now);
      d.telemetry.emit({ type: 'key.taken', path: record.path, key: issued.key, remoteSha256: remote });
    }
  }
}

async function sourceGone(d: UploadJobDeps, path: string): Promise<boolean> {
  try {
    return (await d.stat(path)) === null;
  } catch {
    return false;
  }
}
