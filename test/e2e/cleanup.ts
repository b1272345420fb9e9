/**
 * Removes everything one e2e run created in the account: every object under the run's prefix
 * (batch DeleteObjects), every multipart upload still open under it, and the run's CloudWatch
 * alarms. Each step runs even when an earlier one failed; problems are collected and reported
 * together, then a final listing proves the prefix is empty. Metric data cannot be deleted
 * (CloudWatch expires it); the unique VehicleId dimension keeps it apart from real vehicles.
 *
 * Permissions: s3:ListBucket, s3:DeleteObject, s3:ListBucketMultipartUploads,
 * s3:AbortMultipartUpload, cloudwatch:DescribeAlarms, cloudwatch:DeleteAlarms.
 */
import {
  AbortMultipartUploadCommand,
  DeleteObjectsCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  type S3Client,
} from '@aws-sdk/client-s3';
import { DeleteAlarmsCommand, DescribeAlarmsCommand, type CloudWatchClient } from '@aws-sdk/client-cloudwatch';

export interface CleanupTarget {
  readonly s3: Pick<S3Client, 'send'>;
  readonly cloudwatch: Pick<CloudWatchClient, 'send'>;
  readonly bucket: string;
  /** Ends with '/': `<vehicle_id>/`. */
  readonly prefix: string;
  readonly alarmNames: readonly string[];
  /** Keys per DeleteObjects request; default (and S3's maximum) 1000. */
  readonly batchSize?: number;
}

export interface CleanupReport {
  readonly objectsDeleted: number;
  /** DeleteObjects requests sent. */
  readonly deleteRequests: number;
  readonly uploadsAborted: number;
  readonly alarmsDeleted: readonly string[];
  /** Objects or uploads still under the prefix after cleanup (should be 0). */
  readonly leftOver: number;
  readonly problems: readonly string[];
}

/** DeleteObjects accepts at most 1000 keys per request. */
const DELETE_BATCH = 1000;

export async function listKeys(s3: Pick<S3Client, 'send'>, bucket: string, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  let token: string | undefined;
  do {
    const page = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }));
    for (const o of page.Contents ?? []) if (o.Key !== undefined) keys.push(o.Key);
    token = page.IsTruncated === true ? page.NextContinuationToken : undefined;
  } while (token !== undefined);
  return keys.sort();
}

export async function listOpenUploads(s3: Pick<S3Client, 'send'>, bucket: string, prefix: string): Promise<Array<{ key: string; uploadId: string }>> {
  const out: Array<{ key: string; uploadId: string }> = [];
  let keyMarker: string | undefined;
  let uploadIdMarker: string | undefined;
  for (;;) {
    const page = await s3.send(new ListMultipartUploadsCommand({ Bucket: bucket, Prefix: prefix, KeyMarker: keyMarker, UploadIdMarker: uploadIdMarker }));
    for (const u of page.Uploads ?? []) if (u.Key !== undefined && u.UploadId !== undefined) out.push({ key: u.Key, uploadId: u.UploadId });
    if (page.IsTruncated !== true) return out;
    keyMarker = page.NextKeyMarker;
    uploadIdMarker = page.NextUploadIdMarker;
  }
}

async function deleteObjects(t: CleanupTarget, problems: string[]): Promise<{ deleted: number; requests: number }> {
  const keys = await listKeys(t.s3, t.bucket, t.prefix);
  const size = Math.min(DELETE_BATCH, Math.max(1, t.batchSize ?? DELETE_BATCH));
  let deleted = 0;
  let requests = 0;
  for (let i = 0; i < keys.length; i += size) {
    const batch = keys.slice(i, i + size);
    requests += 1;
    const res = await t.s3.send(new DeleteObjectsCommand({ Bucket: t.bucket, Delete: { Objects: batch.map((Key) => ({ Key })), Quiet: true } }));
    const errors = res.Errors ?? [];
    for (const e of errors) problems.push(`DeleteObjects ${e.Key ?? '?'}: ${e.Code ?? ''} ${e.Message ?? ''}`.trim());
    deleted += batch.length - errors.length;
  }
  return { deleted, requests };
}

async function abortUploads(t: CleanupTarget, problems: string[]): Promise<number> {
  let aborted = 0;
  for (const u of await listOpenUploads(t.s3, t.bucket, t.prefix)) {
    try {
      await t.s3.send(new AbortMultipartUploadCommand({ Bucket: t.bucket, Key: u.key, UploadId: u.uploadId }));
      aborted += 1;
    } catch (err) {
      problems.push(`AbortMultipartUpload ${u.key}: ${message(err)}`);
    }
  }
  return aborted;
}

/** DeleteAlarms fails on names that do not exist, so only the ones DescribeAlarms finds are deleted. */
async function deleteAlarms(t: CleanupTarget): Promise<string[]> {
  if (t.alarmNames.length === 0) return [];
  const found = await t.cloudwatch.send(new DescribeAlarmsCommand({ AlarmNames: [...t.alarmNames] }));
  const names = [...(found.MetricAlarms ?? []), ...(found.CompositeAlarms ?? [])]
    .map((a) => a.AlarmName)
    .filter((n): n is string => n !== undefined && t.alarmNames.includes(n));
  if (names.length > 0) await t.cloudwatch.send(new DeleteAlarmsCommand({ AlarmNames: names }));
  return names;
}

function message(err: unknown): string {
  if (err instanceof Error) return `${err.name}: ${err.message}`;
  return String(err);
}

async function step<T>(what: string, problems: string[], fallback: T, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    problems.push(`${what}: ${message(err)}`);
    return fallback;
  }
}

/** Deletes the run's objects, open uploads and alarms; never throws (see `problems`). */
export async function cleanupRun(t: CleanupTarget): Promise<CleanupReport> {
  if (!t.prefix.endsWith('/') || t.prefix.length < 2) throw new Error(`refusing to clean up prefix ${JSON.stringify(t.prefix)}`);
  const problems: string[] = [];
  // Uploads first: an upload completing while objects are deleted would leave an object behind.
  const uploadsAborted = await step('aborting multipart uploads', problems, 0, () => abortUploads(t, problems));
  const objects = await step('deleting objects', problems, { deleted: 0, requests: 0 }, () => deleteObjects(t, problems));
  const alarmsDeleted = await step('deleting alarms', problems, [] as string[], () => deleteAlarms(t));
  const leftOver = await step('listing what is left', problems, -1, async () => {
    const keys = await listKeys(t.s3, t.bucket, t.prefix);
    const uploads = await listOpenUploads(t.s3, t.bucket, t.prefix);
    return keys.length + uploads.length;
  });
  return { objectsDeleted: objects.deleted, deleteRequests: objects.requests, uploadsAborted, alarmsDeleted, leftOver, problems };
}
