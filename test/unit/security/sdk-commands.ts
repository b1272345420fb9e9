// Finds which AWS SDK operations the daemon's source can call, by reading the files as text:
// every `new XxxCommand(` whose class is imported from an `@aws-sdk/*` package (named imports,
// aliases, multi-line imports and `import * as ns` all count; type-only imports cannot be
// instantiated and are ignored). Also reports the SDK's aggregated clients (`new S3(`), whose
// methods would call operations this text scan cannot see. Read at test time, so the check
// follows the source as it changes.
import fs from 'node:fs';
import path from 'node:path';

/** IAM actions each SDK operation needs. Add a row (and the action to docs/iam-policy.json) for a new command. */
export const IAM_ACTIONS: Readonly<Record<string, readonly string[]>> = {
  // @aws-sdk/client-s3
  PutObjectCommand: ['s3:PutObject'],
  CreateMultipartUploadCommand: ['s3:PutObject'],
  UploadPartCommand: ['s3:PutObject'],
  CompleteMultipartUploadCommand: ['s3:PutObject'],
  AbortMultipartUploadCommand: ['s3:AbortMultipartUpload'],
  ListPartsCommand: ['s3:ListMultipartUploadParts'],
  ListMultipartUploadsCommand: ['s3:ListBucketMultipartUploads'],
  // HEAD of an object is authorised as GetObject; HEAD of the bucket as ListBucket.
  HeadObjectCommand: ['s3:GetObject'],
  GetObjectCommand: ['s3:GetObject'],
  HeadBucketCommand: ['s3:ListBucket'],
  ListObjectsV2Command: ['s3:ListBucket'],
  DeleteObjectCommand: ['s3:DeleteObject'],
  PutObjectTaggingCommand: ['s3:PutObjectTagging'],
  // @aws-sdk/client-cloudwatch
  PutMetricDataCommand: ['cloudwatch:PutMetricData'],
  PutMetricAlarmCommand: ['cloudwatch:PutMetricAlarm'],
  DescribeAlarmsCommand: ['cloudwatch:DescribeAlarms'],
  DeleteAlarmsCommand: ['cloudwatch:DeleteAlarms'],
  ListMetricsCommand: ['cloudwatch:ListMetrics'],
};

/** Classes that perform no operation themselves (clients are configured, commands are sent through them). */
const NOT_OPERATIONS = /Client$|Exception$|Error$/;
/** Aggregated clients: `new S3(...).putObject()` calls operations by method name, invisible here. */
const AGGREGATED = new Set(['S3', 'CloudWatch']);

export interface SdkUse {
  readonly file: string;
  /** The SDK class name (alias resolved). */
  readonly name: string;
  readonly module: string;
}

export interface ScanResult {
  readonly commands: SdkUse[];
  readonly aggregated: SdkUse[];
}

const escape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Scans one file's text. */
export function scanSource(file: string, text: string): ScanResult {
  const commands: SdkUse[] = [];
  const aggregated: SdkUse[] = [];
  const record = (name: string, module: string): void => {
    if (AGGREGATED.has(name)) aggregated.push({ file, name, module });
    else if (!NOT_OPERATIONS.test(name)) commands.push({ file, name, module });
  };
  const named = /import\s+(type\b)?\s*\{([^}]*)\}\s*from\s*['"](@aws-sdk\/[^'"]+)['"]/g;
  for (const m of text.matchAll(named)) {
    if (m[1] !== undefined) continue;
    const module = m[3]!;
    for (const raw of m[2]!.split(',')) {
      const spec = raw.replace(/\/\/.*$|\/\*[\s\S]*?\*\//gm, '').trim();
      if (spec === '' || spec.startsWith('type ')) continue;
      const [imported, local = imported] = spec.split(/\s+as\s+/).map((s) => s.trim());
      if (imported === undefined || local === undefined) continue;
      if (new RegExp(`\\bnew\\s+${escape(local)}\\s*\\(`).test(text)) record(imported, module);
    }
  }
  const namespaces = /import\s+\*\s+as\s+(\w+)\s+from\s*['"](@aws-sdk\/[^'"]+)['"]/g;
  for (const m of text.matchAll(namespaces)) {
    const uses = new RegExp(`\\bnew\\s+${escape(m[1]!)}\\.(\\w+)\\s*\\(`, 'g');
    for (const u of text.matchAll(uses)) record(u[1]!, m[2]!);
  }
  return { commands, aggregated };
}

/** Every .ts file under `dir`, recursively. */
export function sourceFiles(dir: string): string[] {
  return (fs.readdirSync(dir, { recursive: true }) as string[])
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'))
    .map((f) => path.join(dir, f))
    .sort();
}

export function scanTree(dir: string): ScanResult {
  const commands: SdkUse[] = [];
  const aggregated: SdkUse[] = [];
  for (const file of sourceFiles(dir)) {
    const r = scanSource(path.relative(path.dirname(dir), file), fs.readFileSync(file, 'utf8'));
    commands.push(...r.commands);
    aggregated.push(...r.aggregated);
  }
  return { commands, aggregated };
}

/** The IAM actions `uses` need; throws naming every command missing from IAM_ACTIONS. */
export function requiredActions(uses: readonly SdkUse[]): Set<string> {
  const unknown = uses.filter((u) => IAM_ACTIONS[u.name] === undefined);
  if (unknown.length > 0) {
    const list = unknown.map((u) => `${u.name} (${u.module}, ${u.file})`).join(', ');
    throw new Error(`unknown AWS SDK command ${list}: add it to the table and the policy (test/unit/security/sdk-commands.ts IAM_ACTIONS, docs/iam-policy.json)`);
  }
  return new Set(uses.flatMap((u) => IAM_ACTIONS[u.name]!));
}
