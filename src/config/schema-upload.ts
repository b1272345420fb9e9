/**
 * The `upload:` section of the schema: the reference's keys (schedule, stability, operational
 * hours, batch, start-up scan, registry, queue) and ours (concurrency, parts, workers, rescan,
 * compression, retry, bandwidth). Bounds and cross-field rules live here; defaults that depend
 * on other keys (compression level per codec, workers per CPU) are filled in by resolve.ts.
 */
import { z } from 'zod';
import type { Schedule } from './types.js';
import {
  WHOLE, bool, crossCheck, list, mapping, num, oneOf, pathString, str, timeOfDay,
  type SchemaContext,
} from './schema-fields.js';
import { formatTimeOfDay } from './times.js';
import { PRIORITIES } from '../priority/priority.js';
import { parseRate } from '../link/rate.js';
import { checkTimetable, parseTimetableEntry, type TimetableEntry } from '../link/timetable.js';
import { POLICY_LINKS, type InterfaceRule } from '../link/link-kind.js';
import { parseDuration } from '../priority/markers.js';

const DEFAULT_QUEUE_FILE = '/var/lib/tvm-upload/queue.json';
const DEFAULT_REGISTRY_FILE = '/var/lib/tvm-upload/processed_files.json';
export const DEFAULT_SKIP_EXTENSIONS = [
  '.mcap', '.bag', '.db3', '.gz', '.zst', '.bz2', '.xz', '.lz4', '.zip', '.7z', '.jpg', '.png', '.mp4',
] as const;
export const CODEC_LEVELS = { gzip: { min: 1, max: 9, def: 6 }, zstd: { min: 1, max: 19, def: 3 } } as const;
const INTERVAL_MINUTES = { min: 5, max: 1440 } as const;

const scheduleMapping = mapping({
  mode: oneOf(['daily', 'interval']),
  daily_time: timeOfDay().optional(),
  interval_hours: num({ min: 0 }).optional(),
  interval_minutes: num({ min: 0 }).optional(),
})
  .check(
    crossCheck((v, ctx) => {
      if (v.mode === 'daily' && v.daily_time === undefined) {
        ctx.addIssue({ code: 'custom', path: ['daily_time'], message: 'is required when mode is "daily"', params: WHOLE });
      }
      if (v.mode !== 'interval') return;
      const h = v.interval_hours ?? 0;
      const m = v.interval_minutes ?? 0;
      if (typeof h !== 'number' || typeof m !== 'number' || h < 0 || m < 0) return;
      const total = h * 60 + m;
      if (total === 0) {
        ctx.addIssue({ code: 'custom', message: 'interval_hours and interval_minutes are both 0; at least one must be > 0', params: WHOLE });
      } else if (total < INTERVAL_MINUTES.min || total > INTERVAL_MINUTES.max) {
        ctx.addIssue({
          code: 'custom',
          message: `an interval of ${total} minutes (interval_hours ${h}, interval_minutes ${m}) is out of range ${INTERVAL_MINUTES.min}..${INTERVAL_MINUTES.max} minutes`,
          params: WHOLE,
        });
      }
    }),
  )
  .transform((v): Schedule =>
    v.mode === 'daily'
      ? { mode: 'daily', dailyTime: v.daily_time! }
      : { mode: 'interval', intervalMinutes: (v.interval_hours ?? 0) * 60 + (v.interval_minutes ?? 0) },
  );

/** Legacy `schedule: "HH:MM"` (daily) or the mapping form. */
const schedule = z.union(
  [timeOfDay().transform((dailyTime): Schedule => ({ mode: 'daily', dailyTime })), scheduleMapping],
  {
    error: (iss) =>
      typeof iss.input === 'number'
        ? 'is neither a time of day HH:MM (write it in quotes, e.g. "15:00") nor a mapping with mode'
        : 'is neither a time of day HH:MM nor a mapping with mode',
  },
);

