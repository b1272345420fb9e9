/**
 * Ways a state directory gets damaged on a vehicle (power cut mid-write, a bad SD card, an
 * operator's mistake), each applied to a database file that tvm-upload wrote and closed, plus the
 * Python reference's queue/registry documents to damage. Garbage comes from a seeded generator so
 * a failure replays byte for byte.
 */
import { closeSync, mkdirSync, openSync, rmSync, statSync, truncateSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { seededRandom } from './seeded-random.js';

export type DbDamage = (dbPath: string) => void;

const garbage = (n: number, seed: number): Buffer => seededRandom(seed).fill(Buffer.alloc(n));

export const DB_DAMAGE: Readonly<Record<string, DbDamage>> = {
  'garbage bytes instead of a database': (db) => writeFileSync(db, garbage(64 * 1024, 1)),
  'every page after a valid header overwritten': (db) => {
    const size = statSync(db).size;
    if (size <= 4096) throw new Error(`${db} has no page after the first (${size} bytes): nothing to damage`);
    const fd = openSync(db, 'r+');
    try {
      // Page 1 (header and schema) stays valid, so SQLite opens the file and only finds the
      // damage when it reads the tables.
      writeSync(fd, garbage(size - 4096, 2), 0, size - 4096, 4096);
    } finally {
      closeSync(fd);
    }
  },
  'truncated to half': (db) => truncateSync(db, Math.floor(statSync(db).size / 2)),
  'truncated to zero bytes': (db) => truncateSync(db, 0),
};

/** A directory where the database file should be (with an entry, so it is not trivially removable). */
export function replaceWithDirectory(db: string): void {
  rmSync(db, { force: true });
  mkdirSync(db);
  writeFileSync(join(db, 'README'), 'not a database\n');
}

export interface QueueEntry {
  filepath: string;
  size: number;
  detected_at?: string;
  attempts?: number;
}

/** queue.json as the reference writes it: a pretty-printed array. */
export function queueJson(entries: readonly unknown[]): string {
  return JSON.stringify(entries, null, 2);
}

/** processed_files.json as the reference writes it: `_metadata` plus the identity-keyed map. */
export function registryJson(files: ReadonlyArray<{ path: string; size: number; mtimeMs: number }>, nowSec: number): string {
  const map: Record<string, unknown> = {};
  for (const f of files) {
    const mtime = f.mtimeMs / 1000;
    map[`${f.path}::${f.size}::${mtime}`] = { processed_at: nowSec - 60, size: f.size, mtime, filepath: f.path, filename: f.path.split('/').pop() };
  }
  return JSON.stringify({ _metadata: { last_updated: '2026-11-29T10:00:00.000000', total_entries: files.length, retention_days: 30 }, files: map }, null, 2);
}

/** The first half of `text`: what a power cut during a non-fsynced rewrite leaves. */
export const truncatedText = (text: string): string => text.slice(0, Math.floor(text.length / 2));
