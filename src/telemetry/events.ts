/**
 * Typed telemetry: every notable thing the daemon does is one event, emitted here once. Each
 * event is logged (structured, with the file path and object key when known) and updates the
 * prom-client counters, so logs and metrics cannot disagree. Listeners (the CloudWatch batcher,
 * tests) subscribe to the same stream.
 */
import { Registry, Counter, Gauge, Histogram } from 'prom-client';
import { ErrorCodes } from '../errors.js';
import type { Logger } from './logger.js';
import { LINKS, type LinkKind } from '../link/link-kind.js';
import { PRIORITIES, type Priority } from '../priority/priority.js';

export type TelemetryEvent =
  | { type: 'file.queued'; path: string; source: string; size: number }
  | { type: 'file.uploaded'; path: string; key: string; source: string; sourceBytes: number; sentBytes: number; codec: string; level?: number; latencyMs: number; remoteSkip: boolean }
  | { type: 'file.failed'; path: string; key: string | null; code: string; message: string; attempts: number; retryInMs: number; retriability: string; hint: string | null }
  | { type: 'file.vanished'; path: string }
  | { type: 'file.changed'; path: string }
  | { type: 'scan.completed'; kind: 'startup' | 'rescan' | 'new-directory'; dir: string; seen: number; queued: number; ms: number }
  | { type: 'watch.error'; dir: string; message: string }
  | { type: 'key.taken'; path: string; key: string; remoteSha256: string }
  | { type: 'queue.depth'; queued: number; inFlight: number; oldestQueuedAt: number | null; bytesPending: number; byPriority?: QueueByPriority }
  | { type: 'file.deleted'; path: string; source: string; policy: string; reason: string; size: number; mtimeMs: number; uploaded: boolean; sha256: string | null }
  | { type: 'disk.usage'; path: string; usedPercent: number; availableBytes: number; totalBytes: number }
  | { type: 'deletion.pass'; trigger: string; deleted: number; bytes: number; notUploaded: number; ms: number }
  | { type: 'link.state'; link: LinkKind; cellularBytesUsed: number }
  | { type: 'upload.stalled'; timeoutSeconds: number };

/** Queued files and bytes per priority (sent only when priorities, links or markers are configured). */
export type QueueByPriority = Readonly<Record<Priority, { readonly files: number; readonly bytes: number }>>;

export type TelemetryListener = (e: TelemetryEvent) => void;

export class Telemetry {
  readonly registry = new Registry();
  private readonly listeners = new Set<TelemetryListener>();
  private readonly filesUploaded: Counter<'source' | 'codec'>;
  private readonly bytesSource: Counter<'source'>;
  private readonly bytesSent: Counter<'source'>;
  private readonly failures: Counter<'code'>;
  private readonly queued: Counter<'source'>;
  private readonly queueDepth: Gauge<'state'>;
  private readonly latency: Histogram;
  private readonly deletedFiles: Counter<'policy'>;
  private readonly deletedBytes: Counter<'policy'>;
  private readonly deletedNotUploaded: Counter<'policy'>;
  private readonly diskUsed: Gauge<'path'>;
  private readonly diskAvailable: Gauge<'path'>;
  private readonly link: Gauge<'link'>;
  private readonly cellularBytes: Gauge;
  private readonly stalls: Counter;
  private readonly queueByPriority: Gauge<'priority'>;
  private readonly bytesByPriority: Gauge<'priority'>;

