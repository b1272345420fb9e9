/**
 * "Did you mean" hints for unknown configuration keys: the closest known key by edit distance
 * (at most 2 edits), else a known key that starts or ends with the typed one, or that the typed
 * one starts with (`schedule.time` → `daily_time`, `upload.retry_max` → `retry`).
 * Pure string work; knows nothing about the schema.
 */

/** Levenshtein distance: insertions, deletions and substitutions each cost 1. */
export function levenshtein(a: string, b: string): number {
  if (a === b) return 0;
  if (a.length === 0) return b.length;
  if (b.length === 0) return a.length;
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      cur.push(Math.min(cur[j - 1]! + 1, prev[j]! + 1, prev[j - 1]! + cost));
    }
    prev = cur;
  }
  return prev[b.length]!;
}

const MAX_EDITS = 2;

/** The best suggestion for `typed` among `known`, or null when nothing is close. */
export function didYouMean(typed: string, known: readonly string[]): string | null {
  const lower = typed.toLowerCase();
  let best: string | null = null;
  let bestDistance = MAX_EDITS + 1;
  for (const candidate of known) {
    const d = levenshtein(lower, candidate.toLowerCase());
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  if (best !== null) return best;
  if (lower.length < 3) return null;
  for (const candidate of known) {
    const c = candidate.toLowerCase();
    if (c.startsWith(lower) || c.endsWith(lower) || lower.startsWith(c)) return candidate;
  }
  return null;
}