const operationalHours = mapping({
  enabled: bool().default(false),
  start: timeOfDay().optional(),
  end: timeOfDay().optional(),
}).check(
  crossCheck((v, ctx) => {
    if (v.enabled !== true) return;
    for (const key of ['start', 'end'] as const) {
      if (v[key] === undefined) {
        ctx.addIssue({ code: 'custom', path: [key], message: 'is required when enabled is true', params: WHOLE });
      }
    }
    if (typeof v.start === 'number' && v.start === v.end) {
      ctx.addIssue({
        code: 'custom',
        message: `start and end are both "${formatTimeOfDay(v.start)}", an empty window (set enabled: false to upload at any time)`,
        params: WHOLE,
      });
    }
  }),
);

const EXTENSION = /^\.[A-Za-z0-9_+-]+$/;

const extension = z.string({ error: 'is not a string' }).transform((s, ctx) => {
  if (EXTENSION.test(s)) return s.toLowerCase();
  const rule = s.startsWith('.') ? 'is not a file extension like ".mcap"' : 'must start with a dot, e.g. ".mcap"';
  ctx.addIssue({ code: 'custom', message: rule, input: s });
  return z.NEVER;
});

/**
 * Highest level the upload cap may raise the level to by default. zstd stops at 9: its window,
 * and so each worker's memory, grows with the level (≈ 20 MiB at 9, ≈ 90 MiB at 19).
 */
export const DEFAULT_MAX_LEVEL = { gzip: 9, zstd: 9 } as const;

const compression = mapping({
  codec: oneOf(['gzip', 'zstd', 'none']).default('gzip'),
  level: num({ int: true }).optional(),
  max_level: num({ int: true }).optional(),
  cpu_budget_percent: num({ gt: 0, max: 1600 }).default(50),
  skip_extensions: list(extension).optional(),
}).check(
  crossCheck((v, ctx) => {
    if (v.codec !== 'gzip' && v.codec !== 'zstd') return;
    const range = CODEC_LEVELS[v.codec];
    for (const key of ['level', 'max_level'] as const) {
      const l = v[key];
      if (typeof l !== 'number' || !Number.isInteger(l) || (l >= range.min && l <= range.max)) continue;
      ctx.addIssue({ code: 'custom', path: [key], message: `is out of range for codec "${v.codec}" (${range.min}..${range.max})`, input: l });
    }
    const level = typeof v.level === 'number' ? v.level : range.def;
    if (typeof v.max_level !== 'number' || v.max_level >= level) return;
    ctx.addIssue({
      code: 'custom',
      path: ['max_level'],
      message: `is below level (${level}); set it to ${level} to keep one level, or higher to let a capped upload compress harder`,
      input: v.max_level,
    });
  }),
);

const retry = mapping({
  max_attempts: num({ int: true, min: 1, max: 1000 }).default(10),
  base_seconds: num({ gt: 0, max: 3600 }).default(1),
  max_seconds: num({ gt: 0, max: 86400 }).default(600),
}).check(
  crossCheck((v, ctx) => {
    const { base_seconds: base, max_seconds: max } = v;
    if (typeof base === 'number' && typeof max === 'number' && max < base) {
      ctx.addIssue({ code: 'custom', path: ['max_seconds'], message: `must be >= base_seconds (${base})`, input: max });
    }
  }),
);

const timetableEntry = z.string({ error: 'is not a string like "08:00,512k"' }).transform((text, ctx): TimetableEntry => {
  const parsed = parseTimetableEntry(text);
  if (typeof parsed !== 'string') return parsed;
  ctx.addIssue({ code: 'custom', message: parsed, input: text });
  return z.NEVER;
});

const bandwidthSchedule = list(timetableEntry).check(
  z.superRefine<TimetableEntry[]>((entries, ctx) => {
    const rule = checkTimetable(entries);
    if (rule !== null) ctx.addIssue({ code: 'custom', message: rule, params: WHOLE });
  }),
);

