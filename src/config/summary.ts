/**
 * The human summary `tvm-upload check-config` prints: what the daemon will do with this
 * configuration, one topic per line, followed by the warnings collected while loading. Plain
 * text for a terminal; no colours, no logging.
 */
import type { Config, LogDirectory, Schedule, UploadConfig } from './types.js';
import { formatTimeOfDay } from './times.js';

const LABEL_WIDTH = 18;

function line(label: string, text: string): string {
  return `${`${label}:`.padEnd(LABEL_WIDTH)} ${text}`;
}

function more(text: string): string {
  return `${' '.repeat(LABEL_WIDTH)} ${text}`;
}

function plural(n: number, unit: string): string {
  return `${n} ${unit}${n === 1 ? '' : 's'}`;
}

function describeSchedule(s: Schedule): string {
  if (s.mode === 'daily') return `daily at ${formatTimeOfDay(s.dailyTime)}`;
  const h = Math.floor(s.intervalMinutes / 60);
  const m = s.intervalMinutes - h * 60;
  const parts = [h > 0 ? `${h} h` : '', m > 0 ? `${m} min` : ''].filter((p) => p !== '');
  return `every ${parts.join(' ')}`;
}

function describeHours(up: UploadConfig): string {
  const oh = up.operationalHours;
  if (!oh.enabled) return 'off (files are uploaded as soon as they are stable, at any time)';
  const window = `${formatTimeOfDay(oh.start)}-${formatTimeOfDay(oh.end)}`;
  const overnight = oh.end < oh.start ? ' (overnight window, crosses midnight)' : '';
  return `${window}${overnight}; immediate uploads only inside this window`;
}

function describeDirectory(d: LogDirectory, i: number): string {
  const scope = d.recursive ? 'recursive' : 'top level only';
  const pattern = d.pattern === null ? 'all files' : `pattern ${JSON.stringify(d.pattern)}`;
  const deletion = d.allowDeletion ? 'deletion allowed' : 'never deleted';
  const legacy = d.legacy ? ', source guessed (legacy entry)' : '';
  return `  [${i}] ${d.source} <- ${d.path} (${scope}, ${pattern}, ${deletion}${legacy})`;
}

function describeS3(c: Config): string[] {
  const s3 = c.s3;
  const endpoint = s3.endpoint === null ? 'AWS (or AWS_ENDPOINT_URL)' : s3.endpoint;
  const style = s3.forcePathStyle ? 'path-style' : 'virtual-hosted';
  const profile = s3.profile === null ? 'default credential chain' : `profile ${s3.profile}`;
  const sse = s3.serverSideEncryption === null
    ? 'bucket default'
    : s3.serverSideEncryption + (s3.kmsKeyId === null ? '' : ` (key ${s3.kmsKeyId})`);
  return [
    line('s3', `s3://${s3.bucket}/${c.vehicleId}/ in ${s3.region}`),
    more(`endpoint ${endpoint}, ${style} addressing, ${profile}`),
    more(`storage class ${s3.storageClass ?? 'bucket default'}, encryption ${sse}`),
  ];
}

function describeTransfer(up: UploadConfig): string[] {
  const comp = up.compression;
  const raised = comp.maxLevel > comp.level ? ` (up to ${comp.maxLevel} while the upload is capped, within ${comp.cpuBudgetPercent} % of a core)` : '';
  const codec = comp.codec === 'none' ? 'no compression' : `${comp.codec} level ${comp.level}${raised}`;
  const skip = comp.skipExtensions.length === 0 ? 'nothing' : comp.skipExtensions.join(' ');
  const bw = up.bandwidth.maxBytesPerSecond;
  const bandwidth = bw === null ? 'unlimited' : `${(bw * 8) / 1e6} Mbit/s (${Math.round(bw)} bytes/s)`;
  return [
    line('concurrency', `${up.concurrency} files at once, ${up.workers} compression worker${up.workers === 1 ? '' : 's'}`),
    more(`multipart parts of ${up.partSizeMb} MiB, ${up.partConcurrency} per file (at most ${up.concurrency * up.partConcurrency} parts in flight)`),
    line('compression', `${codec}; stored as-is: ${skip}`),
    line('retry', `${up.retry.maxAttempts} attempts, backoff ${up.retry.baseSeconds} s up to ${up.retry.maxSeconds} s`),
    line('bandwidth', bandwidth),
  ];
}

