/**
 * A pool of distinct blocks of log text (and of random bytes), built once per soak run, from
 * which 100 GB of files are composed by copying: generating that much text line by line would
 * cost the measuring process more CPU than the daemon spends compressing it. Each block is whole
 * lines of one style from perf/data/log-text.ts, continuing one stream, so no two blocks are
 * equal and each compresses like the text it was cut from.
 *
 * Blocks are larger than gzip's 32 KiB window and the pool is larger than zstd-1's window, so a
 * codec cannot find a block it saw earlier in the same file: the composed files compress like
 * real logs, not like repetitions. Not responsible for files, names or sizes (soak-files.ts).
 */
import { seededRandom } from '../../test/support/seeded-random.js';
import { LogText, type LogStyle } from './log-text.js';

export type BlockKind = LogStyle | 'binary';

export interface BlockPoolOptions {
  readonly seed: number;
  /** Size of each block; text blocks are whole lines, so a text block is this or a line longer. */
  readonly blockBytes: number;
  /** Blocks per kind. */
  readonly blocks: number;
  /** Epoch milliseconds of the first line of the text streams. */
  readonly startMs: number;
}

export class LogBlockPool {
  private readonly pools = new Map<BlockKind, readonly Buffer[]>();

  constructor(private readonly o: BlockPoolOptions) {
    if (!(o.blockBytes > 0) || !(o.blocks >= 1)) throw new RangeError(`block pool needs blockBytes > 0 and blocks ≥ 1, got ${o.blockBytes} and ${o.blocks}`);
  }

  get blockCount(): number {
    return this.o.blocks;
  }

  /** The blocks of one kind, built on first use (a run that writes no syslog files builds none). */
  blocks(kind: BlockKind): readonly Buffer[] {
    let pool = this.pools.get(kind);
    if (pool === undefined) {
      pool = kind === 'binary' ? this.binaryBlocks() : this.textBlocks(kind);
      this.pools.set(kind, pool);
    }
    return pool;
  }

  /** Bytes held by the blocks built so far (the harness's own memory cost). */
  get heldBytes(): number {
    let n = 0;
    for (const pool of this.pools.values()) for (const b of pool) n += b.length;
    return n;
  }

  private textBlocks(style: LogStyle): Buffer[] {
    const text = new LogText({ seed: this.o.seed * 31 + style.length, style, startMs: this.o.startMs });
    // Copied out of the generator's growing buffer so each block owns exactly its bytes.
    return Array.from({ length: this.o.blocks }, () => Buffer.from(text.next(this.o.blockBytes)));
  }

  private binaryBlocks(): Buffer[] {
    const r = seededRandom(this.o.seed * 31 + 7);
    return Array.from({ length: this.o.blocks }, () => r.fill(Buffer.allocUnsafe(this.o.blockBytes)));
  }
}
