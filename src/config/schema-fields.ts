/**
 * Building blocks of the configuration schema: one builder per kind of value (boolean, bounded
 * number, non-empty string, time of day, path, enum, mapping, list). Each builder fixes the
 * wording of its rule so every key of the same kind reports problems the same way, in the
 * format issues.ts assembles (`<key>: <value> <rule>`). Strict about types on purpose: YAML
 * `yes` is a string here (YAML 1.2), `"5"` is not a number and `true` is not 1.
 */
import { z } from 'zod';
import { expandPath, type ExpandContext } from './expand-env.js';
import { parseTimeOfDay } from './times.js';

/** What the schema needs from outside: environment, home directory and config directory. */
export interface SchemaContext {
  readonly expand: ExpandContext;
  /** Directory relative paths are resolved against; null = relative paths are rejected. */
  readonly baseDir: string | null;
}

type RawIssue = z.core.$ZodRawIssue;

/** Options for an issue whose message already names the value (or needs none). */
export const WHOLE = { whole: true } as const;

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function numberTypeRule(iss: RawIssue): string {
  const input = iss.input;
  if (typeof input === 'number') return 'is not a finite number';
  if (typeof input === 'string' && input.trim() !== '' && Number.isFinite(Number(input))) {
    return 'is a string, but a number was expected (remove the quotes)';
  }
  return 'is not a number';
}

export function bool() {
  return z.boolean({ error: 'is not a boolean (write true or false, without quotes)' });
}

export interface NumberBounds {
  /** Inclusive lower bound. */
  readonly min?: number;
  /** Exclusive lower bound. */
  readonly gt?: number;
  /** Inclusive upper bound. */
  readonly max?: number;
  /** Exclusive upper bound. */
  readonly lt?: number;
  readonly int?: boolean;
  /** 0 is also allowed (it means "off"). */
  readonly orZero?: boolean;
}

/** The rule a number breaks, or null. */
export function boundsRule(n: number, b: NumberBounds): string | null {
  if (b.int === true && !Number.isInteger(n)) return 'is not a whole number';
  if (b.orZero === true && n === 0) return null;
  const tooLow = (b.min !== undefined && n < b.min) || (b.gt !== undefined && n <= b.gt);
  const tooHigh = (b.max !== undefined && n > b.max) || (b.lt !== undefined && n >= b.lt);
  if (!tooLow && !tooHigh) return null;
  if (b.gt !== undefined && b.lt !== undefined) return `must be strictly between ${b.gt} and ${b.lt}`;
  if (b.min !== undefined && b.max !== undefined) {
    return b.orZero === true ? `must be 0 (off) or in ${b.min}..${b.max}` : `is out of range ${b.min}..${b.max}`;
  }
  if (tooLow) return b.gt !== undefined ? `must be > ${b.gt}` : `must be >= ${b.min}`;
  return b.lt !== undefined ? `must be < ${b.lt}` : `must be <= ${b.max}`;
}

export function num(bounds: NumberBounds = {}) {
  return z.number({ error: numberTypeRule }).superRefine((n, ctx) => {
    const rule = boundsRule(n, bounds);
    if (rule !== null) ctx.addIssue({ code: 'custom', message: rule, input: n });
  });
}

export function str() {
  return z
    .string({ error: (iss) => (typeof iss.input === 'number' ? 'is not a string (put it in quotes)' : 'is not a string') })
    .superRefine((s, ctx) => {
      if (s.trim() === '') ctx.addIssue({ code: 'custom', message: 'must not be empty', input: s });
    });
}

/** `"HH:MM"` → minutes since midnight. */
export function timeOfDay() {
  return z
    .string({
      error: (iss) =>
        typeof iss.input === 'number'
          ? 'is not a time of day HH:MM (write it in quotes, e.g. "15:00")'
          : 'is not a time of day HH:MM',
    })
    .transform((s, ctx) => {
      const minute = parseTimeOfDay(s);
      if (minute !== null) return minute;
      ctx.addIssue({ code: 'custom', message: 'is not a time of day HH:MM', input: s });
      return z.NEVER;
    });
}

/** A path: `~` and environment variables expanded, made absolute and normalised. */
export function pathString(ctx: SchemaContext) {
  return z.string({ error: 'is not a path string' }).transform((raw, tctx) => {
    const result = expandPath(raw, ctx.expand, ctx.baseDir);
    if (result.ok) return result.value;
    for (const problem of result.problems) tctx.addIssue({ code: 'custom', message: problem, params: WHOLE });
    return z.NEVER;
  });
}

export function oneOf<const T extends readonly [string, ...string[]]>(values: T) {
  return z.enum(values, { error: `must be one of ${values.map((v) => JSON.stringify(v)).join(', ')}` });
}

/**
 * A mapping with exactly these keys. `null` (a heading with nothing under it) counts as an
 * empty mapping, so its defaults apply. Unknown keys carry the known-key list for the
 * "did you mean" hint (see issues.ts).
 */
export function mapping<S extends z.ZodRawShape>(shape: S) {
  const known = JSON.stringify(Object.keys(shape));
  return z.preprocess(
    (v) => (v === null ? {} : v),
    z.strictObject(shape, { error: (iss) => (iss.code === 'unrecognized_keys' ? known : 'is not a mapping') }),
  );
}

/** A list; `null` counts as empty. */
export function list<T extends z.ZodType>(item: T) {
  return z.preprocess((v) => (v === null ? [] : v), z.array(item, { error: 'is not a list' }));
}

/**
 * A cross-field check on a mapping that runs even when some of its fields failed, so every
 * problem is reported in one pass; `fn` must therefore treat fields as unknown.
 */
export function crossCheck(fn: (value: Record<string, unknown>, ctx: z.core.$RefinementCtx<unknown>) => void) {
  return z.superRefine<unknown>(
    (value, ctx) => {
      if (isRecord(value)) fn(value, ctx);
    },
    { when: (payload) => isRecord(payload.value) },
  );
}
