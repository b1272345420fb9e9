/**
 * The configuration schema: every key the daemon accepts, its type, default and bounds, in the
 * YAML's snake_case. Reference keys keep their names and defaults (deviations are listed in
 * docs/CONFIGURATION.md); keys the reference accepted but never used are still accepted so old
 * files load, and resolve.ts turns them into warnings. Built per load because paths depend on
 * the environment and the config file's directory. The result is validated, defaulted raw
 * data; resolve.ts maps it onto the Config type.
 */
import { z } from 'zod';
import { checkDirectories, stateDirProblem, type DirectoryEntry } from './directories.js';
import { bucketNameRule, namespaceRule, parseListen } from './s3-names.js';
import {
  WHOLE, bool, crossCheck, isRecord, list, mapping, num, oneOf, pathString, str, timeOfDay,
  type SchemaContext,
} from './schema-fields.js';
import { expandVariables } from './expand-env.js';
import { uploadSchema } from './schema-upload.js';
import { PRIORITIES } from '../priority/priority.js';

export type { SchemaContext } from './schema-fields.js';

const DEFAULT_STATE_DIR = '/var/lib/tvm-upload';
const STORAGE_CLASSES = [
  'STANDARD', 'STANDARD_IA', 'ONEZONE_IA', 'INTELLIGENT_TIERING', 'GLACIER', 'GLACIER_IR', 'DEEP_ARCHIVE',
  'REDUCED_REDUNDANCY',
] as const;

const VEHICLE_ID = /^[A-Za-z0-9._-]+$/;
const VEHICLE_ID_MAX = 128;
const SOURCE = /^[A-Za-z0-9_]+$/;

const vehicleId = z
  .string({ error: (iss) => (typeof iss.input === 'number' ? 'is not a string (put it in quotes)' : 'is not a string') })
  .superRefine((s, ctx) => {
    let rule: string | null = null;
    if (s === '') rule = 'must not be empty';
    else if (!VEHICLE_ID.test(s)) {
      rule = 'may contain only letters, digits, ".", "_" and "-" (it becomes a level of every S3 key)';
      if (s.includes('$')) rule += '; environment variables are not expanded here';
    } else if (s === '.' || s === '..') rule = 'cannot be "." or ".." (it becomes a level of every S3 key)';
    else if (s.length > VEHICLE_ID_MAX) rule = `is longer than ${VEHICLE_ID_MAX} characters`;
    if (rule !== null) ctx.addIssue({ code: 'custom', message: rule, input: s });
  });

const priorityPattern = mapping({
  pattern: z.string({ error: 'is not a string (a glob on the file name, e.g. "*.incident")' }).min(1, 'must not be empty'),
  priority: oneOf(PRIORITIES),
});

function logDirectories(ctx: SchemaContext) {
  const legacy = pathString(ctx).transform((p) => ({
    path: p, source: null as string | null, recursive: true, pattern: null as string | null, allow_deletion: true, legacy: true,
  }));
  const entry = mapping({
    path: pathString(ctx),
    source: str().superRefine((s, c) => {
      if (s.trim() !== '' && !SOURCE.test(s)) c.addIssue({ code: 'custom', message: 'may contain only letters, digits and "_"', input: s });
    }),
    recursive: bool().default(true),
    pattern: str().nullable().optional(),
    allow_deletion: bool().default(true),
    priority: oneOf(PRIORITIES).optional(),
    priority_patterns: list(priorityPattern).optional(),
  }).transform((m) => ({
    path: m.path, source: m.source as string | null, recursive: m.recursive, pattern: m.pattern ?? null,
    allow_deletion: m.allow_deletion, legacy: false, priority: m.priority, priority_patterns: m.priority_patterns,
  }));
  const item = z.union([legacy, entry], { error: 'is neither a path string nor a mapping with path and source' });
  return list(item)
    .check(
      z.superRefine<unknown>(
        (value, c) => {
          const items = value as unknown[];
          if (items.length === 0) {
            c.addIssue({ code: 'custom', message: 'is empty; list at least one directory', params: WHOLE });
            return;
          }
          const entries = items.map((it): DirectoryEntry | null =>
            isRecord(it) && typeof it.path === 'string' && typeof it.recursive === 'boolean' && typeof it.legacy === 'boolean'
              ? { path: it.path, source: typeof it.source === 'string' ? it.source : null, recursive: it.recursive, legacy: it.legacy }
              : null,
          );
          for (const p of checkDirectories(entries)) c.addIssue({ code: 'custom', path: [...p.path], message: p.message, params: WHOLE });
        },
        { when: (payload) => Array.isArray(payload.value) },
      ),
    );
}

function endpoint(ctx: SchemaContext) {
  return z.string({ error: 'is not a URL string' }).transform((raw, tctx) => {
    const expanded = expandVariables(raw, ctx.expand, false);
    if (!expanded.ok) {
      for (const problem of expanded.problems) tctx.addIssue({ code: 'custom', message: problem, params: WHOLE });
      return z.NEVER;
    }
    let rule: string | null = null;
    try {
      const url = new URL(expanded.value);
      if (url.protocol !== 'http:' && url.protocol !== 'https:') rule = 'must be an http:// or https:// URL';
      else if (url.username !== '' || url.password !== '') rule = 'must not contain credentials';
    } catch {
      rule = 'is not a URL (e.g. "http://127.0.0.1:9000")';
    }
    if (rule === null) return expanded.value;
    tctx.addIssue({ code: 'custom', message: rule, input: raw });
    return z.NEVER;
  });
}

