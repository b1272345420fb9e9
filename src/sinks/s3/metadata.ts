/**
 * What each object says about itself: x-amz-meta-* fields (source hash, size, mtime, original
 * path, codec, vehicle, daemon version, why it was stored uncompressed) and its Content-Type.
 * Also parses the fields back, so a HEAD can tell "this object already holds these source
 * bytes" (dedupe after a crash or a rebuilt state database).
 *
 * Metadata travels as HTTP headers, so values must be printable ASCII: the path and vehicle id
 * are percent-encoded (encodeURIComponent) and decoded on parse. S3 caps user metadata at
 * 2 KiB; an original path too long for that is omitted (the key still carries relPath).
 * No Content-Encoding is set: a .gz object is stored as a gzip file, not transparently decoded.
 */
import type { Codec } from '../../config/types.js';
import type { CompressResult } from '../../workers/protocol.js';
import { VERSION } from '../../version.js';

export const MAX_USER_METADATA_BYTES = 2048;

export const META = {
  sourceSha256: 'source-sha256',
  sourceSize: 'source-size',
  sourceMtime: 'source-mtime',
  originalPath: 'original-path',
  originalPathOmitted: 'original-path-omitted',
  codec: 'codec',
  vehicleId: 'vehicle-id',
  version: 'tvm-upload-version',
  storedReason: 'stored-reason',
} as const;

export interface MetadataInput {
  readonly result: Pick<CompressResult, 'sourceSha256' | 'sourceSize' | 'sourceMtimeMs' | 'codec' | 'storedReason'>;
  /** Absolute path of the source file as discovered. */
  readonly path: string;
  readonly vehicleId: string;
}

const PRINTABLE = /^[\x20-\x7e]*$/;

function ascii(v: string): string {
  return PRINTABLE.test(v) ? v : v.replace(/[^\x20-\x7e]/g, '?');
}

export function metadataBytes(m: Record<string, string>): number {
  let n = 0;
  for (const [k, v] of Object.entries(m)) n += Buffer.byteLength(`x-amz-meta-${k}`) + Buffer.byteLength(v);
  return n;
}

/** The user metadata for one object (keys without the x-amz-meta- prefix; the SDK adds it). */
export function buildObjectMetadata(input: MetadataInput): Record<string, string> {
  const { result } = input;
  const m: Record<string, string> = {
    [META.sourceSha256]: result.sourceSha256,
    [META.sourceSize]: String(result.sourceSize),
    [META.sourceMtime]: new Date(result.sourceMtimeMs).toISOString(),
    [META.codec]: result.codec,
    [META.vehicleId]: encodeURIComponent(input.vehicleId),
    [META.version]: ascii(VERSION),
  };
  if (result.codec === 'none' && result.storedReason !== null) m[META.storedReason] = ascii(result.storedReason);
  const path = encodeURIComponent(input.path);
  if (metadataBytes(m) + Buffer.byteLength(`x-amz-meta-${META.originalPath}`) + path.length <= MAX_USER_METADATA_BYTES) {
    m[META.originalPath] = path;
  } else {
    m[META.originalPathOmitted] = 'too-long';
  }
  return m;
}

/** Content-Type from the object key's extension. */
export function contentTypeFor(key: string): string {
  const base = key.slice(key.lastIndexOf('/') + 1).toLowerCase();
  if (base.endsWith('.gz')) return 'application/gzip';
  if (base.endsWith('.zst')) return 'application/zstd';
  if (base.endsWith('.log') || base.endsWith('.txt')) return 'text/plain; charset=utf-8';
  return 'application/octet-stream';
}

export interface ParsedMetadata {
  readonly sourceSha256?: string;
  readonly sourceSize?: number;
  readonly sourceMtimeMs?: number;
  readonly originalPath?: string;
  readonly codec?: Codec;
  readonly vehicleId?: string;
  readonly version?: string;
  readonly storedReason?: string;
}

function decode(v: string | undefined): string | undefined {
  if (v === undefined) return undefined;
  try {
    return decodeURIComponent(v);
  } catch {
    return v;
  }
}

/** Reads our fields back from HeadObject's `Metadata` (keys arrive lower-cased). */
export function parseObjectMetadata(meta: Record<string, string> | undefined): ParsedMetadata {
  if (meta === undefined) return {};
  const lower: Record<string, string> = {};
  for (const [k, v] of Object.entries(meta)) lower[k.toLowerCase()] = v;
  const num = (v: string | undefined): number | undefined => {
    if (v === undefined || v.trim() === '') return undefined;
    const n = Number(v);
    return Number.isFinite(n) ? n : undefined;
  };
  const mtimeText = lower[META.sourceMtime];
  const mtime = mtimeText === undefined ? undefined : Date.parse(mtimeText);
  const codec = lower[META.codec];
  const out: Record<string, unknown> = {
    sourceSha256: lower[META.sourceSha256]?.toLowerCase(),
    sourceSize: num(lower[META.sourceSize]),
    sourceMtimeMs: mtime !== undefined && Number.isFinite(mtime) ? mtime : undefined,
    originalPath: decode(lower[META.originalPath]),
    codec: codec === 'gzip' || codec === 'zstd' || codec === 'none' ? codec : undefined,
    vehicleId: decode(lower[META.vehicleId]),
    version: lower[META.version],
    storedReason: lower[META.storedReason],
  };
  for (const k of Object.keys(out)) if (out[k] === undefined) delete out[k];
  return out as ParsedMetadata;
}

/** True when the remote object's metadata says it holds exactly these source bytes. */
export function holdsSameSource(meta: Record<string, string> | undefined, sourceSha256: string): boolean {
  const parsed = parseObjectMetadata(meta);
  return parsed.sourceSha256 !== undefined && parsed.sourceSha256 === sourceSha256.toLowerCase();
}
