/**
 * The files a crash test produces, and what each must look like in the bucket at the end. All
 * content comes from one seeded generator, so a failing run is reproduced by its seed. The test
 * keeps every file's expected bytes (hash, and the whole content for files it appends to), so
 * "the object equals the file" and "nothing local changed" are checked against what was written,
 * not only against what is on disk afterwards.
 *
 * mtimes are set explicitly (one fixed day, one second later per write): the object key holds the
 * local date of the mtime, and a run that crosses midnight must not see a file move to a new key.
 */
import { appendFileSync, mkdirSync, utimesSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { localDate } from '../../src/sinks/s3/object-key.js';
import { sha256 } from './crash-objects.js';
import type { SeededRandom } from './seeded-random.js';

export interface WrittenFile {
  /** Absolute path. */
  readonly path: string;
  /** Source name of the watched directory it is in. */
  readonly source: string;
  /** Path below the watched directory. */
  readonly relPath: string;
  sha: string;
  size: number;
  mtimeMs: number;
  /** Kept only for files that grow, to hash the final content. */
  content: Buffer | null;
}

export function logText(rnd: SeededRandom, lines: number): string {
  const out: string[] = [];
  const mods = ['planner', 'perception', 'localization', 'control', 'can_bridge'];
  for (let i = 0; i < lines; i++) {
    const ms = String(rnd.int(1000)).padStart(3, '0');
    out.push(`2026-11-30 12:${String(rnd.int(60)).padStart(2, '0')}:${String(rnd.int(60)).padStart(2, '0')}.${ms} [INFO] [${rnd.pick(mods)}] step ${rnd.int(1e6)} v=${rnd.next().toFixed(6)}`);
  }
  return out.join('\n') + '\n';
}

export class Workload {
  readonly files = new Map<string, WrittenFile>();
  private tick = 0;
  private readonly baseMs: number;

  constructor(
    readonly logsRoot: string,
    private readonly rnd: SeededRandom,
  ) {
    const d = new Date();
    d.setHours(0, 1, 0, 0);
    this.baseMs = d.getTime();
  }

  /** Date folder every key of this run uses. */
  get date(): string {
    return localDate(this.baseMs);
  }

  /** Writes a new file `<source>/<relPath>` (source = first-level directory) with `content`. */
  write(source: string, relPath: string, content: Buffer, keepContent = false): WrittenFile {
    const path = join(this.logsRoot, source, relPath);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, content);
    const f: WrittenFile = { path, source, relPath, sha: sha256(content), size: content.length, mtimeMs: 0, content: keepContent ? content : null };
    this.stamp(f);
    this.files.set(path, f);
    return f;
  }

  /** A small log file of 1–30 KB in one of a few run directories. */
  small(source: string): WrittenFile {
    const n = this.files.size;
    const rel = `run-${this.rnd.int(6)}/node-${n}.log`;
    return this.write(source, rel, Buffer.from(logText(this.rnd, 10 + this.rnd.int(300))));
  }

  /** `headLines` of log text followed by `randomMiB` of seeded random bytes. */
  big(source: string, relPath: string, headLines: number, randomMiB: number): WrittenFile {
    const head = Buffer.from(logText(this.rnd, headLines));
    const body = this.rnd.fill(Buffer.allocUnsafe(Math.round(randomMiB * 1024 * 1024)));
    return this.write(source, relPath, Buffer.concat([head, body]));
  }

  /** Appends log lines to a file written with keepContent. */
  append(path: string, lines: number): void {
    const f = this.files.get(path);
    if (f?.content == null) throw new Error(`not an appendable file: ${path}`);
    const more = Buffer.from(logText(this.rnd, lines));
    appendFileSync(path, more);
    f.content = Buffer.concat([f.content, more]);
    f.sha = sha256(f.content);
    f.size = f.content.length;
    this.stamp(f);
  }

  /** The key a file's object must have, without the codec suffix. */
  keyOf(vehicleId: string, f: WrittenFile): string {
    return `${vehicleId}/${localDate(f.mtimeMs)}/${f.source}/${f.relPath}`;
  }

  private stamp(f: WrittenFile): void {
    f.mtimeMs = this.baseMs + ++this.tick * 1000;
    utimesSync(f.path, f.mtimeMs / 1000, f.mtimeMs / 1000);
  }
}
