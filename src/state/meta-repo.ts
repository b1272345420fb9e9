/**
 * A small key/value table for one-off facts about the state itself (legacy import done, a
 * rebuild after corruption still to be reconciled …). Not for per-file data or counters.
 */
import type Database from 'better-sqlite3';
import { guarded } from './sqlite-errors.js';

export class MetaRepo {
  private readonly getStmt: Database.Statement<[string], { value: string }>;
  private readonly setStmt: Database.Statement<[string, string]>;
  private readonly delStmt: Database.Statement<[string]>;

  constructor(
    private readonly db: Database.Database,
    private readonly dbPath: string,
  ) {
    this.getStmt = db.prepare('SELECT value FROM meta WHERE key = ?');
    this.setStmt = db.prepare(
      'INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
    );
    this.delStmt = db.prepare('DELETE FROM meta WHERE key = ?');
  }

  get(key: string): string | null {
    return guarded(this.db, this.dbPath, () => this.getStmt.get(key)?.value ?? null);
  }

  set(key: string, value: string): void {
    guarded(this.db, this.dbPath, () => this.setStmt.run(key, value));
  }

  delete(key: string): void {
    guarded(this.db, this.dbPath, () => this.delStmt.run(key));
  }
}
