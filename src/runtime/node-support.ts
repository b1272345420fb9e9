/**
 * Which Node.js runtimes tvm-upload supports, and a plain sentence about the one it runs on.
 * `check-config` prints it and `run` logs it at start-up (a warning when out of support), so an
 * operator learns from the daemon itself that the vehicle needs a newer runtime: the AWS SDK's own
 * notice is a one-off process warning that says nothing about our support policy.
 *
 * The verdict depends on the date, not only on the version: each LTS line has an end-of-life date
 * (nodejs.org/en/about/previous-releases), and a runtime that was supported when a vehicle was
 * provisioned becomes out of support on that date without any change to the vehicle. It does not
 * refuse to run on any version: `engines` in package.json states the floor, and a daemon that
 * keeps uploading on an old runtime is better than one that stops.
 */
import type { Logger } from '../telemetry/logger.js';

export type SupportLevel = 'recommended' | 'supported' | 'end-of-life' | 'not-lts' | 'untested' | 'too-old';

export interface LtsLine {
  major: number;
  /** First day the line gets no more security fixes (UTC, YYYY-MM-DD). */
  endOfLife: string;
}

/** The LTS lines we test on, newest first; the first is the recommended one. */
export const TESTED_LTS: readonly LtsLine[] = [
  { major: 24, endOfLife: '2028-04-30' },
  { major: 22, endOfLife: '2027-04-30' },
];

/** Older lines that still run while the pinned dependencies allow (better-sqlite3 12, SDK ≤ Jan 2027). */
export const LEGACY_LTS: readonly LtsLine[] = [{ major: 20, endOfLife: '2026-04-30' }];

/** The oldest runtime the pinned dependencies install on (`engines` in package.json). */
export const MINIMUM = { major: 20, minor: 19 } as const;

export interface RuntimeSupport {
  version: string;
  level: SupportLevel;
  /** True when the operator should act: any level but recommended/supported. */
  outOfSupport: boolean;
  /** One sentence for a terminal or a log line, naming what to install when action is needed. */
  message: string;
}

const ADVICE = `install Node ${TESTED_LTS[0]!.major} LTS (recommended) or ${TESTED_LTS[1]!.major} LTS`;

function parse(version: string): { major: number; minor: number } | null {
  const m = /^v?(\d+)\.(\d+)\.\d+/.exec(version);
  return m ? { major: Number(m[1]), minor: Number(m[2]) } : null;
}

function verdict(version: string, level: SupportLevel, message: string): RuntimeSupport {
  return { version, level, outOfSupport: level !== 'recommended' && level !== 'supported', message };
}

/** The support verdict for `version` (e.g. process.version) on the day `now`. */
export function nodeSupport(version: string, now: Date): RuntimeSupport {
  const v = parse(version);
  const node = `Node ${version.replace(/^v/, '')}`;
  if (v === null) return verdict(version, 'untested', `${node}: not a version tvm-upload recognises; ${ADVICE}`);
  const today = now.toISOString().slice(0, 10);
  const tested = TESTED_LTS.find((l) => l.major === v.major);
  const legacy = LEGACY_LTS.find((l) => l.major === v.major);
  const line = tested ?? legacy;
  if (line !== undefined && today >= line.endOfLife) {
    return verdict(version, 'end-of-life', `${node} reached end of life on ${line.endOfLife} and gets no security fixes; ${ADVICE}`);
  }
  if (tested === TESTED_LTS[0]) return verdict(version, 'recommended', `${node}: supported (LTS, recommended)`);
  if (tested !== undefined) {
    return verdict(version, 'supported', `${node}: supported (LTS until ${tested.endOfLife}); Node ${TESTED_LTS[0]!.major} LTS is recommended`);
  }
  if (v.major < MINIMUM.major || (v.major === MINIMUM.major && v.minor < MINIMUM.minor)) {
    return verdict(version, 'too-old', `${node} is older than the minimum ${MINIMUM.major}.${MINIMUM.minor} the dependencies need; ${ADVICE}`);
  }
  if (legacy !== undefined) {
    return verdict(version, 'end-of-life', `${node} still runs but is not supported (end of life ${legacy.endOfLife}); ${ADVICE}`);
  }
  if (v.major % 2 === 1) {
    return verdict(version, 'not-lts', `${node} is not an LTS release and is short-lived; ${ADVICE}`);
  }
  // Every even major from the minimum up to the newest tested line is in one of the tables, so
  // what is left is a newer LTS line than we have tested.
  const testedList = TESTED_LTS.map((l) => l.major).join(', ');
  return verdict(version, 'untested', `${node} is newer than the runtimes tvm-upload is tested on (${testedList}); it may work, but ${ADVICE} for a supported setup`);
}

/** The verdict for the running process. */
export function currentNodeSupport(now: Date = new Date()): RuntimeSupport {
  return nodeSupport(process.version, now);
}

/** The line `check-config` prints: a warning prefix when the operator should act. */
export function runtimeLine(s: RuntimeSupport): string {
  return `${s.outOfSupport ? 'WARNING runtime:' : 'runtime:'} ${s.message}`;
}

/** The start-up log line: a warning when out of support, so it shows in `journalctl -p warning`. */
export function logRuntimeSupport(logger: Pick<Logger, 'info' | 'warn'>, s: RuntimeSupport): void {
  const fields = { node: s.version, support: s.level };
  if (s.outOfSupport) logger.warn(fields, s.message);
  else logger.info(fields, s.message);
}