  constructor(private readonly logger: Logger) {
    const registers = [this.registry];
    this.filesUploaded = new Counter({ name: 'tvm_upload_files_uploaded_total', help: 'Files uploaded (or found already uploaded)', labelNames: ['source', 'codec'], registers });
    this.bytesSource = new Counter({ name: 'tvm_upload_source_bytes_total', help: 'Source bytes of uploaded files', labelNames: ['source'], registers });
    this.bytesSent = new Counter({ name: 'tvm_upload_sent_bytes_total', help: 'Bytes sent to S3 (after compression)', labelNames: ['source'], registers });
    this.failures = new Counter({ name: 'tvm_upload_failures_total', help: 'Failed upload attempts by error code', labelNames: ['code'], registers });
    this.queued = new Counter({ name: 'tvm_upload_files_queued_total', help: 'Files recorded in the durable queue', labelNames: ['source'], registers });
    this.queueDepth = new Gauge({ name: 'tvm_upload_queue_files', help: 'Files in the durable queue', labelNames: ['state'], registers });
    this.deletedFiles = new Counter({ name: 'tvm_upload_deleted_files_total', help: 'Local files deleted by a deletion policy', labelNames: ['policy'], registers });
    this.deletedBytes = new Counter({ name: 'tvm_upload_deleted_bytes_total', help: 'Bytes of local files deleted by a deletion policy', labelNames: ['policy'], registers });
    this.deletedNotUploaded = new Counter({ name: 'tvm_upload_deleted_not_uploaded_total', help: 'Local files deleted before they were uploaded (critical disk, or age_based.include_not_uploaded)', labelNames: ['policy'], registers });
    this.diskUsed = new Gauge({ name: 'tvm_upload_log_disk_used_percent', help: 'Use% (as df shows it) of the filesystem holding each watched directory, at the last disk check of the deletion policies', labelNames: ['path'], registers });
    this.diskAvailable = new Gauge({ name: 'tvm_upload_disk_available_bytes', help: 'Bytes available on the filesystem holding each watched directory', labelNames: ['path'], registers });
    this.link = new Gauge({ name: 'tvm_upload_link', help: 'Current link (1 for the link in use; upload.links)', labelNames: ['link'], registers });
    this.cellularBytes = new Gauge({ name: 'tvm_upload_cellular_bytes_used', help: 'Bytes sent over cellular this calendar month', registers });
    this.stalls = new Counter({ name: 'tvm_upload_stalled_uploads_total', help: 'Uploads aborted after upload.stall_timeout_seconds without progress', registers });
    this.queueByPriority = new Gauge({ name: 'tvm_upload_queue_files_by_priority', help: 'Queued files per priority', labelNames: ['priority'], registers });
    this.bytesByPriority = new Gauge({ name: 'tvm_upload_queue_bytes_by_priority', help: 'Bytes of queued files per priority', labelNames: ['priority'], registers });
    this.latency = new Histogram({ name: 'tvm_upload_file_seconds', help: 'Time from dispatch to confirmed upload', buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300], registers });
  }

  on(listener: TelemetryListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  emit(e: TelemetryEvent): void {
    this.record(e);
    for (const l of this.listeners) {
      try {
        l(e);
      } catch (err) {
        this.logger.error({ err }, 'telemetry listener failed');
      }
    }
  }

  private record(e: TelemetryEvent): void {
    const log = this.logger;
    switch (e.type) {
      case 'file.queued':
        this.queued.inc({ source: e.source });
        log.debug({ path: e.path, source: e.source, size: e.size }, 'queued');
        return;
      case 'file.uploaded':
        this.filesUploaded.inc({ source: e.source, codec: e.codec });
        this.bytesSource.inc({ source: e.source }, e.sourceBytes);
        this.bytesSent.inc({ source: e.source }, e.sentBytes);
        this.latency.observe(e.latencyMs / 1000);
        log.info(
          { path: e.path, key: e.key, sourceBytes: e.sourceBytes, sentBytes: e.sentBytes, codec: e.codec, codecLevel: e.level || undefined, ms: Math.round(e.latencyMs), remoteSkip: e.remoteSkip || undefined },
          e.remoteSkip ? 'already in S3 with the same content, not re-sent' : 'uploaded',
        );
        return;
      case 'file.failed': {
        this.failures.inc({ code: e.code });
        const fields = { path: e.path, key: e.key ?? undefined, code: e.code, attempts: e.attempts, retryInS: Math.round(e.retryInMs / 1000), hint: e.hint ?? undefined };
        if (e.retriability === 'retriable') log.warn(fields, `upload failed, will retry: ${e.message}`);
        else log.error(fields, `upload failed: ${e.message}`);
        return;
      }
      case 'file.vanished':
        log.info({ path: e.path }, 'file disappeared before upload; removed from queue');
        return;
      case 'file.changed':
        log.debug({ path: e.path }, 'file changed while being processed; will upload once stable again');
        return;
      case 'scan.completed':
        log.info({ scan: e.kind, dir: e.dir, seen: e.seen, queued: e.queued, ms: Math.round(e.ms) }, `${e.kind} scan complete`);
        return;
      case 'watch.error':
        log.error({ dir: e.dir, code: ErrorCodes.WATCH_DIR }, `cannot watch directory: ${e.message}`);
        return;
      case 'key.taken':
        log.warn(
          { path: e.path, key: e.key, code: 'TVM_ERR_KEY_TAKEN', remoteSha256: e.remoteSha256 || undefined },
          'object key already holds other content in S3; not overwritten, writing the next version',
        );
        return;
      case 'queue.depth':
        this.queueDepth.set({ state: 'queued' }, e.queued);
        this.queueDepth.set({ state: 'in_flight' }, e.inFlight);
        for (const p of e.byPriority === undefined ? [] : PRIORITIES) {
          this.queueByPriority.set({ priority: p }, e.byPriority![p].files);
          this.bytesByPriority.set({ priority: p }, e.byPriority![p].bytes);
        }
        return;
      case 'link.state':
        for (const l of LINKS) this.link.set({ link: l }, l === e.link ? 1 : 0);
        this.cellularBytes.set(e.cellularBytesUsed);
        return;
      case 'upload.stalled':
        this.stalls.inc();
        log.warn({ timeoutS: e.timeoutSeconds }, 'an upload made no progress for upload.stall_timeout_seconds: aborted, retried from its checkpoint');
        return;
      case 'file.deleted': {
        this.deletedFiles.inc({ policy: e.policy });
        this.deletedBytes.inc({ policy: e.policy }, e.size);
        const fields = { path: e.path, policy: e.policy, reason: e.reason, size: e.size, mtime: new Date(e.mtimeMs).toISOString(), sha256: e.sha256 ?? undefined };
        if (e.uploaded) {
          log.info(fields, 'deleted local file (uploaded)');
        } else {
          this.deletedNotUploaded.inc({ policy: e.policy });
          log.warn(fields, 'deleted local file that was NOT uploaded');
        }
        return;
      }
      case 'disk.usage':
        this.diskUsed.set({ path: e.path }, e.usedPercent);
        this.diskAvailable.set({ path: e.path }, e.availableBytes);
        return;
      case 'deletion.pass':
        if (e.deleted > 0) log.info({ trigger: e.trigger, deleted: e.deleted, bytes: e.bytes, notUploaded: e.notUploaded, ms: Math.round(e.ms) }, 'deletion pass complete');
        else log.debug({ trigger: e.trigger, ms: Math.round(e.ms) }, 'deletion pass: nothing to delete');
        return;
    }
  }
}
