/** Deep merge for config trees in tests: objects merge key by key, arrays and scalars replace, `undefined` deletes a key. */
export function patched(base: Record<string, unknown>, patch: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(patch)) {
    const cur = out[k];
    if (v === undefined) delete out[k];
    else if (isPlain(v) && isPlain(cur)) out[k] = patched(cur, v);
    else out[k] = v;
  }
  return out;
}

function isPlain(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
