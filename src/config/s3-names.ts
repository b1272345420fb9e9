/**
 * Naming rules the configuration checks before anything talks to S3 or CloudWatch: bucket names
 * (the general-purpose bucket rules AWS documents), CloudWatch namespaces and the `host:port`
 * of the metrics listener. Each check returns the rule broken, or null.
 */

const BUCKET_CHARS = /^[a-z0-9.-]+$/;
const RESERVED_PREFIXES = ['xn--', 'sthree-', 'amzn-s3-demo-'];
const RESERVED_SUFFIXES = ['-s3alias', '--ol-s3', '.mrap', '--x-s3', '--table-s3'];

export function bucketNameRule(name: string): string | null {
  if (name.length < 3 || name.length > 63) return 'is not a valid bucket name (3 to 63 characters)';
  if (!BUCKET_CHARS.test(name)) {
    const env = name.includes('$') ? '; environment variables are not expanded here' : '';
    return `is not a valid bucket name (only lower-case letters, digits, "." and "-"${env})`;
  }
  if (!/^[a-z0-9]/.test(name) || !/[a-z0-9]$/.test(name)) {
    return 'is not a valid bucket name (must begin and end with a letter or digit)';
  }
  if (name.includes('..')) return 'is not a valid bucket name (two adjacent dots)';
  if (isIpv4(name)) return 'is not a valid bucket name (formatted as an IP address)';
  const prefix = RESERVED_PREFIXES.find((p) => name.startsWith(p));
  if (prefix !== undefined) return `is not a valid bucket name (reserved prefix "${prefix}")`;
  const suffix = RESERVED_SUFFIXES.find((s) => name.endsWith(s));
  if (suffix !== undefined) return `is not a valid bucket name (reserved suffix "${suffix}")`;
  return null;
}

export function namespaceRule(ns: string): string | null {
  if (ns.length === 0 || ns.length > 255) return 'is not a valid CloudWatch namespace (1 to 255 characters)';
  if (!/^[\x20-\x7e]+$/.test(ns)) return 'is not a valid CloudWatch namespace (printable ASCII only)';
  if (ns.startsWith(':')) return 'is not a valid CloudWatch namespace (must not start with ":")';
  if (ns.startsWith('AWS/')) return 'is not a valid CloudWatch namespace ("AWS/" is reserved for AWS services)';
  return null;
}

export interface ListenAddress {
  readonly host: string;
  readonly port: number;
}

function isIpv4(text: string): boolean {
  const parts = text.split('.');
  return parts.length === 4 && parts.every((p) => /^\d{1,3}$/.test(p));
}

function isHostName(text: string): boolean {
  return /^[A-Za-z0-9.-]+$/.test(text) && /^[A-Za-z0-9]/.test(text) && /[A-Za-z0-9]$/.test(text);
}
const IPV6 = /^[0-9A-Fa-f:.]+$/;

/** `host:port` or `[v6]:port`; port 0 means any free port. Null when malformed. */
export function parseListen(text: string): ListenAddress | null {
  const m = /^(?:\[([^\]]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(text);
  if (!m) return null;
  const port = Number(m[3]);
  if (port > 65535) return null;
  if (m[1] !== undefined) return IPV6.test(m[1]) && m[1].includes(':') ? { host: m[1], port } : null;
  const host = m[2]!;
  return isHostName(host) ? { host, port } : null;
}

export function isLoopbackHost(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}
