/**
 * Shapes of the durable state, shared by the repositories in this folder and their callers.
 * One row per watched file path holds both the queue entry and the processed-files registry
 * entry (status tells which): a path is "uploaded" for one identity (size, mtime) at a time.
 */

import type { PriorityRank } from '../priority/priority.js';

export type FileStatus = 'queued' | 'in_flight' | 'uploaded';

export interface FileRecord {
  readonly id: number;
  /** Absolute path as discovered (not resolved through symlinks). */
  readonly path: string;
  /** Source name of the log directory the file belongs to. */
  readonly source: string;
  /** Path relative to the watched directory, '/'-separated. */
  readonly relPath: string;
  readonly size: number;
  readonly mtimeMs: number;
  readonly status: FileStatus;
  readonly attempts: number;
  /** Epoch ms before which the file must not be retried. 0 = now. */
  readonly nextAttemptAt: number;
  readonly lastError: string | null;
  readonly lastErrorCode: string | null;
  /** Hex SHA-256 of the source bytes, once computed. */
  readonly contentSha256: string | null;
  readonly objectKey: string | null;
  readonly uploadedAt: number | null;
  /** Epoch ms the file was (last) queued: the fairness/oldest-first order. */
  readonly queuedAt: number;
  /** True when the remote may already hold this object (crash mid-upload, rebuilt DB, legacy import): HEAD before PUT. */
  readonly verifyRemote: boolean;
  /** 0 = high, 1 = normal, 2 = low (priority/priority.ts); always set on rows read from the store. */
  readonly priority?: PriorityRank;
}

export interface EnqueueInput {
  readonly path: string;
  readonly source: string;
  readonly relPath: string;
  readonly size: number;
  readonly mtimeMs: number;
  readonly verifyRemote?: boolean;
  /** Default normal. A row already queued keeps the more urgent of its rank and this one. */
  readonly priority?: PriorityRank;
}

/** Outcome of FileRepo.enqueue. */
export type EnqueueOutcome =
  | 'queued' // new path or changed identity: now queued
  | 'already-queued' // queued or in flight already (identity updated if it changed)
  | 'already-uploaded'; // same (size, mtime) already uploaded: skipped

export interface MultipartProgress {
  readonly fileId: number;
  readonly uploadId: string;
  readonly objectKey: string;
  readonly partSize: number;
  /** Path of the bytes being uploaded (spool file, or the source for codec none). */
  readonly uploadPath: string;
  /** Hex SHA-256 of the source when the upload started: resume only if it still matches. */
  readonly sourceSha256: string;
  /** Proof that recorded parts belong to the bytes about to be sent; resume only if all match. */
  readonly proof: ResumeProof;
  readonly createdAt: number;
  /** Completed parts, ascending part number. */
  readonly parts: readonly CompletedPart[];
}

export interface ResumeProof {
  /** Codec actually applied to the uploaded bytes. */
  readonly codec: string;
  readonly codecLevel: number;
  /** The codec library's version (e.g. "zlib 1.3.0.1-motley"); a library upgrade may change the bytes. */
  readonly codecVersion: string;
  /** Base64 SHA-256 of the whole uploaded (spool) file. */
  readonly outputSha256: string;
}

export interface CompletedPart {
  readonly partNumber: number;
  readonly etag: string;
  readonly size: number;
}

export interface MetricDatum {
  readonly name: string;
  readonly unit: 'Count' | 'Bytes' | 'Percent' | 'Seconds' | 'Milliseconds' | 'None';
  readonly value: number;
  /** Epoch ms. */
  readonly timestamp: number;
  /** A dimension sent next to VehicleId (e.g. Filesystem for DiskUsagePercent per filesystem); absent for vehicle-wide points. */
  readonly dimension?: MetricDimension;
}

export interface MetricDimension {
  readonly name: string;
  readonly value: string;
}

export interface OutboxEntry extends MetricDatum {
  readonly id: number;
}
