/**
 * Walks watched trees and yields the files a directory entry accepts, with their stat: the
 * startup scan (bounded by `scan_existing_files.max_age_days`), the periodic reconciliation
 * rescan, and scans of directories that appear while running. A streaming walk (opendir), so a
 * tree of a million files costs memory for one directory handle per level, not a list.
 * Symbolic links are not followed; unreadable subdirectories are reported and skipped.
 */
import { opendir, lstat } from 'node:fs/promises';
import { join } from 'node:path';
import type { FileFilter } from './file-filter.js';
import type { Candidate } from './stabilize.js';
import type { FileStat } from './stat-probe.js';

export interface ScanHit extends Candidate, FileStat {}

export interface ScanOptions {
  /** Files with mtime older than this (epoch ms) are skipped; null = no limit. */
  readonly notBeforeMs: number | null;
  /** Called for a directory that cannot be read; the walk goes on. */
  readonly onError: (path: string, err: unknown) => void;
  /** Called for an entry whose name is not valid UTF-8 (shown with \xNN escapes); it is skipped. */
  readonly onUnsupportedName?: (escapedPath: string) => void;
}

export async function* scanDirectory(
  filter: FileFilter,
  dirIndex: number,
  root: string,
  options: ScanOptions,
): AsyncGenerator<ScanHit> {
  const stack: string[] = [root];
  while (stack.length > 0) {
    const dirPath = stack.pop() as string;
    if (!filter.descends(dirIndex, dirPath)) continue;
    let dir;
    try {
      // Names as bytes: a name that is not valid UTF-8 (written by a tool with another locale)
      // cannot be opened through a JS string, so it is reported instead of silently dropped.
      // (@types/node omits 'buffer' from opendir's encodings; Node 20 supports it.)
      dir = await opendir(dirPath, { bufferSize: 64, encoding: 'buffer' as BufferEncoding });
    } catch (err) {
      options.onError(dirPath, err);
      continue;
    }
    try {
      for await (const entry of dir) {
        const raw = entry.name as unknown as Buffer;
        const name = raw.toString('utf8');
        if (!Buffer.from(name, 'utf8').equals(raw)) {
          options.onUnsupportedName?.(join(dirPath, escapeBytes(raw)));
          continue;
        }
        const full = join(dirPath, name);
        if (entry.isDirectory()) {
          stack.push(full);
          continue;
        }
        if (!entry.isFile()) continue; // symlinks, FIFOs, sockets, devices
        const located = filter.accepts(dirIndex, full);
        if (!located) continue;
        let st;
        try {
          st = await lstat(full);
        } catch {
          continue; // vanished between readdir and stat
        }
        if (!st.isFile()) continue;
        if (options.notBeforeMs !== null && st.mtimeMs < options.notBeforeMs) continue;
        yield { path: full, ...located, size: st.size, mtimeMs: st.mtimeMs };
      }
    } catch (err) {
      options.onError(dirPath, err);
    }
  }
}

/** A byte name as text, non-printable and non-ASCII bytes as \xNN (for log lines only). */
export function escapeBytes(raw: Buffer): string {
  let out = '';
  for (const b of raw) out += b >= 0x20 && b < 0x7f && b !== 0x5c ? String.fromCharCode(b) : `\\x${b.toString(16).padStart(2, '0')}`;
  return out;
}
