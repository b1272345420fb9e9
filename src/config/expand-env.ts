/**
 * Expansion of `~`, `$VAR` and `${VAR}` in path-like configuration values, and resolution of the
 * result to an absolute, normalised path.
 *
 * Differences from the reference (which ran `expanduser` + `expandvars` over every string):
 * - only path-like values are expanded (callers decide which);
 * - an undefined variable is a problem, never left in the path literally;
 * - `$$` is a literal `$`; a `$` not followed by a name, `{` or `$` stays as it is;
 * - `~` is expanded only as the whole value or before the first `/`; `~user` is rejected.
 * Pure: the environment, home directory and base directory are passed in.
 */
import path from 'node:path';

export interface ExpandContext {
  readonly env: NodeJS.ProcessEnv;
  readonly homedir: string;
}

export type Expanded = { readonly ok: true; readonly value: string } | { readonly ok: false; readonly problems: string[] };

const NAME_PREFIX = /^[A-Za-z_][A-Za-z0-9_]*/;
const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Expands `~` (at the start only) and environment variables; every problem is reported. */
export function expandVariables(raw: string, ctx: ExpandContext, allowTilde = true): Expanded {
  const problems: string[] = [];
  let text = raw;
  if (allowTilde && text.startsWith('~')) {
    if (text === '~' || text.startsWith('~/')) {
      text = ctx.homedir + text.slice(1);
    } else {
      problems.push(`${JSON.stringify(raw)} starts with ~user, which is not supported (only ~ or ~/ for the daemon's home)`);
    }
  }
  let out = '';
  let i = 0;
  while (i < text.length) {
    const ch = text[i];
    if (ch !== '$') {
      out += ch;
      i++;
      continue;
    }
    const next = text[i + 1];
    if (next === '$') {
      out += '$';
      i += 2;
      continue;
    }
    if (next === '{') {
      const close = text.indexOf('}', i + 2);
      const name = close < 0 ? '' : text.slice(i + 2, close);
      if (close < 0 || !NAME.test(name)) {
        problems.push(`${JSON.stringify(raw)} has a malformed \${…} reference (write \${NAME} with letters, digits and _, or $$ for a literal $)`);
        break;
      }
      out += lookup(name, `\${${name}}`, raw, ctx, problems);
      i = close + 1;
      continue;
    }
    const m = NAME_PREFIX.exec(text.slice(i + 1));
    if (!m) {
      out += '$';
      i++;
      continue;
    }
    out += lookup(m[0], `$${m[0]}`, raw, ctx, problems);
    i += 1 + m[0].length;
  }
  return problems.length > 0 ? { ok: false, problems } : { ok: true, value: out };
}

/** The variable's value; an undefined one adds a problem naming it as written. */
function lookup(name: string, written: string, raw: string, ctx: ExpandContext, problems: string[]): string {
  const value = ctx.env[name];
  if (value === undefined) {
    problems.push(`undefined environment variable ${written} in ${JSON.stringify(raw)}`);
    return '';
  }
  return value;
}

/**
 * Expands a path and makes it absolute: relative results are resolved against `baseDir` (the
 * config file's directory) or rejected when there is none. Trailing slashes, `.`, `..` and
 * doubled separators are normalised away; symlinks are not resolved (no file-system access).
 */
export function expandPath(raw: string, ctx: ExpandContext, baseDir: string | null): Expanded {
  const expanded = expandVariables(raw, ctx);
  if (!expanded.ok) return expanded;
  const value = expanded.value;
  if (value.length === 0) return { ok: false, problems: [`${JSON.stringify(raw)} is empty after expansion`] };
  if (value.includes('\0')) return { ok: false, problems: [`${JSON.stringify(raw)} contains a NUL character`] };
  if (path.isAbsolute(value)) return { ok: true, value: path.resolve(value) };
  if (baseDir === null) {
    return { ok: false, problems: [`${JSON.stringify(raw)} is not an absolute path (relative paths are only allowed in a config file, relative to its directory)`] };
  }
  return { ok: true, value: path.resolve(baseDir, value) };
}
