/**
 * First start after replacing the Python daemon: carries its upload queue and processed-files
 * registry over into the state database, once (meta `legacy_import_done`), in one transaction,
 * leaving the original files untouched. It never throws for bad input: unusable files and entries
 * are returned as skips with reasons.
 *
 * - Queue entries whose file still exists are queued with verify_remote (the reference may have
 *   uploaded them without recording it), oldest detected_at first.
 * - Registry entries within retention become uploaded rows (object key unknown); older ones become
 *   tombstones, as if this daemon had pruned them: the file is not sent again while unchanged.
 *   Their mtime (float seconds) is snapped to the file's current Stats.mtimeMs when the file is
 *   unchanged, so identities compare exactly afterwards (see identity.ts).
 * - A path in both: the queue wins only if its size differs from the registry's.
 * - The registry recorded *resolved* paths; a path under a configured directory's real path is
 *   mapped back below the configured path, where the startup scan will find it.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Config } from '../config/types.js';
import { ErrorCodes, systemCode } from '../errors.js';
import type { Logger } from '../telemetry/logger.js';
import type { UploadedImport } from './file-repo.js';
import { sameIdentity } from './identity.js';
import { readLegacyQueue, readLegacyRegistry, type LegacyRegistryEntry, type Skip } from './legacy-read.js';
import { locateFile, relativeInside } from './locate-file.js';
import { guarded } from './sqlite-errors.js';
import type { StateStore } from './store.js';
import type { EnqueueInput } from './types.js';

export const LEGACY_IMPORT_KEY = 'legacy_import_done';

/** File-system access, injectable so unreadable files can be tested as root. */
export interface LegacyFs {
  readFile(file: string): string;
  stat(file: string): { size: number; mtimeMs: number; isFile(): boolean };
  realpath(file: string): string;
}

const nodeFs: LegacyFs = {
  readFile: (f) => fs.readFileSync(f, 'utf8'),
  stat: (f) => fs.statSync(f),
  realpath: (f) => fs.realpathSync(f),
};

export interface LegacyImportOptions {
  readonly queueFile: string;
  readonly registryFile: string;
  readonly logDirectories: Config['logDirectories'];
  /** Epoch ms. */
  readonly now: number;
  readonly logger: Logger;
  readonly retentionDays: number;
  readonly fs?: LegacyFs;
}

export interface LegacyImportResult {
  /** tombstones: registry entries past retention, kept so their files are not sent again. */
  readonly imported: { readonly queued: number; readonly uploaded: number; readonly tombstones: number };
  readonly skipped: ReadonlyArray<Skip>;
  readonly alreadyDone: boolean;
}

const MAX_SKIP_LOG_LINES = 20;

export function importLegacy(store: StateStore, o: LegacyImportOptions): LegacyImportResult {
  if (store.meta.get(LEGACY_IMPORT_KEY) !== null) {
    return { imported: { queued: 0, uploaded: 0, tombstones: 0 }, skipped: [], alreadyDone: true };
  }
  const lfs = o.fs ?? nodeFs;
  const skipped: Skip[] = [];
  const locate = locator(o.logDirectories, lfs);

  const uploaded = new Map<string, UploadedImport>();
  const byAge = newestPerPath(readLegacyRegistry(o.registryFile, lfs.readFile, skipped), o);
  for (const e of byAge.recent) {
    const loc = locate(e.filepath);
    uploaded.set(loc.path, {
      ...loc,
      size: e.size,
      mtimeMs: snappedMtime(e, lfs),
      uploadedAt: Math.round(e.processedAt * 1000),
      objectKey: null,
    });
  }

  const queued: Array<{ input: EnqueueInput; queuedAt: number }> = [];
  const seen = new Set<string>();
  for (const e of readLegacyQueue(o.queueFile, lfs.readFile, skipped)) {
    const loc = locate(e.filepath);
    if (seen.has(loc.path)) {
      skipped.push({ file: e.filepath, reason: 'listed more than once in the queue' });
      continue;
    }
    seen.add(loc.path);
    const st = statOrSkip(e.filepath, lfs, skipped);
    if (st === null) continue;
    const reg = uploaded.get(loc.path);
    if (reg !== undefined && reg.size === e.size) {
      skipped.push({ file: e.filepath, reason: `already uploaded per ${o.registryFile} (same size)` });
      continue;
    }
    uploaded.delete(loc.path);
    const input = { ...loc, size: st.size, mtimeMs: st.mtimeMs, verifyRemote: true };
    queued.push({ input, queuedAt: Math.min(e.detectedAt ?? o.now, o.now) });
  }
  queued.sort((a, b) => a.queuedAt - b.queuedAt);
  const tombstones = byAge.expired
    .map((e) => ({ path: locate(e.filepath).path, size: e.size, mtimeMs: snappedMtime(e, lfs) }))
    .filter((t) => !uploaded.has(t.path));

  const counts = guarded(store.db, store.dbPath, () =>
    store.db.transaction(() => {
      let u = 0;
      let q = 0;
      let t = 0;
      for (const row of uploaded.values()) if (store.files.importUploaded(row)) u++;
      for (const { input, queuedAt } of queued) if (store.files.enqueue(input, queuedAt) === 'queued') q++;
      // After the queue: a path queued again is not shadowed by its old entry.
      for (const tomb of tombstones) if (store.files.importTombstone(tomb, o.now)) t++;
      const record = { at: new Date(o.now).toISOString(), queued: q, uploaded: u, tombstones: t, skipped: skipped.length };
      store.meta.set(LEGACY_IMPORT_KEY, JSON.stringify(record));
      return { queued: q, uploaded: u, tombstones: t };
    }).immediate(),
  );
  report(o, counts, skipped);
  return { imported: counts, skipped, alreadyDone: false };
}

