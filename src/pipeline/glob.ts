/**
 * fnmatch-style globs on a file's basename, as the Python reference matched `pattern`:
 * `*` any run of characters, `?` one character, `[abc]`, `[a-z]`, `[!abc]` classes; every other
 * character literal; case-sensitive (Linux). Compiled once per directory entry.
 */

export type BasenameMatcher = (basename: string) => boolean;

export function compileGlob(pattern: string | null): BasenameMatcher {
  if (pattern === null) return () => true;
  // eslint-disable-next-line security/detect-non-literal-regexp -- built from escaped pieces below
  const re = new RegExp(`^${translate(pattern)}$`, 's');
  return (basename) => re.test(basename);
}

function escapeRe(ch: string): string {
  return ch.replace(/[\\^$.*+?()[\]{}|/-]/g, '\\$&');
}

function translate(pattern: string): string {
  let out = '';
  let i = 0;
  while (i < pattern.length) {
    const ch = pattern.charAt(i);
    i++;
    if (ch === '*') {
      out += '.*';
    } else if (ch === '?') {
      out += '.';
    } else if (ch === '[') {
      // Like fnmatch: a '[' without a closing ']' is literal; ']' right after '[' or '[!' is literal.
      let j = i;
      if (pattern.charAt(j) === '!') j++;
      if (pattern.charAt(j) === ']') j++;
      while (j < pattern.length && pattern.charAt(j) !== ']') j++;
      if (j >= pattern.length) {
        out += '\\[';
        continue;
      }
      let body = pattern.slice(i, j);
      i = j + 1;
      let negate = false;
      if (body.startsWith('!')) {
        negate = true;
        body = body.slice(1);
      }
      const cls = body.replace(/\\/g, '\\\\').replace(/\^/g, '\\^').replace(/\[/g, '\\[').replace(/]/g, '\\]');
      out += `[${negate ? '^' : ''}${cls}]`;
    } else {
      out += escapeRe(ch);
    }
  }
  return out;
}
