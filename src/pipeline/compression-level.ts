/**
 * The compression level each file gets. While the upload rate is capped (upload.max_mbps, the
 * bandwidth timetable or the link policy), the link, not the CPU, is what limits how many source
 * bytes reach S3 per second: a higher level sends the same logs in fewer bytes, so more of them
 * fit through the cap. It costs CPU, which on a vehicle belongs to the autonomy stack, so a level
 * is only taken when keeping the capped link busy at it stays within `cpu_budget_percent`:
 *
 *   CPU needed at level L (cores) = cap (wire bytes/s) ÷ ratio(L) ÷ speed(L) (source bytes/s per core)
 *
 * Among the levels from `level` to `max_level` that fit, the one that sends the fewest bytes
 * wins (ties: the cheaper one). Uncapped, or before anything was measured, the configured level
 * is used unchanged.
 *
 * ratio(L) and speed(L) come from a table measured on log text (below), scaled by what this
 * vehicle's compressions actually achieve: every finished compression of at least
 * MIN_SAMPLE_BYTES updates one factor for speed and one for ratio (weighted by its size). The
 * speed is from the worker's wall time (read, compress, hash, write), so a busy CPU makes every
 * level look slower and the choice more conservative, which is the direction wanted.
 */
import type { Codec } from '../config/types.js';

/**
 * Source MB/s on one core and output ÷ source, per level (index = level), measured on the perf
 * suites' generated ROS 2 / syslog / terminal text in 1 MiB pieces (node:zlib 1.3, zstd 1.5;
 * 2026-12-07, docs/PERFORMANCE.md "Compression level when the link is the limit"). Only the
 * shape matters: both columns are rescaled by what the vehicle measures.
 */
const TABLES: Record<'gzip' | 'zstd', { speed: readonly number[]; ratio: readonly number[] }> = {
  gzip: {
    speed: [0, 170.6, 160.3, 131.2, 109.4, 100.1, 82.7, 56.8, 42.2, 41.6],
    ratio: [1, 0.2194, 0.2098, 0.2029, 0.1938, 0.1795, 0.1745, 0.1695, 0.168, 0.168],
  },
  zstd: {
    speed: [0, 243.6, 299.7, 285.5, 237.5, 145.2, 98.7, 90, 61.2, 55.1, 49.4, 40.3, 40.8, 17.2, 15.2, 15.3, 5.3, 4.2, 3.2, 2.9],
    ratio: [1, 0.1839, 0.1925, 0.1926, 0.1929, 0.1813, 0.1709, 0.1666, 0.1576, 0.1575, 0.1541, 0.1519, 0.1519, 0.149, 0.1478, 0.1475, 0.1412, 0.14, 0.1397, 0.1383],
  },
};

/** Smaller compressions say little about speed (fixed costs dominate) and are not counted. */
export const MIN_SAMPLE_BYTES = 256 * 1024;
/** Source bytes measured before the level may leave the configured one. */
export const MIN_MEASURED_BYTES = 4 * 1024 * 1024;
/** One measurement of this many source bytes weighs half in the factors; smaller ones less. */
const HALF_WEIGHT_BYTES = 16 * 1024 * 1024;

export interface CompressionLevelOptions {
  readonly codec: Codec;
  /** The configured level: used when uncapped, and the lowest level ever chosen. */
  readonly level: number;
  /** The highest level the cap may raise it to (= level: never raised). */
  readonly maxLevel: number;
  /** CPU the compressions may take while keeping the capped link busy, in cores (0.5 = half a core). */
  readonly cpuBudgetCores: number;
  /** The upload cap now, in bytes per second; null = unlimited. */
  readonly rate: () => number | null;
  /** Told when the chosen level changes (for the log). */
  readonly onChange?: (change: LevelChange) => void;
}

export interface LevelChange {
  readonly level: number;
  readonly from: number;
  /** The cap it was chosen for (bytes/s), null when uncapped. */
  readonly capBytesPerSecond: number | null;
  /** Estimated CPU to keep the link busy at this level, in cores; null when uncapped. */
  readonly cores: number | null;
}

export interface CompressionSample {
  readonly level: number;
  readonly sourceBytes: number;
  readonly outputBytes: number;
  readonly elapsedMs: number;
}