/** Issue-17 keys, only when set (a file without them summarises exactly as before). */
function describeLinkPolicy(up: UploadConfig): string[] {
  const out: string[] = [];
  const rate = (b: number | null): string => (b === null ? 'no cap' : `${Math.round(b)} bytes/s`);
  if (up.bandwidth.schedule !== undefined) out.push(line('bandwidth timetable', up.bandwidth.schedule.map((e) => e.text).join(' ')));
  if (up.stallTimeoutSeconds !== 120) out.push(line('stall timeout', up.stallTimeoutSeconds === 0 ? 'off' : `${up.stallTimeoutSeconds} s without progress`));
  const l = up.links;
  if (l !== undefined) {
    out.push(line('link probe', `${l.probeCommand === null ? l.routeFile : `command ${l.probeCommand}`}, every ${l.probeIntervalSeconds} s`));
    for (const [link, p] of Object.entries(l.policy)) out.push(more(`${link}: ${p.minPriority} and above, ${rate(p.bytesPerSecond)}`));
    if (l.cellularBudgetBytesPerMonth !== null) out.push(more(`cellular budget ${l.cellularBudgetBytesPerMonth / 1e6} MB a month (80 %: high only)`));
  }
  if (up.markers !== undefined) out.push(line('marker files', `${up.markers.pattern} (window −${up.markers.beforeMs / 1000} s … +${up.markers.afterMs / 1000} s)`));
  return out;
}

function describeDeletion(c: Config): string[] {
  const d = c.deletion;
  const after = d.afterUpload.enabled
    ? d.afterUpload.keepDays === 0 ? 'right after upload' : `${plural(d.afterUpload.keepDays, 'day')} after upload`
    : 'off';
  const age = d.ageBased.enabled
    ? `${d.ageBased.includeNotUploaded ? 'files (uploaded or NOT)' : 'files'} older than ${plural(d.ageBased.maxAgeDays, 'day')}, daily at ${formatTimeOfDay(d.ageBased.scheduleTime)}`
    : 'off';
  return [
    line('delete uploaded', after),
    line('age-based cleanup', age),
    line('emergency cleanup', d.emergency.enabled ? 'on' : 'off'),
  ];
}

export function summarizeConfig(c: Config): string {
  const up = c.upload;
  const percent = (x: number): string => `${Math.round(x * 1000) / 10} %`;
  const scan = up.scanExistingFiles.enabled
    ? `scan files up to ${up.scanExistingFiles.maxAgeDays === 0 ? 'any age' : plural(up.scanExistingFiles.maxAgeDays, 'day') + ' old'}`
    : 'no scan';
  const m = c.monitoring;
  const out = [
    `tvm-upload configuration${c.sourceFile === null ? '' : ` from ${c.sourceFile}`}`,
    line('vehicle id', c.vehicleId),
    ...describeS3(c),
    line('log directories', `${c.logDirectories.length} ${c.logDirectories.length === 1 ? 'directory' : 'directories'}`),
    ...c.logDirectories.map(describeDirectory),
    line('schedule', describeSchedule(up.schedule)),
    line('operational hours', describeHours(up)),
    line('batch upload', up.batchUpload.enabled
      ? 'on (inside the window the whole queue drains)'
      : 'off (inside the window only files that became ready there upload; the rest wait for a pass)'),
    line('stability', `${up.fileStableSeconds} s without change`),
    line('start-up', `${scan}; ${up.uploadOnStart ? 'upload at start' : 'wait for the schedule'}`),
    line('rescan', up.rescanIntervalSeconds === 0 ? 'off' : `every ${up.rescanIntervalSeconds} s`),
    line('shutdown', `in-flight uploads get ${up.shutdownDeadlineSeconds} s, then resume at the next start`),
    ...describeTransfer(up),
    ...describeLinkPolicy(up),
    ...describeDeletion(c),
    line('disk', `keep ${c.disk.reservedGb} GB free; warning at ${percent(c.disk.warningThreshold)}, critical at ${percent(c.disk.criticalThreshold)}`),
    line('cloudwatch', m.cloudwatchEnabled ? `on, namespace ${m.namespace}, every ${m.publishIntervalSeconds} s` : 'off'),
    line(
      'alarms',
      m.cloudwatchEnabled
        ? `low upload < ${m.alarms.lowUploadThresholdMb} MB/day for ${m.alarms.evaluationPeriods} days; ≥ ${m.alarms.uploadFailuresThreshold} failures/hour; backlog older than ${m.alarms.backlogThresholdHours} h`
        : 'off (cloudwatch off)',
    ),
    line('http status', m.http.enabled ? `on at ${m.http.listen}` : 'off'),
    line('state dir', c.stateDir),
    line('legacy import', `queue ${up.queueFile}, registry ${up.processedFilesRegistry.registryFile} (entries kept ${plural(up.processedFilesRegistry.retentionDays, 'day')})`),
    line('s3 lifecycle', `${plural(c.s3Lifecycle.retentionDays, 'day')} (informational; set the bucket rule in S3)`),
  ];
  if (c.warnings.length === 0) out.push('warnings: none');
  else out.push(`warnings (${c.warnings.length}):`, ...c.warnings.map((w) => `  - ${w}`));
  return out.join('\n');
}
