/**
 * Writes a suite's data set to a staging directory: mostly log text (perf/data/log-text.ts), plus
 * a share of binary files (seeded random bytes: the daemon's trial compression finds them
 * incompressible and stores them) and of already-compressed files (real gzip streams named
 * `.log.gz`: skipped by extension). Files are spread over several sources and session
 * subdirectories, the way a vehicle's log trees look.
 *
 *   <root>/<source>/session-<k>/<name>
 *
 * The large file is written in 1 MiB blocks, never held in memory. Same seed, same bytes.
 */
import { mkdir, open, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { seededRandom } from '../../test/support/seeded-random.js';
import { LogText, type LogStyle } from './log-text.js';

export type FileKind = 'text' | 'random' | 'gzip';

export interface DataFile {
  /** Path relative to the data set root: `<source>/…`. */
  readonly rel: string;
  readonly source: string;
  readonly kind: FileKind;
  readonly bytes: number;
}

export interface Dataset {
  readonly root: string;
  readonly sources: readonly string[];
  readonly files: readonly DataFile[];
  readonly bytes: number;
}

export interface FileSetSpec {
  readonly files: number;
  readonly fileBytes: number;
  /** Fraction of files that are seeded random bytes. */
  readonly randomShare: number;
  /** Fraction of files that are gzip streams of log text. */
  readonly gzipShare: number;
  readonly seed: number;
  /** Files per session subdirectory. */
  readonly perDir?: number;
}

export const SOURCES: readonly (readonly [string, LogStyle])[] = [
  ['ros', 'ros2'],
  ['terminal', 'terminal'],
  ['syslog', 'syslog'],
  ['autoware', 'ros2'],
];

/** Log lines start a day before "now" so every file looks like recent driving. */
export const START_MS = Date.UTC(2026, 10, 29, 6, 0, 0);
const MIB = 1024 * 1024;
/** gzip level 1 compresses this text about 4.8×: that much text makes a .gz of about the target size. */
const GZIP1_RATIO = 4.8;

/** A file's name by source and kind, the way each log tree names its files. */
export function fileName(source: string, kind: FileKind, i: number): string {
  const n = String(i).padStart(5, '0');
  if (kind === 'random') return `sensor_dump_${n}.dat`;
  if (kind === 'gzip') return `archived_${n}.log.gz`;
  if (source === 'syslog') return `syslog.${n}`;
  if (source === 'terminal') return `terminal_${n}.log`;
  return `node_${1000 + (i % 97)}_${n}.log`;
}

export function datasetTotals(files: readonly DataFile[]): Record<FileKind, { files: number; bytes: number }> {
  const out = { text: { files: 0, bytes: 0 }, random: { files: 0, bytes: 0 }, gzip: { files: 0, bytes: 0 } };
  for (const f of files) {
    out[f.kind].files++;
    out[f.kind].bytes += f.bytes;
  }
  return out;
}

/** Generates `spec.files` files of about `spec.fileBytes` each (text and random exactly). */
export async function generateFileSet(root: string, spec: FileSetSpec): Promise<Dataset> {
  const r = seededRandom(spec.seed);
  const perDir = spec.perDir ?? 50;
  const files: DataFile[] = [];
  const made = new Set<string>();
  for (let i = 0; i < spec.files; i++) {
    const [source, style] = SOURCES[i % SOURCES.length]!;
    const x = r.next();
    const kind: FileKind = x < spec.randomShare ? 'random' : x < spec.randomShare + spec.gzipShare ? 'gzip' : 'text';
    const rel = join(source, `session-${String(Math.floor(i / (perDir * SOURCES.length))).padStart(3, '0')}`, fileName(source, kind, i));
    const dir = dirname(join(root, rel));
    if (!made.has(dir)) {
      await mkdir(dir, { recursive: true });
      made.add(dir);
    }
    const text = new LogText({ seed: spec.seed * 100_003 + i, style, startMs: START_MS + i * 60_000 });
    let data: Buffer;
    if (kind === 'random') data = seededRandom(spec.seed + i).fill(Buffer.allocUnsafe(spec.fileBytes));
    else if (kind === 'gzip') data = gzipSync(text.next(Math.round(spec.fileBytes * GZIP1_RATIO)), { level: 1 });
    else data = text.exactly(spec.fileBytes);
    await writeFile(join(root, rel), data);
    files.push({ rel, source, kind, bytes: data.length });
  }
  return { root, sources: SOURCES.map(([s]) => s), files, bytes: files.reduce((a, f) => a + f.bytes, 0) };
}

export interface LargeFileSpec {
  readonly bytes: number;
  /** Fraction of 1 MiB blocks that are random (incompressible); the first block is always text. */
  readonly randomShare: number;
  readonly seed: number;
}

/** One large log file, streamed to disk block by block: constant memory whatever its size. */
export async function generateLargeFile(root: string, spec: LargeFileSpec): Promise<Dataset> {
  const rel = join('ros', 'session-000', 'rosout_full.log');
  const path = join(root, rel);
  await mkdir(dirname(path), { recursive: true });
  const r = seededRandom(spec.seed);
  const text = new LogText({ seed: spec.seed, style: 'ros2', startMs: START_MS });
  const random = seededRandom(spec.seed + 1);
  const block = Buffer.allocUnsafe(MIB);
  const fh = await open(path, 'w');
  try {
    let written = 0;
    let index = 0;
    while (written < spec.bytes) {
      const n = Math.min(MIB, spec.bytes - written);
      const chunk = index > 0 && r.next() < spec.randomShare ? random.fill(block.subarray(0, n)) : text.exactly(n);
      await fh.write(chunk, 0, n);
      written += n;
      index++;
    }
  } finally {
    await fh.close();
  }
  return { root, sources: ['ros'], files: [{ rel, source: 'ros', kind: 'text', bytes: spec.bytes }], bytes: spec.bytes };
}
