/**
 * The daemon's memory budget computed from its configuration, as the code documents it, so each
 * run can set it beside the measured high-water mark:
 *
 *   budget = start RSS (Node, modules, worker isolates, SQLite opened; measured at 'running')
 *          + concurrency × part_concurrency × 2 × 64 KiB   (file read stream + socket/throttle buffer per part)
 *          + concurrency × 256 KiB                          (a small file's output, PUT from memory)
 *          + workers × (4 × 256 KiB read chunks + 1 MiB sample + its compressed copy)
 *          + workers × codec state                          (gzip ≈ 0.3 MiB; zstd grows with the level)
 *          + SQLite page cache                              (default cache_size: 2000 KiB)
 *
 * The constants come from src/ (BODY_HIGH_WATER_MARK, READ_CHUNK_BYTES, SAMPLE_BYTES, IN_MEMORY_MAX_BYTES) and from
 * the codec memory noted in src/workers/pool.ts. What the formula does not hold (garbage not
 * yet collected, allocator slack) shows up as the gap to VmHWM.
 */
import type { ResolvedKnobs } from './daemon-config.js';

const KIB = 1 / 1024;

/** Codec working memory per worker, MiB (zlib deflate: 256 KiB window + hash; zstd per level). */
export function codecStateMb(codec: string, level: number): number {
  if (codec === 'gzip') return 0.3;
  if (codec === 'zstd') {
    if (level <= 3) return 4;
    if (level <= 9) return 20;
    return 90;
  }
  return 0;
}

export function memoryBudget(knobs: ResolvedKnobs, startRssMb: number): { totalMb: number; terms: Record<string, number> } {
  const terms: Record<string, number> = {
    startRss: startRssMb,
    partStreams: knobs.concurrency * knobs.partConcurrency * 2 * 64 * KIB,
    smallOutputs: knobs.concurrency * 256 * KIB,
    workerBuffers: knobs.workers * (4 * 256 * KIB + 1 + 1),
    // A capped upload may raise the level up to maxLevel: its state is what a worker may hold.
    codecState: knobs.workers * codecStateMb(knobs.codec, Math.max(knobs.level, knobs.maxLevel)),
    sqliteCache: 2000 * KIB,
  };
  for (const k of Object.keys(terms)) terms[k] = Math.round(terms[k]! * 10) / 10;
  const totalMb = Math.round(Object.values(terms).reduce((a, b) => a + b, 0) * 10) / 10;
  return { totalMb, terms };
}
