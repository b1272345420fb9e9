/**
 * Deletion passes asked for from outside the daemon (SIGUSR2: `tvm-upload cleanup` with a daemon
 * running), recorded so that the asking process — which may only read the state store — can wait
 * for *its* pass and print it. Each request gets a number and the time the daemon took it; once
 * the pass ends the entry gets its start and end, totals and filesystems. The files it deleted
 * are the audit rows written between start and end (passes never overlap: scheduler.ts), so the
 * entry itself stays small. The newest MAX_KEPT entries live in one meta row.
 *
 * It does not run passes or decide anything: the scheduler does; this only keeps the record.
 */
import type { Logger } from '../telemetry/logger.js';
import type { DeletionRepo } from './deletion-repo.js';
import type { FilesystemReport, PassReport } from './pass.js';

export const REQUESTED_PASSES_KEY = 'deletion.requested_passes';
/** Entries kept: enough for several cleanups asked at once; each is a few hundred bytes. */
export const MAX_KEPT = 20;

export interface RequestedPass {
  readonly seq: number;
  /** When the daemon took the request (after the signal arrived). */
  readonly requestedAt: number;
  readonly startedAt: number | null;
  /** Null while the pass waits or runs. */
  readonly finishedAt: number | null;
  readonly ageBasedRan: boolean;
  readonly deleted: number;
  readonly bytes: number;
  readonly notUploaded: number;
  readonly filesystems: readonly FilesystemReport[];
  /** Why the pass failed, or null. */
  readonly error: string | null;
}

export function parseRequestedPasses(text: string | null): RequestedPass[] {
  if (text === null) return [];
  try {
    const v = JSON.parse(text) as unknown;
    return Array.isArray(v) ? (v as RequestedPass[]).filter((e) => typeof e?.seq === 'number' && typeof e.requestedAt === 'number') : [];
  } catch {
    return []; // a damaged row: the next request starts a new list
  }
}

/** The newest request number recorded (0 when none): what a waiting `cleanup` reads before it signals. */
export function lastRequestSeq(entries: readonly RequestedPass[]): number {
  return entries.reduce((n, e) => Math.max(n, e.seq), 0);
}

/**
 * The pass that answers a request sent at `sentAt` after `afterSeq` was the newest: the first
 * entry numbered later and taken no earlier than the signal (another process's request that
 * arrived in between is not ours).
 */
export function answerTo(entries: readonly RequestedPass[], afterSeq: number, sentAt: number): RequestedPass | null {
  const ours = entries.filter((e) => e.seq > afterSeq && e.requestedAt >= sentAt).sort((a, b) => a.seq - b.seq);
  return ours[0] ?? null;
}

export class RequestedPasses {
  constructor(
    private readonly repo: Pick<DeletionRepo, 'getMeta' | 'setMeta'>,
    private readonly now: () => number,
    private readonly logger: Logger,
  ) {}

  /** Records the request, runs the pass, records how it ended; resolves or rejects as the pass does. */
  async run(pass: () => Promise<PassReport>): Promise<PassReport> {
    const seq = this.add();
    try {
      const r = await pass();
      this.complete(seq, {
        startedAt: r.startedAt, finishedAt: r.finishedAt, ageBasedRan: r.ageBasedRan, deleted: r.deletedCount, bytes: r.deletedBytes,
        notUploaded: r.notUploadedCount, filesystems: r.filesystems,
      });
      return r;
    } catch (err) {
      this.complete(seq, { finishedAt: this.now(), error: err instanceof Error ? err.message : String(err) });
      throw err;
    }
  }

  private add(): number {
    let seq = 0;
    this.update((list) => {
      seq = lastRequestSeq(list) + 1;
      const entry: RequestedPass = { seq, requestedAt: this.now(), startedAt: null, finishedAt: null, ageBasedRan: false, deleted: 0, bytes: 0, notUploaded: 0, filesystems: [], error: null };
      return [...list, entry].slice(-MAX_KEPT);
    });
    return seq;
  }

  private complete(seq: number, outcome: Partial<RequestedPass>): void {
    this.update((list) => list.map((e) => (e.seq === seq ? { ...e, ...outcome } : e)));
  }

  /** A store that refuses the write costs the waiting `cleanup` its answer, never the pass. */
  private update(change: (list: RequestedPass[]) => RequestedPass[]): void {
    try {
      this.repo.setMeta(REQUESTED_PASSES_KEY, JSON.stringify(change(parseRequestedPasses(this.repo.getMeta(REQUESTED_PASSES_KEY)))));
    } catch (err) {
      this.logger.warn({ err }, 'cannot record the requested deletion pass in the state store; a waiting `tvm-upload cleanup` will time out');
    }
  }
}
