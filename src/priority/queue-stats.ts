/**
 * The queue by priority as operators read it (status, metrics): rank rows from the state store
 * turned into {high, normal, low}, and whether a configuration uses priorities at all (only then
 * are the per-priority metrics published, so a fleet without these keys pays for no new metric).
 */
import type { Config } from '../config/types.js';
import type { QueueByPriority } from '../telemetry/events.js';
import { priorityOf } from './priority.js';

export function queueByPriority(rows: readonly { priority: number; files: number; bytes: number }[]): QueueByPriority {
  const out = { high: { files: 0, bytes: 0 }, normal: { files: 0, bytes: 0 }, low: { files: 0, bytes: 0 } };
  for (const r of rows) out[priorityOf(r.priority)] = { files: r.files, bytes: r.bytes };
  return out;
}

export function usesPriorities(c: Pick<Config, 'upload' | 'logDirectories'>): boolean {
  const up = c.upload;
  return up.links !== undefined || up.markers !== undefined || c.logDirectories.some((d) => d.priority !== undefined || d.priorityPatterns !== undefined);
}
