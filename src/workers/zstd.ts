/**
 * Where zstd comes from: node:zlib on runtimes that have it (Node ≥ 22.15 and 23.8), otherwise
 * the optional native dependency zstd-napi, imported lazily (only when a request asks for zstd)
 * through an injectable loader, so a machine with neither fails those requests with
 * CODEC_UNAVAILABLE instead of failing to start. Both backends write the same frame: one zstd
 * frame with the content checksum on (so `zstd -t` and any reader detect corruption of the stored
 * object) and no dictionary; for the same library version the bytes are identical, so switching
 * runtime does not change what a vehicle uploads. This file does not pick a codec (codecs.ts).
 */
import * as zlib from 'node:zlib';
import type { Transform } from 'node:stream';
import { ErrorCodes, systemCode } from '../errors.js';
import { CompressFailure } from './failure.js';

/** One way of making zstd frames at a level. */
export interface ZstdBackend {
  readonly name: 'node:zlib' | 'zstd-napi';
  createStream(level: number): Transform;
  compress(sample: Uint8Array, level: number): Buffer;
}

/** The part of node:zlib's zstd API we use (absent from @types/node 20, and from Node < 22.15). */
interface ZlibZstd {
  createZstdCompress(options: { params: Record<number, number>; chunkSize?: number }): Transform;
  zstdCompressSync(data: Uint8Array, options: { params: Record<number, number> }): Buffer;
  constants: { ZSTD_c_compressionLevel: number; ZSTD_c_checksumFlag: number };
}

type ZstdModule = typeof import('zstd-napi');
type NapiApi = Pick<ZstdModule, 'CompressStream' | 'compress'>;

/** Imports zstd-napi; tests inject one that fails to exercise the missing-dependency path. */
export type ZstdLoader = () => Promise<unknown>;

export interface ZstdSource {
  /** node:zlib's zstd, or null on a runtime without it. */
  readonly builtin: ZstdBackend | null;
  /** The fallback, used only when `builtin` is null. */
  readonly load: ZstdLoader;
}

/** Same reason as gzip's chunk size in codecs.ts: fewer thread-pool round trips per file. */
const CHUNK_BYTES = 64 * 1024;

/** node:zlib's zstd when `zlibModule` has it; null otherwise. */
export function zlibZstdBackend(zlibModule: unknown = zlib): ZstdBackend | null {
  const z = zlibModule as Partial<ZlibZstd>;
  if (typeof z.createZstdCompress !== 'function' || typeof z.zstdCompressSync !== 'function' || z.constants === undefined) return null;
  const api = z as ZlibZstd;
  const params = (level: number): Record<number, number> => ({
    [api.constants.ZSTD_c_compressionLevel]: level,
    [api.constants.ZSTD_c_checksumFlag]: 1,
  });
  return {
    name: 'node:zlib',
    createStream: (level) => api.createZstdCompress({ params: params(level), chunkSize: CHUNK_BYTES }),
    compress: (sample, level) => api.zstdCompressSync(sample, { params: params(level) }),
  };
}

export const defaultZstdLoader: ZstdLoader = () => import('zstd-napi');

export const defaultZstdSource: ZstdSource = { builtin: zlibZstdBackend(), load: defaultZstdLoader };

/** Accepts both shapes of a CommonJS module seen through import(): named exports or `default`. */
function napiApiOf(mod: unknown): NapiApi | null {
  for (const candidate of [mod, (mod as { default?: unknown } | null)?.default]) {
    const api = candidate as Partial<NapiApi> | null | undefined;
    if (typeof api?.CompressStream === 'function' && typeof api.compress === 'function') {
      return api as NapiApi;
    }
  }
  return null;
}

function napiBackend(api: NapiApi): ZstdBackend {
  const params = (level: number) => ({ compressionLevel: level, checksumFlag: true });
  return {
    name: 'zstd-napi',
    createStream: (level) => new api.CompressStream(params(level)),
    compress: (sample, level) => api.compress(sample, params(level)),
  };
}

const NEEDS = `codec zstd needs Node ≥ 22.15 (built-in zstd) or the optional dependency zstd-napi`;

async function importNapi(loader: ZstdLoader): Promise<ZstdBackend> {
  let mod: unknown;
  try {
    mod = await loader();
  } catch (err) {
    const sys = systemCode(err);
    const missing = sys === 'ERR_MODULE_NOT_FOUND' || sys === 'MODULE_NOT_FOUND';
    const message = missing
      ? `${NEEDS}, which is not installed (running Node ${process.versions.node})`
      : `${NEEDS}, which failed to load: ${String((err as Error)?.message ?? err)}`;
    throw new CompressFailure(ErrorCodes.CODEC_UNAVAILABLE, message, null, err);
  }
  const api = napiApiOf(mod);
  if (!api) {
    throw new CompressFailure(ErrorCodes.CODEC_UNAVAILABLE, 'codec zstd: zstd-napi loaded but does not export CompressStream/compress');
  }
  return napiBackend(api);
}

// One import per loader per worker thread; a failed import is retried on the next request (the
// operator may have installed the dependency meanwhile).
const napiCache = new WeakMap<ZstdLoader, Promise<ZstdBackend>>();

/** The backend to use: node:zlib when present, else zstd-napi (imported once per loader). */
export function zstdBackend(source: ZstdSource): Promise<ZstdBackend> {
  if (source.builtin !== null) return Promise.resolve(source.builtin);
  let pending = napiCache.get(source.load);
  if (pending === undefined) {
    pending = importNapi(source.load);
    napiCache.set(source.load, pending);
    pending.catch(() => napiCache.delete(source.load));
  }
  return pending;
}
