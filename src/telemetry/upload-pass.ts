/**
 * The record of the latest upload pass (`upload-now`), kept in the meta table under
 * `upload_pass` so that another process can follow it: `upload-now` asking a running daemon
 * waits for a pass numbered after the one it saw before signalling, and a second `upload-now`
 * can tell that a one-shot already holds the store. Passes may overlap (two requests in quick
 * succession); each finishes only its own record, so a waiter never sees an earlier pass's end
 * as its own.
 */

export const UPLOAD_PASS_META_KEY = 'upload_pass';

export interface UploadPassRecord {
  readonly seq: number;
  readonly pid: number;
  /** True for a standalone `upload-now` (no daemon): it holds the store until it ends. */
  readonly oneShot: boolean;
  readonly startedAt: number;
  readonly finishedAt: number | null;
}

export function parseUploadPass(text: string | null): UploadPassRecord | null {
  if (text === null) return null;
  try {
    const v = JSON.parse(text) as Partial<UploadPassRecord>;
    if (!Number.isInteger(v.seq) || !Number.isInteger(v.pid) || !Number.isFinite(v.startedAt)) return null;
    return {
      seq: v.seq as number,
      pid: v.pid as number,
      oneShot: v.oneShot === true,
      startedAt: v.startedAt as number,
      finishedAt: typeof v.finishedAt === 'number' ? v.finishedAt : null,
    };
  } catch {
    return null;
  }
}

export interface PassMeta {
  get(key: string): string | null;
  set(key: string, value: string): void;
}

export class UploadPasses {
  constructor(
    private readonly meta: PassMeta,
    private readonly o: { readonly pid: number; readonly oneShot: boolean; readonly now: () => number },
  ) {}

  /** Records a new pass as started; returns its number. */
  begin(): number {
    const seq = (parseUploadPass(this.meta.get(UPLOAD_PASS_META_KEY))?.seq ?? 0) + 1;
    this.write({ seq, pid: this.o.pid, oneShot: this.o.oneShot, startedAt: this.o.now(), finishedAt: null });
    return seq;
  }

  /** Marks pass `seq` finished, unless a later pass has begun since (that one finishes itself). */
  finish(seq: number): void {
    const current = parseUploadPass(this.meta.get(UPLOAD_PASS_META_KEY));
    if (current === null || current.seq !== seq) return;
    this.write({ ...current, finishedAt: this.o.now() });
  }

  private write(r: UploadPassRecord): void {
    this.meta.set(UPLOAD_PASS_META_KEY, JSON.stringify(r));
  }
}
