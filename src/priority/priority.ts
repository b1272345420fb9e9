/**
 * File priorities: the three levels an operator writes (`high`, `normal`, `low`) and the rank the
 * state store keeps (0 = high … 2 = low), so "serve by priority, then oldest first" is one
 * ascending ORDER BY over an index. Nothing here decides which file gets which level: the file
 * filter does (directory priority and priority_patterns), and the incident marker raises files.
 */

export const PRIORITIES = ['high', 'normal', 'low'] as const;
export type Priority = (typeof PRIORITIES)[number];

/** Rank in the state store: lower is served first. */
export type PriorityRank = 0 | 1 | 2;

export const DEFAULT_PRIORITY: Priority = 'normal';

export function rankOf(p: Priority): PriorityRank {
  return PRIORITIES.indexOf(p) as PriorityRank;
}

export function priorityOf(rank: number): Priority {
  return PRIORITIES[rank] ?? DEFAULT_PRIORITY;
}