/**
 * Per path the newest entry, split at the retention cutoff: `recent` ones become uploaded rows,
 * `expired` ones (paths with no recent entry) tombstones.
 */
function newestPerPath(
  entries: LegacyRegistryEntry[],
  o: LegacyImportOptions,
): { recent: LegacyRegistryEntry[]; expired: LegacyRegistryEntry[] } {
  const cutoffSec = o.now / 1000 - o.retentionDays * 86_400;
  const newest = new Map<string, LegacyRegistryEntry>();
  for (const e of entries) {
    const prev = newest.get(e.filepath);
    if (prev === undefined || e.processedAt > prev.processedAt) newest.set(e.filepath, e);
  }
  const all = [...newest.values()];
  return { recent: all.filter((e) => e.processedAt > cutoffSec), expired: all.filter((e) => e.processedAt <= cutoffSec) };
}

/** mtime in ms: the file's exact Stats.mtimeMs if it is still the same file, else the recorded value. */
function snappedMtime(e: LegacyRegistryEntry, lfs: LegacyFs): number {
  const recorded = { size: e.size, mtimeMs: e.mtime * 1000 };
  try {
    const st = lfs.stat(e.filepath);
    if (sameIdentity(st, recorded)) return st.mtimeMs;
  } catch {
    // gone or unreadable: keep what the reference recorded
  }
  return recorded.mtimeMs;
}

function statOrSkip(file: string, lfs: LegacyFs, skipped: Skip[]): { size: number; mtimeMs: number } | null {
  try {
    const st = lfs.stat(file);
    if (st.isFile()) return st;
    skipped.push({ file, reason: 'not a regular file' });
  } catch (err) {
    const code = systemCode(err);
    skipped.push({ file, reason: code === 'ENOENT' ? 'no longer exists' : `cannot stat (${code ?? String(err)})` });
  }
  return null;
}

type Located = { path: string; source: string; relPath: string };

/**
 * locateFile, plus: a path outside every configured directory but inside one's real path
 * (symlinked directory) is rewritten to the configured spelling.
 */
function locator(dirs: Config['logDirectories'], lfs: LegacyFs): (file: string) => Located {
  const real = dirs.map((d) => {
    try {
      return lfs.realpath(d.path);
    } catch {
      return null;
    }
  });
  return (file) => {
    const loc = locateFile(file, dirs);
    if (loc.dir !== null) return { path: file, source: loc.source, relPath: loc.relPath };
    for (const [i, d] of dirs.entries()) {
      const r = real[i];
      const rel = r === null || r === undefined || r === d.path ? null : relativeInside(path.posix.normalize(file), r);
      if (rel !== null) return { path: path.posix.join(d.path, rel), source: d.source, relPath: rel };
    }
    return { path: file, source: loc.source, relPath: loc.relPath };
  };
}

function report(o: LegacyImportOptions, counts: LegacyImportResult['imported'], skipped: Skip[]): void {
  o.logger.info(
    { queueFile: o.queueFile, registryFile: o.registryFile, ...counts, skipped: skipped.length },
    `legacy import: ${counts.queued} queued and ${counts.uploaded} uploaded files carried over ` +
      `(and ${counts.tombstones} uploaded before the retention period, not sent again), ` +
      `${skipped.length} skipped; the original files are left in place`,
  );
  // Each skip is a TVM_ERR_LEGACY_IMPORT that never stops start-up: logged with its code, not thrown.
  const code = ErrorCodes.LEGACY_IMPORT;
  for (const s of skipped.slice(0, MAX_SKIP_LOG_LINES)) o.logger.warn({ file: s.file, code }, `legacy import skipped ${s.file}: ${s.reason}`);
  if (skipped.length > MAX_SKIP_LOG_LINES) o.logger.warn({ code }, `legacy import: ${skipped.length - MAX_SKIP_LOG_LINES} more skipped`);
}
