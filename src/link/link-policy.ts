/**
 * The link policy as a pure decision: given the current link, its configured policy, the
 * cellular budget and the bandwidth timetable, which priorities may be sent and at what rate.
 *
 *   offline                → nothing
 *   policy.<link>          → min_priority, bandwidth
 *   cellular, budget ≥ 80 % → high only;  ≥ 100 % → nothing
 *   rate = the lowest of max_mbps, the link's bandwidth and the timetable's rate (null = none)
 */
import type { LinksConfig } from '../config/types.js';
import { rankOf, type PriorityRank } from '../priority/priority.js';
import type { BudgetLevel } from './cellular-budget.js';
import type { LinkKind } from './link-kind.js';

export interface LinkDecision {
  /** Least urgent rank that may be claimed; null = nothing may be sent. */
  readonly maxPriority: PriorityRank | null;
  /** Bytes per second for the shared throttle; null = unlimited. */
  readonly bytesPerSecond: number | null;
  /** Why nothing or only part may go, for status and logs; null when everything may. */
  readonly restriction: string | null;
}

export interface DecisionInput {
  readonly link: LinkKind;
  readonly links: LinksConfig | undefined;
  readonly budget: BudgetLevel;
  readonly maxBytesPerSecond: number | null;
  /** The timetable's rate now: undefined = no timetable, null = "off" (unlimited). */
  readonly timetableRate: number | null | undefined;
}

export function lowestRate(...rates: readonly (number | null | undefined)[]): number | null {
  const caps = rates.filter((r): r is number => typeof r === 'number');
  return caps.length === 0 ? null : Math.min(...caps);
}

export function decideLink(i: DecisionInput): LinkDecision {
  if (i.links === undefined) {
    return { maxPriority: rankOf('low'), bytesPerSecond: lowestRate(i.maxBytesPerSecond, i.timetableRate), restriction: null };
  }
  if (i.link === 'offline') return { maxPriority: null, bytesPerSecond: lowestRate(i.maxBytesPerSecond, i.timetableRate), restriction: 'offline' };
  const policy = i.links.policy[i.link];
  const bytesPerSecond = lowestRate(i.maxBytesPerSecond, policy.bytesPerSecond, i.timetableRate);
  let maxPriority: PriorityRank | null = rankOf(policy.minPriority);
  let restriction: string | null = maxPriority === rankOf('low') ? null : `${i.link} policy: ${policy.minPriority} and above`;
  if (i.link === 'cellular' && i.budget === 'exhausted') {
    maxPriority = null;
    restriction = 'cellular budget used up';
  } else if (i.link === 'cellular' && i.budget === 'high-only' && maxPriority > 0) {
    maxPriority = 0;
    restriction = 'cellular budget 80 % used: high only';
  }
  return { maxPriority, bytesPerSecond, restriction };
}
