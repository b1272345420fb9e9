/**
 * The running daemon's view of the incident markers (priority/markers.ts): answers "is this mtime
 * marked?" for intake and "which marker metadata goes on this object?" for the uploader, and turns a
 * queued marker file (`upload.markers.pattern`) into a new marker. The `mark` command writes markers
 * from another process: they are re-read as soon as SQLite's data_version says another connection
 * committed (a file raised by `mark` and claimed at once must still carry the marker's metadata),
 * and at least once per second.
 */
import { basename } from 'node:path';
import type Database from 'better-sqlite3';
import type { UploadConfig } from '../config/types.js';
import { compileGlob } from '../pipeline/glob.js';
import { MAX_USER_METADATA_BYTES, metadataBytes } from '../sinks/s3/metadata.js';
import { addMarker, markerFor, markerMetadata, raiseWindow, readMarkers, type Marker, type MarkerStore } from './markers.js';

const REREAD_MS = 1000;

export class MarkerBook {
  private cache: readonly Marker[] = [];
  private readAt = -Infinity;
  private readVersion = -1;
  private matcher: { pattern: string; match: (name: string) => boolean } | null = null;
  /** Prepared once: asked for every file queued and every object written (db.pragma() prepares anew each call). */
  private readonly dataVersion: Database.Statement<[], number>;

  constructor(
    private readonly db: Database.Database,
    private readonly store: MarkerStore,
    private readonly now: () => number,
  ) {
    this.dataVersion = this.db.prepare<[], number>('PRAGMA data_version').pluck();
  }

  markers(): readonly Marker[] {
    const t = this.now();
    const version = this.dataVersion.get() as number;
    if (version !== this.readVersion || t - this.readAt >= REREAD_MS || t < this.readAt) {
      this.cache = readMarkers(this.store);
      this.readAt = t;
      this.readVersion = version;
    }
    return this.cache;
  }

  marked(mtimeMs: number): boolean {
    return markerFor(this.markers(), mtimeMs) !== null;
  }

  /** `meta` plus the marker's time and reason when a marker covers the file and they fit S3's 2 KiB. */
  withMarker(meta: Record<string, string>, mtimeMs: number): Record<string, string> {
    const m = markerFor(this.markers(), mtimeMs);
    if (m === null) return meta;
    const out = { ...meta, ...markerMetadata(m) };
    return metadataBytes(out) <= MAX_USER_METADATA_BYTES ? out : meta;
  }

  /**
   * A file was queued: if it is a marker file, set a marker around now and raise the queued
   * files in its window. Returns the marker set, or null.
   */
  onQueued(path: string, markers: UploadConfig['markers']): { marker: Marker; raised: number } | null {
    if (markers === undefined) return null;
    if (this.matcher?.pattern !== markers.pattern) this.matcher = { pattern: markers.pattern, match: compileGlob(markers.pattern) };
    if (!this.matcher.match(basename(path))) return null;
    const at = this.now();
    const result = this.db
      .transaction(() => {
        const marker = addMarker(this.store, { at, reason: `marker file ${path}`, from: at - markers.beforeMs, to: at + markers.afterMs }, at);
        return { marker, raised: raiseWindow(this.db, marker.from, marker.to) };
      })
      .immediate();
    this.readAt = -Infinity;
    return result;
  }
}
