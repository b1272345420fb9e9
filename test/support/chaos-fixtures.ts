/**
 * Seeded test data for the chaos suites: many small log-like files spread over several sources
 * and nested folders, and a few large files that compress to several multipart parts. Every
 * byte comes from a seeded PRNG, so a failing run can be replayed with the same files; the
 * manifest records each file's SHA-256 for the read-back check. Writing files and deciding
 * what "uploaded correctly" means live here; starting servers and daemons does not.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, utimesSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { seededRandom, type SeededRandom } from './seeded-random.js';

export interface FixtureFile {
  readonly path: string;
  readonly sha256: string;
  readonly bytes: number;
}

/** The sources a chaos daemon watches, one directory each under `<root>/logs/`. */
export const CHAOS_SOURCES = ['ros', 'terminal', 'can'] as const;

const LEVELS = ['DEBUG', 'INFO', 'INFO', 'INFO', 'WARN', 'ERROR'] as const;
const COMPONENTS = ['planner', 'perception', 'localization', 'control', 'can_bridge', 'lidar_driver', 'rosout'] as const;
const WORDS = ['obstacle', 'lane', 'speed', 'yaw', 'frame', 'dropped', 'latency', 'checksum', 'route', 'brake'] as const;

export const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

/** `lines` seeded log lines, as an autonomous-vehicle stack would write them. */
export function logText(rng: SeededRandom, lines: number): string {
  const out: string[] = [];
  for (let i = 0; i < lines; i++) {
    const s = String(rng.int(60)).padStart(2, '0');
    const ms = String(rng.int(1000)).padStart(3, '0');
    out.push(
      `2026-11-30 12:${String(rng.int(60)).padStart(2, '0')}:${s}.${ms} [${rng.pick(LEVELS)}] [${rng.pick(COMPONENTS)}] ` +
        `${rng.pick(WORDS)} ${rng.pick(WORDS)} seq=${rng.int(1_000_000)} v=${(rng.next() * 100).toFixed(3)}`,
    );
  }
  return out.join('\n') + '\n';
}

function write(path: string, body: Buffer, mtimeSec?: number): FixtureFile {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, body);
  if (mtimeSec !== undefined) utimesSync(path, mtimeSec, mtimeSec);
  return { path, sha256: sha256(body), bytes: body.length };
}

export interface SmallLogOptions {
  /** `<root>/logs/<source>/…` is where files go. */
  readonly root: string;
  readonly count: number;
  /** Distinguishes batches (names never collide between batches). */
  readonly batch: string;
  /** Set every file's mtime (seconds) so a start-up scan sees it as already quiet. */
  readonly mtimeSec?: number;
}

/**
 * `count` files of 1–8 KB, round-robin over the sources, up to three folders deep. All names
 * end in `.log` so every source's pattern takes them.
 */
export function writeSmallLogs(rng: SeededRandom, o: SmallLogOptions): FixtureFile[] {
  const files: FixtureFile[] = [];
  for (let i = 0; i < o.count; i++) {
    const source = CHAOS_SOURCES[i % CHAOS_SOURCES.length]!;
    const depth = rng.int(4);
    const folders = Array.from({ length: depth }, (_, d) => `${['run', 'node', 'part'][d]}-${rng.int(5)}`);
    const body = Buffer.from(logText(rng, 10 + rng.int(70)));
    files.push(write(join(o.root, 'logs', source, ...folders, `${o.batch}-${String(i).padStart(4, '0')}.log`), body, o.mtimeSec));
  }
  return files;
}

/**
 * A file that compresses to roughly `randomMiB` MiB: log text first (the codec decision samples
 * the start of the file, so it picks gzip), then seeded random bytes, then more log text.
 */
export function writeMultipartFile(seed: number, path: string, randomMiB: number, mtimeSec?: number): FixtureFile {
  const rng = seededRandom(seed);
  const random = rng.fill(Buffer.allocUnsafe(Math.round(randomMiB * 1024 * 1024)));
  const body = Buffer.concat([Buffer.from(logText(rng, 20_000)), random, Buffer.from(logText(rng, 5_000))]);
  return write(path, body, mtimeSec);
}