/** A per-link cap: a number is megabits per second (like max_mbps), a string rclone notation. */
const linkBandwidth = z
  .union([z.number(), z.string()], { error: 'is neither a number of megabits per second nor a bandwidth like "2M" or "off"' })
  .transform((v, ctx): number | null => {
    if (typeof v === 'number') {
      if (Number.isFinite(v) && v > 0) return (v * 1e6) / 8;
      ctx.addIssue({ code: 'custom', message: 'must be > 0 megabits per second (write "off" for no cap)', input: v });
      return z.NEVER;
    }
    const rate = parseRate(v);
    if (rate.ok) return rate.bytesPerSecond;
    ctx.addIssue({ code: 'custom', message: rate.rule, input: v });
    return z.NEVER;
  });

const linkPolicy = mapping({
  min_priority: oneOf(PRIORITIES).default('low'),
  bandwidth: linkBandwidth.nullable().optional(),
});

const interfaceMap = z
  .record(z.string().min(1, 'is an empty interface pattern'), oneOf(POLICY_LINKS), { error: 'is not a mapping of interface globs to wifi, cellular or wired' })
  .transform((m): InterfaceRule[] => Object.entries(m).map(([pattern, link]) => ({ pattern, link })));

const duration = z.string({ error: 'is not a duration string like "10m"' }).transform((s, ctx) => {
  const ms = parseDuration(s);
  if (ms !== null) return ms;
  ctx.addIssue({ code: 'custom', message: 'is not a duration like "90s", "10m", "2h" or "1d"', input: s });
  return z.NEVER;
});

const markerFiles = mapping({
  pattern: z.string({ error: 'is not a string (a glob on the file name, e.g. "*.incident")' }).min(1, 'must not be empty'),
  before: duration.default(10 * 60_000),
  after: duration.default(5 * 60_000),
});

function links(ctx: SchemaContext) {
  return mapping({
    route_file: pathString(ctx).default('/proc/net/route'),
    probe_command: str().nullable().optional(),
    probe_interval_seconds: num({ min: 1, max: 3600 }).default(10),
    interfaces: interfaceMap.optional(),
    policy: mapping({ wifi: linkPolicy.optional(), cellular: linkPolicy.optional(), wired: linkPolicy.optional() }).prefault({}),
    cellular_budget_mb_per_month: num({ gt: 0 }).nullable().optional(),
  });
}

export function uploadSchema(ctx: SchemaContext) {
  return mapping({
    schedule,
    // At most a day: the retry horizon (state/fair-claim.ts) caps the wait for a changed file there.
    file_stable_seconds: num({ min: 0, max: 86400 }).default(60),
    operational_hours: operationalHours.prefault({}),
    batch_upload: mapping({ enabled: bool().default(true), include_run_directory: bool().optional() }).prefault({}),
    directory_configs: list(z.unknown()).optional(),
    upload_on_start: bool().default(true),
    queue_file: pathString(ctx).default(DEFAULT_QUEUE_FILE),
    scan_existing_files: mapping({ enabled: bool().default(true), max_age_days: num({ min: 0 }).default(3) }).prefault({}),
    processed_files_registry: mapping({
      registry_file: pathString(ctx).default(DEFAULT_REGISTRY_FILE),
      retention_days: num({ gt: 0 }).default(30),
    }).prefault({}),
    rescan_interval_seconds: num({ min: 10, max: 86400, orZero: true }).default(600),
    shutdown_deadline_seconds: num({ min: 0, max: 3600 }).default(30),
    concurrency: num({ int: true, min: 1, max: 64 }).default(4),
    part_size_mb: num({ int: true, min: 5, max: 5120 }).default(8),
    part_concurrency: num({ int: true, min: 1, max: 16 }).default(2),
    workers: num({ int: true, min: 1, max: 64 }).optional(),
    compression: compression.prefault({}),
    retry: retry.prefault({}),
    bandwidth: mapping({ max_mbps: num({ gt: 0 }).nullable().optional(), schedule: bandwidthSchedule.optional() }).prefault({}),
    stall_timeout_seconds: num({ min: 5, max: 86400, orZero: true }).default(120),
    links: links(ctx).optional(),
    markers: markerFiles.optional(),
  });
}
