/**
 * Reads which interface carries the default route from Linux's /proc/net/route: a header line,
 * then one tab-separated line per route (Iface, Destination, Gateway, Flags, RefCnt, Use, Metric,
 * Mask, …) with addresses as little-endian hex. A default route has Destination and Mask
 * 00000000 and the RTF_UP flag; among several (Wi-Fi and LTE both up) the lowest Metric is the
 * one the kernel uses. No default route → null (offline).
 */

const RTF_UP = 0x1;

export function defaultRouteInterface(text: string): string | null {
  let best: { iface: string; metric: number } | null = null;
  const lines = text.split('\n');
  const header = (lines[0] ?? '').trim().split(/\s+/);
  const col = (name: string, fallback: number): number => {
    const i = header.indexOf(name);
    return i >= 0 ? i : fallback;
  };
  const iIface = col('Iface', 0);
  const iDest = col('Destination', 1);
  const iFlags = col('Flags', 3);
  const iMetric = col('Metric', 6);
  const iMask = col('Mask', 7);
  for (const line of lines.slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length <= Math.max(iIface, iDest, iFlags, iMetric, iMask)) continue;
    if (Number(`0x${f[iDest]}`) !== 0 || Number(`0x${f[iMask]}`) !== 0) continue;
    if ((Number.parseInt(f[iFlags]!, 16) & RTF_UP) === 0) continue;
    const metric = Number(f[iMetric]);
    if (best === null || metric < best.metric) best = { iface: f[iIface]!, metric };
  }
  return best?.iface ?? null;
}