export class CompressionLevel {
  private readonly table: { speed: readonly number[]; ratio: readonly number[] } | null;
  /** Measured ÷ table: set by the first sample, moved by each later one. */
  private speedFactor = 1;
  private ratioFactor = 1;
  private measuredBytes = 0;
  private current: number;

  constructor(private readonly o: CompressionLevelOptions) {
    this.table = o.codec === 'none' ? null : TABLES[o.codec];
    const top = this.table === null ? 0 : this.table.speed.length - 1;
    if (this.table !== null && !(Number.isInteger(o.level) && o.level >= 1 && o.level <= o.maxLevel && o.maxLevel <= top)) {
      throw new RangeError(`compression levels must satisfy 1 <= level <= maxLevel <= ${top} for ${o.codec}, got ${o.level}..${o.maxLevel}`);
    }
    if (!(o.cpuBudgetCores > 0)) throw new RangeError(`cpuBudgetCores must be > 0, got ${o.cpuBudgetCores}`);
    this.current = o.level;
  }

  /** The level for the next file. */
  choose(): number {
    const cap = this.o.rate();
    const pick = this.pick(cap);
    if (pick.level !== this.current) {
      const from = this.current;
      this.current = pick.level;
      this.o.onChange?.({ level: pick.level, from, capBytesPerSecond: cap, cores: pick.cores });
    }
    return pick.level;
  }

  /** A finished compression at `level` (a file stored as is is not one). */
  observe(s: CompressionSample): void {
    const t = this.table;
    if (t === null || s.sourceBytes < MIN_SAMPLE_BYTES || s.outputBytes <= 0 || !(s.elapsedMs > 0)) return;
    if (!(s.level >= 1 && s.level < t.speed.length && Number.isInteger(s.level))) return;
    const speed = s.sourceBytes / 1e6 / (s.elapsedMs / 1000);
    const ratio = s.outputBytes / s.sourceBytes;
    // The first measurement replaces the table's guess outright; later ones move the factors.
    const w = this.measuredBytes === 0 ? 1 : s.sourceBytes / (s.sourceBytes + HALF_WEIGHT_BYTES);
    this.speedFactor += w * (speed / t.speed[s.level]! - this.speedFactor);
    this.ratioFactor += w * (ratio / t.ratio[s.level]! - this.ratioFactor);
    this.measuredBytes += s.sourceBytes;
  }

  /** Estimated cores needed to keep a link capped at `cap` bytes/s busy at `level`. */
  coresAt(level: number, cap: number): number {
    const t = this.table!;
    const sourcePerSecond = cap / (t.ratio[level]! * this.ratioFactor);
    return sourcePerSecond / (t.speed[level]! * this.speedFactor * 1e6);
  }

  private pick(cap: number | null): { level: number; cores: number | null } {
    const { level, maxLevel, cpuBudgetCores } = this.o;
    if (this.table === null || cap === null || !(cap > 0) || maxLevel === level || this.measuredBytes < MIN_MEASURED_BYTES) {
      return { level, cores: cap === null || this.table === null || !(cap > 0) ? null : this.coresAt(level, cap) };
    }
    let best = level;
    for (let l = level + 1; l <= maxLevel; l++) {
      if (this.coresAt(l, cap) <= cpuBudgetCores && this.table.ratio[l]! < this.table.ratio[best]!) best = l;
    }
    return { level: best, cores: this.coresAt(best, cap) };
  }
}

/**
 * The level a retried file must keep: a multipart upload in progress was started from a
 * compression at that level, and its parts only resume from the same bytes. Null when nothing is
 * in progress, or it was for another codec (the parts are then discarded anyway).
 */
export function resumedLevel(progress: { readonly proof: { readonly codec: string; readonly codecLevel: number } } | null, codec: Codec): number | null {
  if (progress === null || codec === 'none' || progress.proof.codec !== codec) return null;
  // Kept even above today's max_level: finishing the upload costs less than starting it again.
  const l = progress.proof.codecLevel;
  return Number.isInteger(l) && l >= 1 && l < TABLES[codec].speed.length ? l : null;
}
