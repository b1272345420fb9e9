/**
 * The soak suite's files: which file number `i` is (source, kind, size, name) and its bytes,
 * composed from a LogBlockPool. Everything is a pure function of (seed, i), so a run can be
 * reproduced file by file and nothing about the stream has to be kept in memory.
 *
 *   file i = header line naming i ─► pool blocks in an order shuffled by (seed, i) ─► cut to size
 *
 * The header makes every file's bytes (and so its SHA-256 receipt) unique: the daemon must
 * upload each one, never find it already in S3. Sizes are log-uniform between the bounds, the
 * way a vehicle's log trees mix short node logs with long recordings; a share of files is
 * binary (random bytes: the daemon's trial compression stores them as they are).
 */
import { createHash } from 'node:crypto';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { seededRandom } from '../../test/support/seeded-random.js';
import { fileName, SOURCES } from './file-set.js';
import type { BlockKind, LogBlockPool } from './log-blocks.js';

export interface SoakPlan {
  readonly seed: number;
  readonly minBytes: number;
  readonly maxBytes: number;
  /** Fraction of files that are random bytes. */
  readonly binaryShare: number;
  /** Files per session folder and source. */
  readonly perDir: number;
}

export interface SoakFile {
  readonly index: number;
  readonly source: string;
  readonly kind: BlockKind;
  /** `<source>/session-<k>/<name>`, relative to the watched root. */
  readonly rel: string;
  readonly bytes: number;
}

const fileRandom = (plan: SoakPlan, index: number, salt: number): ReturnType<typeof seededRandom> => seededRandom(plan.seed * 1_000_003 + index * 7 + salt);

/** What file number `index` of the plan is. */
export function soakFile(plan: SoakPlan, index: number): SoakFile {
  const r = fileRandom(plan, index, 0);
  const [source, style] = SOURCES[index % SOURCES.length]!;
  const binary = r.next() < plan.binaryShare;
  const bytes = Math.round(plan.minBytes * (plan.maxBytes / plan.minBytes) ** r.next());
  const session = `session-${String(Math.floor(index / (plan.perDir * SOURCES.length))).padStart(3, '0')}`;
  return { index, source, kind: binary ? 'binary' : style, rel: join(source, session, fileName(source, binary ? 'random' : 'text', index)), bytes };
}

function headerLine(plan: SoakPlan, f: SoakFile): Buffer {
  return Buffer.from(`# tvm-upload soak file ${f.index} (seed ${plan.seed}, ${f.kind}, ${f.bytes} bytes)\n`, 'latin1');
}

/** Block indices in an order shuffled by the file's seed, reshuffled each time the pool is used up. */
function* blockOrder(plan: SoakPlan, index: number, n: number): Generator<number> {
  const r = fileRandom(plan, index, 1);
  const order = Array.from({ length: n }, (_, i) => i);
  for (;;) {
    for (let i = n - 1; i > 0; i--) {
      const j = r.int(i + 1);
      [order[i], order[j]] = [order[j]!, order[i]!];
    }
    yield* order;
  }
}

/** The file's bytes as a sequence of slices (views into the pool: nothing is copied). */
export function* composeFile(pool: LogBlockPool, plan: SoakPlan, f: SoakFile): Generator<Buffer> {
  const header = headerLine(plan, f);
  let left = f.bytes;
  const first = header.subarray(0, left);
  left -= first.length;
  yield first;
  const blocks = pool.blocks(f.kind);
  for (const i of blockOrder(plan, f.index, blocks.length)) {
    if (left <= 0) return;
    const b = blocks[i]!.subarray(0, left);
    left -= b.length;
    yield b;
  }
}

/** Writes the file at `path`; returns its SHA-256 (hex) when `hash` is set, else null. */
export async function writeSoakFile(path: string, pool: LogBlockPool, plan: SoakPlan, f: SoakFile, hash: boolean): Promise<string | null> {
  const h = hash ? createHash('sha256') : null;
  const fh = await open(path, 'w');
  try {
    for (const chunk of composeFile(pool, plan, f)) {
      h?.update(chunk);
      await fh.write(chunk, 0, chunk.length);
    }
  } finally {
    await fh.close();
  }
  return h === null ? null : h.digest('hex');
}
