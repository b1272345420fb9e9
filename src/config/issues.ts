/**
 * Turns zod issues into our one-line problem format, `<key.path>: <value> <rule>`, e.g.
 * `upload.schedule.daily_time: "25:00" is not a time of day HH:MM`. Keys are dotted, list
 * items are `[i]`. The value is the JSON of what the file said, cut to about 60 characters.
 *
 * Conventions shared with the schema builders (schema-fields.ts):
 * - a message is normally only the rule; the value is prepended here;
 * - an issue whose `params.whole` is true already names the value (or needs none);
 * - a missing key (input undefined) reads `is required`;
 * - a strict mapping's unrecognized-keys message is the JSON list of the keys it knows, from
 *   which the "did you mean" hint is computed here, one line per unknown key;
 * - a union picks the branch that matched the value's type and reports that branch's issues.
 */
import type { z } from 'zod';
import { didYouMean } from './did-you-mean.js';

type Issue = z.core.$ZodIssue;
type Segment = PropertyKey;

const MAX_VALUE_CHARS = 60;
const SIMPLE_KEY = /^[A-Za-z0-9_-]+$/;

/** `upload.schedule`, `log_directories[2].path`, `s3["odd key"]`. */
export function formatPath(path: readonly Segment[]): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else if (typeof seg === 'string' && SIMPLE_KEY.test(seg)) out += out === '' ? seg : `.${seg}`;
    else out += `[${JSON.stringify(String(seg))}]`;
  }
  return out === '' ? '(top level)' : out;
}

/** JSON of a received value, shortened to about 60 characters. */
export function renderValue(value: unknown): string {
  let text: string;
  if (typeof value === 'number' && !Number.isFinite(value)) return String(value);
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    text = String(value);
  }
  return text.length > MAX_VALUE_CHARS ? `${text.slice(0, MAX_VALUE_CHARS - 3)}...` : text;
}

/** One line per problem, in the order zod found them. */
export function issuesToLines(issues: readonly Issue[], prefix: readonly Segment[] = []): string[] {
  const lines: string[] = [];
  for (const issue of issues) lines.push(...issueToLines(issue, prefix));
  return lines;
}

function issueToLines(issue: Issue, prefix: readonly Segment[]): string[] {
  const path = [...prefix, ...issue.path];
  if (issue.code === 'unrecognized_keys') {
    const known = knownKeysFrom(issue.message);
    return issue.keys.map((key) => {
      const hint = didYouMean(key, known);
      const tail = hint === null ? '' : ` (did you mean ${JSON.stringify(hint)}?)`;
      return `${formatPath([...path, key])}: unknown key${tail}`;
    });
  }
  if (issue.code === 'invalid_union') {
    const branch = matchingBranch(issue.errors);
    if (branch !== null) return issuesToLines(branch, path);
  }
  const where = formatPath(path);
  const input = (issue as { input?: unknown }).input;
  const whole = (issue as { params?: { whole?: boolean } }).params?.whole === true;
  if (whole) return [`${where}: ${issue.message}`];
  if (input === undefined && issue.code !== 'custom') return [`${where}: is required`];
  return [`${where}: ${renderValue(input)} ${issue.message}`];
}

/** The key list schema-fields.ts `mapping()` puts in its message; none if it is anything else. */
export function knownKeysFrom(message: string): string[] {
  try {
    const parsed: unknown = JSON.parse(message);
    return Array.isArray(parsed) ? parsed.filter((k): k is string => typeof k === 'string') : [];
  } catch {
    return [];
  }
}

/**
 * The union branch whose value type matched: the one that did not fail at its own root with a
 * type mismatch. Null when every branch rejected the type (the union's own message applies).
 */
function matchingBranch(errors: readonly (readonly Issue[])[]): readonly Issue[] | null {
  const typed = errors.filter((list) => !list.some((i) => i.path.length === 0 && i.code === 'invalid_type'));
  return typed.length === 1 ? typed[0]! : null;
}
