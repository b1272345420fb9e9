/**
 * Incident markers: "something happened at T; every log written from T − before to T + after
 * matters". A marker raises every file whose mtime falls in its window, across all directories,
 * to `high`: queued rows at once (raiseWindow), files queued later as intake records them. It is
 * kept in the state store's meta table (time, reason, window), so the `mark` command can add one
 * while the daemon runs, and travels with each raised file as S3 object metadata.
 *
 * Bounded: markers whose window ended more than KEEP_MS ago are dropped, and at most
 * MAX_MARKERS are kept (the newest).
 */
import type Database from 'better-sqlite3';

export const MARKERS_META_KEY = 'incident_markers';
const MAX_MARKERS = 200;
const KEEP_MS = 30 * 24 * 3_600_000;
const MAX_REASON = 200;

export interface Marker {
  /** Epoch ms the marker was set (the incident's time). */
  readonly at: number;
  readonly reason: string;
  /** The mtime window raised to high, inclusive, epoch ms. */
  readonly from: number;
  readonly to: number;
}

export interface MarkerStore {
  get(key: string): string | null;
  set(key: string, value: string): void;
}

export function readMarkers(store: MarkerStore): Marker[] {
  const text = store.get(MARKERS_META_KEY);
  if (text === null) return [];
  try {
    const v = JSON.parse(text) as unknown;
    return Array.isArray(v) ? v.filter(isMarker) : [];
  } catch {
    return []; // a damaged value: no markers rather than a daemon that cannot queue files
  }
}

/** Adds a marker, dropping expired ones and keeping the newest MAX_MARKERS. */
export function addMarker(store: MarkerStore, marker: Marker, now: number): Marker {
  const m = { ...marker, reason: marker.reason.slice(0, MAX_REASON) };
  const kept = [...readMarkers(store).filter((x) => x.to >= now - KEEP_MS), m].slice(-MAX_MARKERS);
  store.set(MARKERS_META_KEY, JSON.stringify(kept));
  return m;
}

/** The newest marker whose window holds `mtimeMs`, or null. */
export function markerFor(markers: readonly Marker[], mtimeMs: number): Marker | null {
  let hit: Marker | null = null;
  for (const m of markers) if (mtimeMs >= m.from && mtimeMs <= m.to && (hit === null || m.at > hit.at)) hit = m;
  return hit;
}

/** Raises every queued row with an mtime in the window to high; returns how many changed. */
export function raiseWindow(db: Database.Database, from: number, to: number): number {
  return db.prepare(`UPDATE files SET priority = 0 WHERE status = 'queued' AND priority > 0 AND mtime_ms BETWEEN ? AND ?`).run(from, to).changes;
}

/** S3 user metadata for a file raised by a marker (ASCII-safe). */
export function markerMetadata(m: Marker): Record<string, string> {
  return { 'incident-marker-at': new Date(m.at).toISOString(), 'incident-marker-reason': encodeURIComponent(m.reason) };
}

const UNIT_MS: Readonly<Record<string, number>> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** "90s", "10m", "2h", "1d" or a bare number of seconds → ms; null if it is none of these. */
export function parseDuration(text: string): number | null {
  const t = text.trim().toLowerCase();
  const last = t.slice(-1);
  const unit = UNIT_MS[last];
  const digits = unit === undefined ? t : t.slice(0, -1);
  if (!/^\d+$/.test(digits)) return null;
  return Number(digits) * (unit ?? 1000);
}

function isMarker(v: unknown): v is Marker {
  if (typeof v !== 'object' || v === null) return false;
  const m = v as Record<string, unknown>;
  return typeof m.at === 'number' && typeof m.reason === 'string' && typeof m.from === 'number' && typeof m.to === 'number';
}
