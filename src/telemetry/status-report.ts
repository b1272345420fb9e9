/**
 * The one status report: what `status --json` prints, what `/status` serves and what the status
 * page shows, built from the same read-only queries whether the daemon runs or not. It reads;
 * it decides nothing (health is recorded by the daemon, disk usage measured by src/disk/usage).
 *
 * The first four fields (`daemon`, `queued`, `inFlight`, `uploaded`) keep the shape of the
 * earlier report, so scripts written against it keep working.
 */
import { lstat, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { DB_FILE } from '../state/store.js';
import type { DeletionStatus } from '../deletion/status.js';
import type { Config } from '../config/types.js';
import { diskUsage, type DiskUsageIo } from '../disk/usage.js';
import type { StateReader } from '../state/state-reader.js';
import { failuresSince, parseActivity, ACTIVITY_META_KEY, type LastError } from './activity.js';
import type { HealthReason } from './health.js';
import { parseUploadPass, UPLOAD_PASS_META_KEY } from './upload-pass.js';

export const HEALTH_META_KEY = 'health';
const DAY = 24 * 3_600_000;

export interface DiskReport {
  /** What lives on this filesystem: watched directories and/or the state dir. */
  readonly holds: readonly string[];
  readonly measuredPath: string;
  /** null when the filesystem could not be measured (then `error` says why). */
  readonly totalBytes: number | null;
  readonly availableBytes: number | null;
  readonly usedPercent: number | null;
  readonly error?: string;
}

/** The deletion figures, or why they cannot be had (a database from before the deletion schema). */
export type DeletionReport = DeletionStatus | { readonly unavailable: string };

export interface StatusReport {
  readonly daemon: string;
  readonly queued: number;
  readonly inFlight: number;
  readonly uploaded: number;
  readonly running: boolean;
  readonly pid: number | null;
  readonly vehicleId: string;
  readonly generatedAt: string;
  readonly bytesPending: number;
  readonly oldestPendingAt: string | null;
  readonly oldestPendingAgeSeconds: number | null;
  /** The oldest queued files (up to 20), oldest first. */
  readonly queueHead: ReadonlyArray<{ path: string; size: number; queuedAt: string }>;
  readonly inFlightFiles: ReadonlyArray<{ path: string; size: number; bytesConfirmed: number; uploadBytes: number | null }>;
  readonly last24h: { readonly uploads: number; readonly bytes: number; readonly failures: number };
  readonly lastErrors: readonly LastError[];
  readonly retrying: ReadonlyArray<{ path: string; attempts: number; code: string | null; error: string | null; nextAttemptAt: string }>;
  readonly disk: readonly DiskReport[];
  /** What the daemon itself keeps on disk: the state database (with its WAL) and the compression spool. */
  readonly stateUsage: StateUsage;
  readonly degraded: readonly HealthReason[];
  /** The latest upload pass (upload-now), or null. */
  readonly lastPass: { readonly oneShot: boolean; readonly startedAt: string; readonly finishedAt: string | null } | null;
  readonly deletion: DeletionReport | null;
}

export interface StatusInputs {
  readonly config: Pick<Config, 'vehicleId' | 'stateDir' | 'logDirectories'>;
  readonly reader: StateReader;
  /** pid of the live daemon on this state dir, or null. */
  readonly daemonPid: number | null;
  /** Live reasons (the daemon itself); default: those the daemon last stored, if it runs. */
  readonly degraded?: readonly HealthReason[];
  readonly now: number;
  readonly diskIo?: DiskUsageIo;
  /** The deletion part (disk per filesystem, deletable now, last pass): a read-only dry run. */
  readonly deletion?: () => Promise<DeletionReport>;
}

export async function buildStatusReport(i: StatusInputs): Promise<StatusReport> {
  const { reader, now } = i;
  const q = reader.queue();
  const activity = parseActivity(reader.meta(ACTIVITY_META_KEY));
  const day = reader.uploadedSince(now - DAY);
  const running = i.daemonPid !== null;
  const pass = parseUploadPass(reader.meta(UPLOAD_PASS_META_KEY));
  // A standalone upload-now holds the store like a daemon; say which it is.
  const oneShot = running && pass !== null && pass.oneShot && pass.pid === i.daemonPid && pass.finishedAt === null;
  return {
    daemon: running ? `running${oneShot ? ' upload-now one-shot' : ''} (pid ${i.daemonPid})` : 'not running',
    queued: q.queued,
    inFlight: q.inFlight,
    uploaded: q.uploaded,
    running,
    pid: i.daemonPid,
    vehicleId: i.config.vehicleId,
    generatedAt: new Date(now).toISOString(),
    bytesPending: q.bytesPending,
    oldestPendingAt: q.oldestPendingAt === null ? null : new Date(q.oldestPendingAt).toISOString(),
    oldestPendingAgeSeconds: q.oldestPendingAt === null ? null : Math.max(0, Math.round((now - q.oldestPendingAt) / 1000)),
    queueHead: reader.queueHead().map((f) => ({ ...f, queuedAt: iso(f.queuedAt) })),
    inFlightFiles: reader.inFlight(),
    last24h: { uploads: day.files, bytes: day.bytes, failures: failuresSince(activity, now) },
    lastErrors: activity.lastErrors,
    retrying: reader.retrying().map((r) => ({ ...r, nextAttemptAt: new Date(r.nextAttemptAt).toISOString() })),
    disk: await diskReports(i.config, i.diskIo),
    stateUsage: await stateUsage(i.config.stateDir),
    degraded: i.degraded ?? (running ? parseReasons(reader.meta(HEALTH_META_KEY)) : []),
    deletion: i.deletion ? await i.deletion() : null,
    lastPass: pass === null ? null : { oneShot: pass.oneShot, startedAt: iso(pass.startedAt), finishedAt: pass.finishedAt === null ? null : iso(pass.finishedAt) },
  };
}

export interface StateUsage {
  readonly databaseBytes: number;
  readonly spoolFiles: number;
  readonly spoolBytes: number;
}

/**
 * Bytes of the state database (with -wal and -shm) and of the spool. The spool holds at most one
 * file per upload in flight (upload.concurrency), each at most its source's size; missing files
 * count 0, so a store without a spool yet reads as empty.
 */
export async function stateUsage(stateDir: string): Promise<StateUsage> {
  const size = async (p: string): Promise<number> => {
    try {
      return (await lstat(p)).size;
    } catch {
      return 0;
    }
  };
  let databaseBytes = 0;
  for (const suffix of ['', '-wal', '-shm']) databaseBytes += await size(join(stateDir, `${DB_FILE}${suffix}`));
  let names: string[] = [];
  try {
    names = await readdir(join(stateDir, 'spool'));
  } catch {
    // no spool yet
  }
  let spoolBytes = 0;
  for (const n of names) spoolBytes += await size(join(stateDir, 'spool', n));
  return { databaseBytes, spoolFiles: names.length, spoolBytes };
}

/** Usage of each distinct filesystem holding a watched directory or the state dir. */
export async function diskReports(config: Pick<Config, 'stateDir' | 'logDirectories'>, io?: DiskUsageIo): Promise<DiskReport[]> {
  const byDevice = new Map<number, { holds: string[]; u: Awaited<ReturnType<typeof diskUsage>> }>();
  const paths = [...config.logDirectories.map((d) => d.path), config.stateDir];
  const failed: DiskReport[] = [];
  for (const p of paths) {
    const label = p === config.stateDir ? `${p} (state)` : p;
    try {
      const u = await diskUsage(p, io);
      const seen = byDevice.get(u.device);
      if (seen) seen.holds.push(label);
      else byDevice.set(u.device, { holds: [label], u });
    } catch (err) {
      failed.push({ holds: [label], measuredPath: p, totalBytes: null, availableBytes: null, usedPercent: null, error: err instanceof Error ? err.message : String(err) });
    }
  }
  const ok = [...byDevice.values()].map(({ holds, u }) => ({
    holds,
    measuredPath: u.measuredPath,
    totalBytes: u.totalBytes,
    availableBytes: u.availableBytes,
    usedPercent: Math.round(u.usedPercent * 10) / 10,
  }));
  return [...ok, ...failed];
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

export function parseReasons(text: string | null): HealthReason[] {
  if (text === null) return [];
  try {
    const v = JSON.parse(text) as unknown;
    return Array.isArray(v) ? (v as HealthReason[]).filter((r) => typeof r?.key === 'string' && typeof r.message === 'string') : [];
  } catch {
    return [];
  }
}
