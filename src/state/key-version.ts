/**
 * Versions of an object key, pure: version 1 is the key itself, later ones carry `~NNNN` before
 * the file name's last extension. The key repository (key-repo.ts) issues versions when a key is
 * taken by other bytes; sinks/s3/object-key.ts re-exports these with the rest of the key layout.
 * Lives in state/ so that state imports no sink.
 */
import { ErrorCodes, TvmError } from '../errors.js';

/** Digits of a version number: `~0002` … `~9999` sort lexicographically in version order. */
export const VERSION_DIGITS = 4;

/**
 * Version `n` of a key (n ≥ 1; 1 is the key itself). Later versions insert `~NNNN` before the
 * last extension of the file name (`app.log.gz` → `app.log~0002.gz`, `syslog.1` → `syslog~0002.1`),
 * or append it when the name has none (`data` → `data~0002`), so the codec suffix and the
 * content type survive and a plain listing sorts the base first, then versions in order.
 */
export function versionedKey(key: string, n: number): string {
  if (!Number.isInteger(n) || n < 1) {
    throw new TvmError(ErrorCodes.INTERNAL, `invalid object key version ${n}`, { retriability: 'permanent' });
  }
  if (n === 1) return key;
  const at = versionAt(key);
  return `${key.slice(0, at)}~${String(n).padStart(VERSION_DIGITS, '0')}${key.slice(at)}`;
}

/** Where a version tag goes: before the last extension of the file name, else at the end. */
function versionAt(key: string): number {
  const slash = key.lastIndexOf('/');
  const dot = key.lastIndexOf('.');
  // A leading dot (".bashrc") is part of the name, not an extension.
  return dot > slash + 1 ? dot : key.length;
}

const VERSION_TAG = new RegExp(`^~\\d{${VERSION_DIGITS},}$`);

/** True when `key` is `base` itself or one of its versions (versionedKey(base, n)). */
export function isVersionOf(key: string, base: string): boolean {
  if (key === base) return true;
  const at = versionAt(base);
  const head = base.slice(0, at);
  const tail = base.slice(at);
  if (!key.startsWith(head) || !key.endsWith(tail)) return false;
  // A key no longer than base leaves an empty (or negative) middle, which the tag test rejects.
  return VERSION_TAG.test(key.slice(head.length, key.length - tail.length));
}
