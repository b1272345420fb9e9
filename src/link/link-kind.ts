/**
 * The kinds of link a vehicle uploads over and how an interface name maps onto one:
 * `upload.links.interfaces` (first matching glob wins) is tried before the built-in names
 * (wlan*, wl* → wifi; wwan*, ppp*, usb*, rmnet* → cellular; eth*, en* → wired). No default
 * route is `offline`. An interface nobody named counts as `cellular`: when unsure, treat the
 * link as metered rather than burn a data plan (the daemon logs which interface it could not map).
 */
import { compileGlob } from '../pipeline/glob.js';

export const LINKS = ['wifi', 'cellular', 'wired', 'offline'] as const;
export type LinkKind = (typeof LINKS)[number];
/** Numeric codes for metrics (CloudWatch values are numbers): higher = more metered. */
export const LINK_CODES: Readonly<Record<LinkKind, number>> = { offline: 0, wired: 1, wifi: 2, cellular: 3 };
/** Links a policy can be written for (offline never uploads). */
export const POLICY_LINKS = ['wifi', 'cellular', 'wired'] as const;
export type PolicyLink = (typeof POLICY_LINKS)[number];

export interface InterfaceRule {
  readonly pattern: string;
  readonly link: PolicyLink;
}

export const DEFAULT_INTERFACES: readonly InterfaceRule[] = [
  { pattern: 'wlan*', link: 'wifi' },
  { pattern: 'wl*', link: 'wifi' },
  { pattern: 'wwan*', link: 'cellular' },
  { pattern: 'ppp*', link: 'cellular' },
  { pattern: 'usb*', link: 'cellular' },
  { pattern: 'rmnet*', link: 'cellular' },
  { pattern: 'eth*', link: 'wired' },
  { pattern: 'en*', link: 'wired' },
];

export interface Classified {
  readonly link: LinkKind;
  /** False when no rule named the interface (it was assumed cellular). */
  readonly mapped: boolean;
}

export class InterfaceMap {
  private readonly rules: readonly { readonly match: (name: string) => boolean; readonly link: PolicyLink }[];

  constructor(operator: readonly InterfaceRule[]) {
    this.rules = [...operator, ...DEFAULT_INTERFACES].map((r) => ({ match: compileGlob(r.pattern), link: r.link }));
  }

  classify(iface: string | null): Classified {
    if (iface === null) return { link: 'offline', mapped: true };
    const hit = this.rules.find((r) => r.match(iface));
    return hit === undefined ? { link: 'cellular', mapped: false } : { link: hit.link, mapped: true };
  }
}

export function isLinkKind(s: string): s is LinkKind {
  return (LINKS as readonly string[]).includes(s);
}
