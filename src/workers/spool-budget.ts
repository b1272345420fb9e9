/**
 * Room on the spool's filesystem before a compression starts: the expected output (the source
 * size, as the ratio is unknown) plus `disk.reserved_gb` must fit in what statfs says is available,
 * minus what compressions already running have reserved. When it does not fit the caller sends
 * the file uncompressed, straight from the source, so the spool never fills the disk the vehicle
 * logs to. Health says `spool` is degraded while that happens.
 */
import { diskUsage, type DiskUsage } from '../disk/usage.js';
import type { Health } from '../telemetry/health.js';

export interface SpoolBudgetOptions {
  readonly dir: string;
  /** disk.reserved_gb in bytes: never used by the spool. */
  readonly reserveBytes: number;
  readonly health?: Health;
  /** Injectable for tests (src/disk/usage.ts). */
  readonly usage?: (path: string) => Promise<DiskUsage>;
}

/** Gives the room back; idempotent. */
export type Release = () => void;

export class SpoolBudget {
  #reserved = 0;
  /** The last measurement found too little room (health says `spool` is degraded). */
  #short = false;

  constructor(private readonly o: SpoolBudgetOptions) {}

  /** Bytes reserved by compressions in progress. */
  get reserved(): number {
    return this.#reserved;
  }

  /**
   * A compression that needs no spool room (a small file, kept in memory). Measures nothing
   * unless the last measurement found the spool short, so that a stream of small files alone
   * still clears the `spool` health reason once room is back.
   */
  async unneeded(): Promise<void> {
    if (this.#short) (await this.reserve(0))?.();
  }

  /** A reservation of `bytes`, or null when they would eat into the reserve. */
  async reserve(bytes: number): Promise<Release | null> {
    let available: number;
    try {
      available = (await (this.o.usage ?? diskUsage)(this.o.dir)).availableBytes;
    } catch {
      // Cannot measure (an exotic filesystem): do not block uploads on the probe itself.
      available = Number.POSITIVE_INFINITY;
    }
    if (available - this.#reserved < bytes + this.o.reserveBytes) {
      this.#short = true;
      this.o.health?.degrade(
        'spool',
        `the spool's filesystem has ${Math.floor(available / 1048576)} MiB available, less than a file's size plus disk.reserved_gb; files are uploaded uncompressed from their source meanwhile`,
      );
      return null;
    }
    this.#short = false;
    this.o.health?.recover('spool');
    this.#reserved += bytes;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.#reserved -= bytes;
    };
  }
}
