/**
 * Scans of one watched directory, serialised and coalesced: at most one runs and at most one
 * waits behind it, whatever the number of requests (a burst of watcher overflows, upload-now,
 * the rescan timer, a failed-state retry). Requests made while a scan runs are answered by the
 * single follow-up scan, which covers the widest of them (no age limit wins over one). So the
 * work, and the promise chain, stay bounded however slow a scan is.
 *
 *   request ─► idle?  ──yes──► run ─────────────────────────► done
 *                 └─no─► follow-up pending? ─yes─► join it (widen its age limit)
 *                                         └─no──► queue one follow-up after the running scan
 */
export type ScanKind = 'startup' | 'rescan';

export type RunScan = (kind: ScanKind, notBeforeMs: number | null) => Promise<void>;

interface FollowUp {
  kind: ScanKind;
  notBeforeMs: number | null;
  readonly done: Promise<void>;
}

export class ScanCoalescer {
  #running: Promise<void> | null = null;
  #next: FollowUp | null = null;

  constructor(private readonly run: RunScan) {}

  /** Resolves when a scan that started after this request (or this request's own) has finished. */
  request(kind: ScanKind, notBeforeMs: number | null): Promise<void> {
    if (this.#running === null) return this.#start(kind, notBeforeMs);
    if (this.#next !== null) {
      this.#next.notBeforeMs = widest(this.#next.notBeforeMs, notBeforeMs);
      if (kind === 'startup') this.#next.kind = kind;
      return this.#next.done;
    }
    const running = this.#running;
    const next: FollowUp = {
      kind,
      notBeforeMs,
      done: running.then(() => {
        this.#next = null;
        return this.#start(next.kind, next.notBeforeMs);
      }),
    };
    this.#next = next;
    return next.done;
  }

  get busy(): boolean {
    return this.#running !== null;
  }

  #start(kind: ScanKind, notBeforeMs: number | null): Promise<void> {
    const p = this.run(kind, notBeforeMs)
      .catch(() => undefined) // the scan reports its own failures; the chain must not reject
      .finally(() => {
        if (this.#running === p) this.#running = null;
      });
    this.#running = p;
    return p;
  }
}

/** null (no age limit) covers everything; otherwise the older limit covers more. */
function widest(a: number | null, b: number | null): number | null {
  return a === null || b === null ? null : Math.min(a, b);
}
