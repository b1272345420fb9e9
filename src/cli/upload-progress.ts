/**
 * What `upload-now` shows while a pass runs and what it prints at the end. Progress is read
 * from the state store (the same figures whether this process uploads or a daemon does), polled
 * every few hundred milliseconds:
 *  - on a terminal: one progress bar (files done/total, bytes, rate, ETA) from cli-progress;
 *  - otherwise: one line per file uploaded;
 *  - with --json: nothing until the one summary object.
 */
import { SingleBar } from 'cli-progress';
import { realClock, type Clock } from '../clock/clock.js';
import type { StateReader } from '../state/state-reader.js';
import { formatBytes, formatDuration } from './format.js';
import type { CliIo } from './io.js';

export type ProgressStyle = 'bar' | 'lines' | 'none';

export interface PassSummary {
  /** `one-shot`: this process uploaded; `daemon`: the running daemon did, this process followed. */
  readonly mode: 'one-shot' | 'daemon';
  readonly uploaded: number;
  readonly bytes: number;
  readonly failed: ReadonlyArray<{ path: string; attempts: number; code: string | null; error: string | null }>;
  /** Files still queued that did not fail (e.g. the pass was interrupted). */
  readonly remaining: number;
  /** Files modified within file_stable_seconds: not eligible yet. */
  readonly stillChanging: readonly string[];
  readonly seconds: number;
}

const POLL_MS = 300;

/** The pass's outcome, read from the store once it is over. */
export function passSummary(reader: StateReader, o: { mode: PassSummary['mode']; startedAt: number; now: number; stillChanging?: readonly string[] }): PassSummary {
  const done = reader.uploadedSince(o.startedAt);
  const failed = reader.retrying(10_000);
  const q = reader.queue();
  return {
    mode: o.mode,
    uploaded: done.files,
    bytes: done.bytes,
    failed,
    remaining: Math.max(0, q.queued + q.inFlight - failed.length),
    stillChanging: o.stillChanging ?? [],
    seconds: Math.round((o.now - o.startedAt) / 100) / 10,
  };
}

export function printSummary(io: CliIo, s: PassSummary, json: boolean): void {
  if (json) {
    io.out(JSON.stringify(s, null, 2));
    return;
  }
  io.out(`uploaded ${s.uploaded} file(s), ${formatBytes(s.bytes)} in ${formatDuration(s.seconds)}${s.mode === 'daemon' ? ' (by the running daemon)' : ''}`);
  for (const f of s.failed) io.out(`FAILED ${f.path}: ${f.code ?? 'error'}: ${f.error ?? 'unknown'} (${f.attempts} attempt(s); kept in the queue)`);
  if (s.remaining > 0) io.out(`${s.remaining} file(s) still queued (not attempted in this pass)`);
  for (const p of s.stillChanging) io.out(`skipped ${p}: still being written (modified within file_stable_seconds); run again later`);
}

/** Follows the store until stopped; returns a stop function that renders the last state. */
export function followProgress(io: CliIo, reader: StateReader, startedAt: number, style: ProgressStyle, clock: Clock = realClock): () => void {
  if (style === 'none') return () => undefined;
  const seen = new Set<string>();
  let bar: SingleBar | null = null;
  let lastAt = startedAt;
  const tick = (): void => {
    try {
      if (style === 'lines') {
        for (const f of reader.uploadedFilesSince(lastAt)) {
          const id = `${f.path}@${f.uploadedAt}`;
          if (seen.has(id)) continue;
          seen.add(id);
          lastAt = Math.max(lastAt, f.uploadedAt);
          io.out(`uploaded ${f.path} → ${f.objectKey ?? '?'} (${formatBytes(f.size)})`);
        }
        if (seen.size > 100_000) seen.clear();
        return;
      }
      const done = reader.uploadedSince(startedAt);
      const q = reader.queue();
      const total = done.files + q.queued + q.inFlight;
      const elapsed = Math.max(0.001, (Date.now() - startedAt) / 1000);
      const payload = { bytes: formatBytes(done.bytes), bytesTotal: formatBytes(done.bytes + q.bytesPending), rate: formatBytes(Math.round(done.bytes / elapsed)) };
      if (bar === null) {
        bar = new SingleBar({
          format: 'uploading [{bar}] {value}/{total} files | {bytes} of {bytesTotal} | {rate}/s | ETA {eta_formatted}',
          stream: process.stderr,
          hideCursor: true,
          etaBuffer: 20,
        });
        bar.start(total, done.files, payload);
      } else {
        bar.setTotal(total);
        bar.update(done.files, payload);
      }
    } catch {
      // A busy or vanished store shows as a frozen bar; the summary reports the outcome.
    }
  };
  tick();
  // Unreferenced (realClock): the poll is only a view and never keeps the command alive.
  const timer = clock.setInterval(tick, POLL_MS);
  return () => {
    clock.clearInterval(timer);
    tick();
    (bar as SingleBar | null)?.stop();
  };
}
