/**
 * The `object_keys` table: which object keys this daemon has issued and which source bytes each
 * holds, so that nothing in the bucket is ever replaced by different content. Issuing a key is
 * one transaction and costs a few index look-ups; no request to S3 in the normal case.
 *
 *   issue(base, sha, path)
 *     (path, sha) already has a key ─────────────► that key (stored: nothing to send)
 *     base free ─────────────────────────────────► base, reserved for (path, sha)
 *     base taken by other bytes ─► base~0002, ~0003 … the first free one
 *     our own unconfirmed reservation for the same path with other bytes
 *                                ─► reused, but `unconfirmed`: the caller checks S3 first
 *                                   (a crash may have stored the old bytes without recording it)
 *     `grows`: the path's last stored key (same date folder) holds a prefix of these bytes
 *                                ─► that key, `replaces` its old bytes: a log that grew keeps one
 *                                   object, since the new one holds everything the old one did
 *
 * It does not talk to S3 or decide retention: markTaken records what the uploader found
 * (a conditional write refused, a HEAD showing other bytes), and callers pass times in.
 */
import type Database from 'better-sqlite3';
import { ErrorCodes, TvmError } from '../errors.js';
import { isVersionOf, versionedKey } from './key-version.js';
import { deleteInBatches, PRUNE_BATCH } from './file-sql.js';
import { guarded } from './sqlite-errors.js';

/** Versions tried for one base key before giving up (a bug or a hostile bucket, not real use). */
export const MAX_KEY_VERSIONS = 100_000;

export interface IssueInput {
  /** The reference-layout key (version 1). */
  readonly base: string;
  /** Hex sha256 of the source bytes. */
  readonly sourceSha256: string;
  readonly path: string;
  readonly now: number;
  /** A key (from lastStored) whose stored bytes are a prefix of these: the file only grew. */
  readonly grows?: string | undefined;
}

export interface StoredKey {
  readonly key: string;
  readonly sourceSha256: string;
  readonly sourceSize: number;
}

export interface IssuedKey {
  readonly key: string;
  /** The object is already in the bucket with these source bytes: send nothing. */
  readonly stored: boolean;
  /** Reclaimed from an earlier, unconfirmed reservation: check the bucket before writing. */
  readonly unconfirmed: boolean;
  /** Set when the key holds an earlier, shorter content of this file (its source sha256), to be replaced. */
  readonly replaces?: string;
}

interface KeyRow {
  readonly key: string;
  readonly sha: string;
  readonly path: string;
  readonly stored: number;
}

const COLS = 'key, source_sha256 AS sha, path, stored';

export class KeyRepo {
  private readonly s;
  private readonly issueTx: (i: IssueInput) => IssuedKey;

  constructor(
    private readonly db: Database.Database,
    private readonly dbPath: string,
  ) {
    const p = <R = unknown>(sql: string) => db.prepare<unknown[], R>(sql);
    this.s = {
      bySource: p<KeyRow>(`SELECT ${COLS} FROM object_keys INDEXED BY object_keys_source
        WHERE path = ? AND source_sha256 = ? ORDER BY stored DESC LIMIT 1`),
      byKey: p<KeyRow>(`SELECT ${COLS} FROM object_keys WHERE key = ?`),
      lastStored: p<StoredKey>(`SELECT key, source_sha256 AS sourceSha256, source_size AS sourceSize
        FROM object_keys INDEXED BY object_keys_source WHERE path = ? AND stored = 1 ORDER BY issued_at DESC LIMIT 1`),
      insert: p('INSERT INTO object_keys (key, source_sha256, path, stored, issued_at) VALUES (?, ?, ?, 0, ?)'),
      reclaim: p('UPDATE object_keys SET source_sha256 = ?, issued_at = ? WHERE key = ?'),
      taken: p(`INSERT INTO object_keys (key, source_sha256, path, stored, issued_at) VALUES (?, ?, '', 1, ?)
        ON CONFLICT (key) DO UPDATE SET source_sha256 = excluded.source_sha256, path = '', stored = 1`),
      prune: p(`DELETE FROM object_keys WHERE key IN (SELECT key FROM object_keys INDEXED BY object_keys_issued_at
        WHERE issued_at < ? LIMIT ${PRUNE_BATCH})`),
    };
    this.issueTx = db.transaction((i: IssueInput) => this.doIssue(i));
  }

  /** The key to write these source bytes under; see the diagram above. */
  issue(input: IssueInput): IssuedKey {
    return this.guard(() => this.issueTx(input));
  }

  /** The key most recently written for `path`, to ask whether the file only grew since. */
  lastStored(path: string): StoredKey | null {
    return this.guard(() => this.s.lastStored.get(path) ?? null);
  }

  /**
   * The key holds bytes we did not put there (a conditional write was refused, or a HEAD showed
   * another source): never issue it again. `sourceSha256` is '' when unknown.
   */
  markTaken(key: string, sourceSha256: string, now: number): void {
    this.guard(() => this.s.taken.run(key, sourceSha256, now));
  }

  /** Retention: forgets keys issued before cutoffMs, in batches. Returns the count. */
  prune(cutoffMs: number): number {
    return this.guard(() => deleteInBatches(() => this.s.prune.run(cutoffMs).changes));
  }

  private doIssue(i: IssueInput): IssuedKey {
    const same = this.s.bySource.get(i.path, i.sourceSha256);
    if (same !== undefined) return { key: same.key, stored: same.stored === 1, unconfirmed: false };
    if (i.grows !== undefined && isVersionOf(i.grows, i.base)) {
      const prior = this.s.byKey.get(i.grows);
      if (prior !== undefined && prior.stored === 1 && prior.path === i.path && prior.sha !== '') {
        return { key: prior.key, stored: false, unconfirmed: false, replaces: prior.sha };
      }
    }
    for (let n = 1; n <= MAX_KEY_VERSIONS; n++) {
      const key = versionedKey(i.base, n);
      const row = this.s.byKey.get(key);
      if (row === undefined) {
        this.s.insert.run(key, i.sourceSha256, i.path, i.now);
        return { key, stored: false, unconfirmed: false };
      }
      if (row.stored === 0 && row.path === i.path) {
        this.s.reclaim.run(i.sourceSha256, i.now, key);
        return { key, stored: false, unconfirmed: true };
      }
    }
    throw new TvmError(ErrorCodes.INTERNAL, `no free version of object key ${i.base} after ${MAX_KEY_VERSIONS} tries`, {
      retriability: 'permanent',
      details: { key: i.base, path: i.path },
    });
  }

  private guard<T>(fn: () => T): T {
    return guarded(this.db, this.dbPath, fn);
  }
}
