/**
 * Reads the Python reference's persisted files into validated entries, never throwing: every file
 * or entry that cannot be used is reported as a skip with a reason naming it.
 *
 * - queue.json: a JSON array of {filepath, size, detected_at, attempts}; when the primary is
 *   missing, corrupt or of the wrong shape, `<queue_file>.bak` is used (as the reference does).
 * - processed_files.json: {_metadata, files: {"<path>::<size>::<mtime>": {processed_at, size,
 *   mtime, filepath, filename}}} or, in the legacy form, the bare files map.
 */
import path from 'node:path';
import { systemCode } from '../errors.js';

export interface Skip {
  readonly file: string;
  readonly reason: string;
}

export interface LegacyQueueEntry {
  readonly filepath: string;
  /** Size in bytes when the reference queued it. */
  readonly size: number;
  /** detected_at as epoch ms (local time, as written), or null when absent/unparsable. */
  readonly detectedAt: number | null;
}

export interface LegacyRegistryEntry {
  readonly filepath: string;
  readonly size: number;
  /** st_mtime in float seconds, as Python reported it. */
  readonly mtime: number;
  /** Epoch float seconds. */
  readonly processedAt: number;
}

export type ReadText = (file: string) => string;

type Loaded = { ok: true; value: unknown } | { ok: false; missing: boolean; reason: string };

function load(file: string, read: ReadText): Loaded {
  let text: string;
  try {
    text = read(file);
  } catch (err) {
    const code = systemCode(err);
    if (code === 'ENOENT') return { ok: false, missing: true, reason: 'missing' };
    return { ok: false, missing: false, reason: `cannot read (${code ?? (err as Error).message})` };
  }
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch (err) {
    return { ok: false, missing: false, reason: `not valid JSON (${(err as Error).message})` };
  }
}

export function readLegacyQueue(queueFile: string, read: ReadText, skipped: Skip[]): LegacyQueueEntry[] {
  let source = queueFile;
  let loaded = load(queueFile, read);
  if (loaded.ok && !Array.isArray(loaded.value)) {
    loaded = { ok: false, missing: false, reason: `expected a JSON array of queue entries, got ${kind(loaded.value)}` };
  }
  if (!loaded.ok) {
    if (!loaded.missing) skipped.push({ file: queueFile, reason: loaded.reason });
    source = `${queueFile}.bak`;
    loaded = load(source, read);
    if (loaded.ok && !Array.isArray(loaded.value)) {
      loaded = { ok: false, missing: false, reason: `expected a JSON array of queue entries, got ${kind(loaded.value)}` };
    }
    if (!loaded.ok) {
      if (!loaded.missing) skipped.push({ file: source, reason: loaded.reason });
      return [];
    }
  }
  const out: LegacyQueueEntry[] = [];
  const items = loaded.value as unknown[];
  for (const [i, item] of items.entries()) {
    const where = `${source}[${i}]`;
    if (!isPlainObject(item)) {
      skipped.push({ file: where, reason: `expected an object, got ${kind(item)}` });
      continue;
    }
    const { filepath, size, detected_at: detected } = item;
    const bad = checkPath(filepath) ?? checkSize(size);
    if (bad !== null) {
      skipped.push({ file: where, reason: bad });
      continue;
    }
    // Local time without zone, as the reference wrote it; Date.parse reads that form as local too.
    const parsed = typeof detected === 'string' ? Date.parse(detected) : NaN;
    out.push({ filepath: filepath as string, size: size as number, detectedAt: Number.isFinite(parsed) ? parsed : null });
  }
  return out;
}

export function readLegacyRegistry(registryFile: string, read: ReadText, skipped: Skip[]): LegacyRegistryEntry[] {
  const loaded = load(registryFile, read);
  if (!loaded.ok) {
    if (!loaded.missing) skipped.push({ file: registryFile, reason: loaded.reason });
    return [];
  }
  const doc = loaded.value;
  if (!isPlainObject(doc)) {
    skipped.push({ file: registryFile, reason: `expected a JSON object, got ${kind(doc)}` });
    return [];
  }
  // The reference reads `files` when `_metadata` is present, else the whole object as the map.
  const wrapped = '_metadata' in doc || isPlainObject(doc.files);
  const map = wrapped ? doc.files : doc;
  if (!isPlainObject(map)) {
    skipped.push({ file: registryFile, reason: `"files" must be an object, got ${kind(map)}` });
    return [];
  }
  const out: LegacyRegistryEntry[] = [];
  for (const [key, v] of Object.entries(map)) {
    const where = `${registryFile}: entry ${JSON.stringify(key)}`;
    if (!isPlainObject(v)) {
      skipped.push({ file: where, reason: `expected an object, got ${kind(v)}` });
      continue;
    }
    const filepath = typeof v.filepath === 'string' && v.filepath !== '' ? v.filepath : pathFromKey(key);
    const bad =
      checkPath(filepath) ??
      checkSize(v.size) ??
      checkNumber('mtime', v.mtime) ??
      checkNumber('processed_at', v.processed_at);
    if (bad !== null) {
      skipped.push({ file: where, reason: bad });
      continue;
    }
    out.push({
      filepath: filepath as string,
      size: v.size as number,
      mtime: v.mtime as number,
      processedAt: v.processed_at as number,
    });
  }
  return out;
}

/** `<path>::<size>::<mtime>`, where the path itself may contain "::". */
function pathFromKey(key: string): string | null {
  const parts = key.split('::');
  return parts.length >= 3 ? parts.slice(0, -2).join('::') : null;
}

function checkPath(v: unknown): string | null {
  if (typeof v !== 'string' || v === '') return `filepath must be a non-empty string, got ${kind(v)}`;
  if (!path.isAbsolute(v)) return `filepath ${JSON.stringify(v)} is not absolute`;
  return null;
}

function checkSize(v: unknown): string | null {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0
    ? null
    : `size must be a non-negative integer, got ${kind(v)}`;
}

function checkNumber(name: string, v: unknown): string | null {
  return typeof v === 'number' && Number.isFinite(v) && v >= 0 ? null : `${name} must be a non-negative number, got ${kind(v)}`;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function kind(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'object') return 'an object';
  const text = JSON.stringify(v);
  return `${typeof v} ${text.length > 60 ? `${text.slice(0, 60)}…` : text}`;
}