function s3(ctx: SchemaContext) {
  return mapping({
    bucket: z.string({ error: 'is not a string' }).superRefine((s, c) => {
      const rule = bucketNameRule(s);
      if (rule !== null) c.addIssue({ code: 'custom', message: rule, input: s });
    }),
    region: str().superRefine((s, c) => {
      if (s.trim() !== '' && /\s/.test(s)) c.addIssue({ code: 'custom', message: 'must not contain spaces', input: s });
    }),
    profile: str().nullable().optional(),
    credentials_path: z.unknown().optional(),
    endpoint: endpoint(ctx).nullable().optional(),
    force_path_style: bool().optional(),
    conditional_writes: bool().optional(),
    storage_class: oneOf(STORAGE_CLASSES).nullable().optional(),
    server_side_encryption: oneOf(['AES256', 'aws:kms']).nullable().optional(),
    kms_key_id: str().nullable().optional(),
  }).check(
    crossCheck((v, c) => {
      if (typeof v.kms_key_id === 'string' && v.server_side_encryption !== 'aws:kms') {
        c.addIssue({ code: 'custom', path: ['kms_key_id'], message: 'is only allowed with server_side_encryption: aws:kms', input: v.kms_key_id });
      }
    }),
  );
}

const disk = mapping({
  reserved_gb: num({ gt: 0 }),
  warning_threshold: num({ gt: 0, lt: 1 }).default(0.9),
  critical_threshold: num({ gt: 0, lt: 1 }).default(0.95),
  cleanup_threshold: z.unknown().optional(),
  check_interval_seconds: num({ min: 5, max: 3600 }).default(60),
}).check(
  crossCheck((v, c) => {
    const { warning_threshold: w, critical_threshold: k } = v;
    if (inUnitInterval(w) && inUnitInterval(k) && w >= k) {
      c.addIssue({ code: 'custom', path: ['warning_threshold'], message: `must be below critical_threshold (${k})`, input: w });
    }
  }),
);

function inUnitInterval(x: unknown): x is number {
  return typeof x === 'number' && x > 0 && x < 1;
}

const deletion = mapping({
  after_upload: mapping({ enabled: bool().default(true), keep_days: num({ min: 0 }).default(14) }).prefault({}),
  age_based: mapping({
    enabled: bool().default(true),
    max_age_days: num({ min: 0 }).default(7),
    schedule_time: timeOfDay().default(2 * 60),
    include_not_uploaded: bool().default(false),
  }).prefault({}),
  emergency: mapping({ enabled: bool().default(false), threshold: z.unknown().optional() }).prefault({}),
});

const listen = z.string({ error: 'is not a string' }).superRefine((s, c) => {
  if (parseListen(s) === null) c.addIssue({ code: 'custom', message: 'is not host:port (e.g. "127.0.0.1:9464")', input: s });
});

const monitoring = mapping({
  cloudwatch_enabled: bool().default(true),
  namespace: z.string({ error: 'is not a string' }).superRefine((s, c) => {
    const rule = namespaceRule(s);
    if (rule !== null) c.addIssue({ code: 'custom', message: rule, input: s });
  }).default('TVM/Upload'),
  publish_interval_seconds: num({ min: 10, max: 86400 }).default(60),
  http: mapping({ enabled: bool().default(true), listen: listen.default('127.0.0.1:9464') }).prefault({}),
  low_upload_threshold_mb: num({ gt: 0 }).default(100),
  alarm_evaluation_periods: num({ min: 1, max: 7, int: true }).default(3),
  upload_failures_alarm_threshold: num({ min: 1, int: true }).default(10),
  backlog_alarm_threshold_hours: num({ gt: 0, max: 24 * 30 }).default(24),
});

/** The whole file. Required like the reference: vehicle_id, log_directories, s3, upload, disk. */
export function buildSchema(ctx: SchemaContext) {
  return mapping({
    vehicle_id: vehicleId,
    state_dir: pathString(ctx).default(DEFAULT_STATE_DIR),
    log_directories: logDirectories(ctx),
    s3: s3(ctx),
    upload: uploadSchema(ctx),
    deletion: deletion.prefault({}),
    disk,
    monitoring: monitoring.prefault({}),
    s3_lifecycle: mapping({ retention_days: num({ gt: 0 }).default(14) }).prefault({}),
    retry: z.unknown().optional(),
  }).check(
    crossCheck((v, c) => {
      if (typeof v.state_dir !== 'string' || !Array.isArray(v.log_directories)) return;
      // Entries that failed their own checks (a legacy "/" has no source) are not compared again.
      const paths = v.log_directories.map((d: unknown) => (isRecord(d) && typeof d.path === 'string' && !(d.legacy === true && d.path === '/') ? d.path : null));
      const problem = stateDirProblem(v.state_dir, paths);
      if (problem !== null) c.addIssue({ code: 'custom', path: ['state_dir'], message: problem, input: v.state_dir });
    }),
  );
}

export type RawConfig = z.output<ReturnType<typeof buildSchema>>;
