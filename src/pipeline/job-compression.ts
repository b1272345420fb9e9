/**
 * The upload job's two compression helpers as the daemon runs them: the level per file
 * (compression-level.ts: raised while the upload is capped, kept for a multipart upload in
 * progress) and the large compressions kept between attempts (kept-compressions.ts). Here so the
 * composition root only passes in the throttle, the multipart store and the logger.
 */
import { rm } from 'node:fs/promises';
import type { Config } from '../config/types.js';
import type { Logger } from '../telemetry/logger.js';
import { CompressionLevel, resumedLevel } from './compression-level.js';
import { KEEP_MAX_BYTES, KEEP_MAX_FILES, KEEP_MIN_BYTES, KeptCompressions } from './kept-compressions.js';
import type { UploadJobDeps } from './upload-job.js';

export interface JobCompressionOptions {
  readonly upload: Pick<Config['upload'], 'compression' | 'workers'>;
  /** The throttle: its rate now, null = unlimited. */
  readonly throttle: { readonly bytesPerSecond: number | null };
  /** The multipart upload in progress for a file, if any (its proof records codec and level). */
  readonly progress: (fileId: number) => { readonly proof: { readonly codec: string; readonly codecLevel: number } } | null;
  readonly logger: Pick<Logger, 'info'>;
}

export function jobCompression(o: JobCompressionOptions): Required<Pick<UploadJobDeps, 'levels' | 'kept'>> {
  const comp = o.upload.compression;
  const levels = new CompressionLevel({
    codec: comp.codec, level: comp.level, maxLevel: comp.maxLevel, rate: () => o.throttle.bytesPerSecond,
    // The pool runs at most `workers` compressions at once, whatever the budget says.
    cpuBudgetCores: Math.min(comp.cpuBudgetPercent / 100, o.upload.workers),
    onChange: (c) =>
      o.logger.info(
        { codecLevel: c.level, from: c.from, capBytesPerSecond: c.capBytesPerSecond, estimatedCores: c.cores === null ? null : Math.round(c.cores * 100) / 100 },
        c.level > comp.level ? 'upload is capped: compressing harder to send fewer bytes' : 'compression level back to the configured one',
      ),
  });
  return {
    levels: { choose: (rec) => resumedLevel(o.progress(rec.id), comp.codec) ?? levels.choose(), observe: (x) => levels.observe(x) },
    kept: new KeptCompressions({
      minBytes: KEEP_MIN_BYTES, maxFiles: KEEP_MAX_FILES, maxBytes: KEEP_MAX_BYTES,
      remove: (p) => rm(p, { force: true }).catch(() => undefined),
    }),
  };
}
