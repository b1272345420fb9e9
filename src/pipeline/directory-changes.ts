/**
 * What a configuration reload changes in the watched directories, as a plan over *slots*: each
 * watched directory keeps the slot (index) it was given for the life of the intake, so watcher
 * subscriptions, scans and files still stabilizing that carry an index stay meaningful. A
 * removed directory leaves an empty slot; an added one takes the first empty slot, else a new one
 * at the end, so the slot list stays as long as the most directories ever watched at once. Reuse
 * is safe: whatever still carries the old index is checked against the new directory's path and
 * rules, which the old one's files do not match. (Entries cannot overlap,
 * config/directories.ts, so slot order never decides ownership.)
 *
 * Pure: the intake executes the plan (unwatch, watch, scan).
 */
import type { LogDirectory } from '../config/types.js';

export type DirectorySlots = readonly (LogDirectory | null)[];

export interface DirectoryPlan {
  readonly slots: DirectorySlots;
  /** Slots whose directory is no longer configured: unwatch. */
  readonly removed: readonly number[];
  /** New slots: watch, then scan like at start-up. */
  readonly added: readonly number[];
  /** Same directory, wider or other rules (pattern, recursive): scan again for files now in scope. */
  readonly rescan: readonly number[];
}

export function planDirectories(current: DirectorySlots, next: readonly LogDirectory[]): DirectoryPlan {
  const byPath = new Map(next.map((d) => [d.path, d]));
  const slots: Array<LogDirectory | null> = [];
  const removed: number[] = [];
  const rescan: number[] = [];
  current.forEach((dir, i) => {
    const wanted = dir === null ? undefined : byPath.get(dir.path);
    if (dir !== null && wanted === undefined) removed.push(i);
    if (dir !== null && wanted !== undefined && (wanted.pattern !== dir.pattern || wanted.recursive !== dir.recursive)) rescan.push(i);
    slots.push(wanted ?? null);
    if (dir !== null) byPath.delete(dir.path);
  });
  const added: number[] = [];
  for (const dir of next) {
    if (!byPath.has(dir.path)) continue;
    // Not a slot emptied by this same plan: the intake unwatches those after planning.
    const free = slots.findIndex((s, j) => s === null && !removed.includes(j));
    const i = free === -1 ? slots.length : free;
    added.push(i);
    slots[i] = dir;
  }
  return { slots, removed, added, rescan };
}
