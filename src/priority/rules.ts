/**
 * Which priority a file of one watched directory is queued with: the first of the directory's
 * `priority_patterns` whose glob matches the file's basename, else the directory's `priority`
 * (default normal). Patterns use the same fnmatch rules as `pattern`.
 */
import type { LogDirectory } from '../config/types.js';
import { compileGlob, type BasenameMatcher } from '../pipeline/glob.js';
import { DEFAULT_PRIORITY, rankOf, type PriorityRank } from './priority.js';

export class PriorityRules {
  private readonly rules: readonly { readonly match: BasenameMatcher; readonly rank: PriorityRank }[];
  private readonly fallback: PriorityRank;

  constructor(dir: LogDirectory | null) {
    this.fallback = rankOf(dir?.priority ?? DEFAULT_PRIORITY);
    this.rules = (dir?.priorityPatterns ?? []).map((p) => ({ match: compileGlob(p.pattern), rank: rankOf(p.priority) }));
  }

  rankOf(basename: string): PriorityRank {
    return this.rules.find((r) => r.match(basename))?.rank ?? this.fallback;
  }
}
