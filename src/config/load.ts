/**
 * Loading the configuration: read the file, parse YAML (1.2 core schema, so `15:00` and `yes`
 * stay strings), validate and default it with the zod schema (which also expands `~` and
 * environment variables in paths), map it onto Config and deep-freeze it. Every problem found
 * is collected and thrown at once as one ConfigError, one line per problem.
 *
 *   file ──read──▶ text ──yaml──▶ plain data ──schema.ts (zod)──▶ raw config ──resolve.ts──▶ Config (frozen)
 *                                               │ issues.ts: zod issues → "<key>: <value> <rule>"
 */
import os from 'node:os';
import path from 'node:path';
import { LineCounter, parseDocument, isMap, isScalar, isSeq } from 'yaml';
import { ConfigError } from '../errors.js';
import type { Config } from './types.js';
import { deepFreeze } from './freeze.js';
import { issuesToLines } from './issues.js';
import { readConfigText } from './read-config-file.js';
import { resolveConfig } from './resolve.js';
import { buildSchema } from './schema.js';

export interface LoadOptions {
  /** Environment used for `$VAR` expansion; default process.env. */
  readonly env?: NodeJS.ProcessEnv;
  /** Home directory for `~`; default os.homedir(). */
  readonly homedir?: string;
  /** CPU count for the default `upload.workers`; default os.availableParallelism(). */
  readonly cpuCount?: number;
}

export interface ParseOptions extends LoadOptions {
  /** Where the text came from; relative paths resolve against its directory. */
  readonly sourceFile?: string;
}

const MAX_ALIASES = 100;

export function loadConfig(file: string, opts: LoadOptions = {}): Config {
  const absolute = path.resolve(file);
  const text = readConfigText(absolute);
  return parseConfig(text, { ...opts, sourceFile: absolute });
}

export function parseConfig(text: string, opts: ParseOptions = {}): Config {
  const sourceFile = opts.sourceFile === undefined ? null : path.resolve(opts.sourceFile);
  const fail = (problems: string[]): never => {
    throw new ConfigError(problems, sourceFile ?? undefined);
  };
  const data = parseYaml(text, fail);
  const cpuCount = opts.cpuCount ?? os.availableParallelism();
  const schema = buildSchema({
    expand: { env: opts.env ?? process.env, homedir: opts.homedir ?? os.homedir() },
    baseDir: sourceFile === null ? null : path.dirname(sourceFile),
  });
  const result = schema.safeParse(data, { reportInput: true });
  if (!result.success) return fail(issuesToLines(result.error.issues));
  return deepFreeze(resolveConfig(result.data, { cpuCount, sourceFile }));
}

function parseYaml(text: string, fail: (problems: string[]) => never): unknown {
  const lines = new LineCounter();
  const doc = parseDocument(text.replace(/^\uFEFF/, ''), {
    prettyErrors: false,
    lineCounter: lines,
    // Pinned even against a `%YAML 1.1` directive, which would otherwise bring back base-60
    // times and yes/no booleans.
    schema: 'core',
    logLevel: 'error',
    // Duplicates are found below, where the message can name the key path.
    uniqueKeys: false,
  });
  const duplicates = duplicateKeys(doc.contents, [], lines);
  if (duplicates.length > 0) return fail(duplicates);
  const first = doc.errors[0] ?? doc.warnings[0];
  if (first !== undefined) {
    const { line, col } = lines.linePos(first.pos[0]);
    const what = first.code === 'MULTIPLE_DOCS' ? 'the file holds more than one YAML document (---); keep only one' : first.message;
    return fail([`YAML syntax error at line ${line}, column ${col}: ${what}`]);
  }
  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: MAX_ALIASES });
  } catch (err) {
    // toJS throws only Errors (unresolved alias, alias-count limit).
    return fail([`YAML error: ${(err as Error).message}`]);
  }
  if (data === null || data === undefined) {
    return fail(['the configuration is empty: expected a mapping with vehicle_id, log_directories, s3, upload and disk']);
  }
  return data;
}

/** `a.b: key appears twice (lines 3 and 8); keep one` for every key repeated in one mapping. */
function duplicateKeys(node: unknown, path: readonly (string | number)[], lines: LineCounter): string[] {
  const out: string[] = [];
  if (isMap(node)) {
    const seen = new Map<string, number>();
    for (const pair of node.items) {
      const key = isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
      const line = isScalar(pair.key) && pair.key.range ? lines.linePos(pair.key.range[0]).line : 0;
      const first = seen.get(key);
      if (first !== undefined) {
        out.push(`${formatPath([...path, key])}: key appears twice (lines ${first} and ${line}); keep one`);
      } else {
        seen.set(key, line);
      }
      out.push(...duplicateKeys(pair.value, [...path, key], lines));
    }
  } else if (isSeq(node)) {
    node.items.forEach((item, i) => out.push(...duplicateKeys(item, [...path, i], lines)));
  }
  return out;
}

function formatPath(path: readonly (string | number)[]): string {
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? p : `.${p}`)).join('');
}
