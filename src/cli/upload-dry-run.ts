/**
 * `upload-now --dry-run`: what a one-shot would upload now, with target keys and sizes, without
 * uploading or writing anything. It walks the trees with the daemon's own filter and scan (so
 * patterns, recursion and max_age_days apply), skips what the registry says is already uploaded
 * with the same size and mtime, and builds keys with the uploader's key builder.
 *
 * The key's suffix is decided the way the worker decides before its trial compression (codec
 * none, a skipped extension, a compressed-format signature); a file that then turns out to be
 * incompressible is stored without the suffix, which a dry run cannot know without compressing.
 */
import { open } from 'node:fs/promises';
import type { Config } from '../config/types.js';
import { FileFilter } from '../pipeline/file-filter.js';
import { scanDirectory } from '../pipeline/scan.js';
import { sameMtime } from '../state/identity.js';
import { buildObjectKey } from '../sinks/s3/object-key.js';
import type { StateReader } from '../state/state-reader.js';
import { storeReasonBeforeSample } from '../workers/sniff.js';

const DAY_MS = 86_400_000;
const MAGIC_BYTES = 16;

export interface PlannedUpload {
  readonly path: string;
  readonly key: string;
  readonly size: number;
}

export interface DryRunPlan {
  readonly files: PlannedUpload[];
  /** Files modified within file_stable_seconds: a one-shot now would skip them. */
  readonly stillChanging: string[];
  alreadyUploaded: number;
  readonly unreadable: string[];
}

export async function planUploads(config: Config, reader: StateReader | null, now: number): Promise<DryRunPlan> {
  const filter = new FileFilter(config.logDirectories);
  const maxAge = config.upload.scanExistingFiles.maxAgeDays;
  const notBeforeMs = maxAge > 0 ? now - maxAge * DAY_MS : null;
  const stableMs = config.upload.fileStableSeconds * 1000;
  const plan: DryRunPlan = { files: [], stillChanging: [], alreadyUploaded: 0, unreadable: [] };
  const onError = (path: string): void => void plan.unreadable.push(path);
  for (let i = 0; i < config.logDirectories.length; i++) {
    const dir = config.logDirectories[i]!;
    for await (const hit of scanDirectory(filter, i, dir.path, { notBeforeMs, onError, onUnsupportedName: onError })) {
      const row = reader?.entry(hit.path) ?? null;
      if (row !== null && row.status === 'uploaded' && row.size === hit.size && sameMtime(row.mtimeMs, hit.mtimeMs)) {
        plan.alreadyUploaded++;
        continue;
      }
      if (now - hit.mtimeMs < stableMs) {
        plan.stillChanging.push(hit.path);
        continue;
      }
      const stored = config.upload.compression.codec === 'none' || storeReasonBeforeSample({ sourcePath: hit.path, skipExtensions: config.upload.compression.skipExtensions }, await head(hit.path)) !== null;
      const codec = stored ? 'none' : config.upload.compression.codec;
      plan.files.push({ path: hit.path, size: hit.size, key: buildObjectKey({ vehicleId: config.vehicleId, source: hit.source, relPath: hit.relPath, mtimeMs: hit.mtimeMs, codec }) });
    }
  }
  return plan;
}

async function head(path: string): Promise<Uint8Array> {
  try {
    const fh = await open(path, 'r');
    try {
      const buf = Buffer.alloc(MAGIC_BYTES);
      const { bytesRead } = await fh.read(buf, 0, MAGIC_BYTES, 0);
      return buf.subarray(0, bytesRead);
    } finally {
      await fh.close();
    }
  } catch {
    return new Uint8Array(0);
  }
}
