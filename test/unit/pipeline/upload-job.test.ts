import { expect } from 'chai';
import { writeFileSync, existsSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { buildObjectKey } from '../../../src/sinks/s3/object-key.js';
import { RetryPolicy } from '../../../src/sinks/retry.js';
import { createUploadJob, MAX_TAKEN_KEYS_PER_ATTEMPT, PERMANENT_RETRY_MS, type JobKeys, type UploadJobDeps, type UploadRequest } from '../../../src/pipeline/upload-job.js';
import { ErrorCodes, TvmError } from '../../../src/errors.js';
import { Telemetry, type TelemetryEvent } from '../../../src/telemetry/events.js';
import { silentLogger } from '../../../src/telemetry/logger.js';
import type { CompressRequest, CompressResult } from '../../../src/workers/protocol.js';
import type { FileRecord } from '../../../src/state/types.js';
import { KeptCompressions } from '../../../src/pipeline/kept-compressions.js';
import type { IssueInput } from '../../../src/state/key-repo.js';
import { record } from '../../support/fakes.js';
import { tempDir, removeDir } from '../../support/temp-dir.js';

function result(job: CompressRequest, over: Partial<CompressResult> = {}): CompressResult {
  writeFileSync(job.outputPath, 'compressed');
  return {
    kind: 'compressed',
    codec: 'gzip',
    storedReason: null,
    uploadPath: job.outputPath,
    sourceSize: job.expectedSize,
    sourceMtimeMs: job.expectedMtimeMs,
    sourceSha256: 'ab'.repeat(32),
    outputSize: 10,
    outputSha256: 'x',
    outputMd5: 'y',
    partMd5s: ['y'],
    elapsedMs: 1,
    ...over,
  };
}

function fakeKeys(over: Partial<JobKeys> = {}): JobKeys {
  return { issue: (i) => ({ key: i.base, stored: false, unconfirmed: false }), lastStored: () => null, markTaken: () => undefined, ...over };
}

const classify = (e: unknown): TvmError => (e instanceof TvmError ? e : new TvmError(ErrorCodes.S3_TRANSIENT, String(e)));

/** The real policy's decisions with a predictable backoff: attempt n waits n seconds. */
class LinearRetry extends RetryPolicy {
  override nextDelayMs(attempt: number): number {
    return attempt * 1000;
  }
}

function setup(over: Partial<UploadJobDeps> = {}) {
  const spoolDir = tempDir('tvm-job-');
  const calls: string[] = [];
  const events: TelemetryEvent[] = [];
  const telemetry = new Telemetry(silentLogger());
  telemetry.on((e) => events.push(e));
  let failed: { id: number; r: { error: string; code: string; nextAttemptAt: number } } | null = null;
  const uploads: UploadRequest[] = [];
  const deps: UploadJobDeps = {
    files: {
      markUploaded: (id, r) => calls.push(`uploaded:${id}:${r.objectKey}`),
      markFailed: (id, r) => {
        failed = { id, r };
        calls.push(`failed:${id}:${r.code}`);
        return record(id, { attempts: 1 });
      },
      remove: (id) => calls.push(`removed:${id}`),
      release: (id) => calls.push(`released:${id}`),
    },
    keys: fakeKeys({ markTaken: (key) => void calls.push(`taken:${key}`) }),
    compress: async (job) => result(job),
    upload: async (req) => {
      uploads.push(req);
      return { skipped: false, bytesSent: 10 };
    },
    objectKey: (r: FileRecord, codec) => `veh/2026-11-30/${r.source}/${r.relPath}${codec === 'gzip' ? '.gz' : ''}`,
    classify,
    retry: new LinearRetry({ maxAttempts: 10, baseSeconds: 1, maxSeconds: 3600 }, Math.random, { classify, settleMs: 2000 }),
    telemetry,
    stat: () => ({ size: 10, mtimeMs: 1000 }),
    now: () => 5000,
    spoolDir,
    compression: { codec: 'gzip', level: 6, skipExtensions: [] },
    partSize: 8 * 1024 * 1024,
    keysKnownSince: () => -30 * 86_400_000,
    ...over,
  };
  return { deps, calls, events, uploads, spoolDir, failed: () => failed, cleanup: () => removeDir(spoolDir) };
}

describe('pipeline/upload-job', () => {
  it('compresses, uploads under the reference key and records the upload', async () => {
    const s = setup();
    await createUploadJob(s.deps)(record(7), new AbortController().signal);
    expect(s.calls).to.deep.equal(['uploaded:7:veh/2026-11-30/ros/f7.log.gz']);
    expect(s.uploads[0]!.key).to.equal('veh/2026-11-30/ros/f7.log.gz');
    const up = s.events.find((e) => e.type === 'file.uploaded');
    expect(up).to.deep.include({ path: '/logs/f7.log', sourceBytes: 10, sentBytes: 10, codec: 'gzip' });
    expect(existsSync(join(s.spoolDir, '7.gz')), 'spool file removed').to.equal(false);
    s.cleanup();
  });

  it('compresses at the level the level policy chooses for the file, hands that level to the upload and reports what it achieved', async () => {
    const chosen: number[] = [];
    const observed: unknown[] = [];
    const requested: number[] = [];
    const s = setup({
      levels: { choose: (rec) => (chosen.push(rec.id), 8), observe: (x) => void observed.push(x) },
      compress: async (job) => (requested.push(job.level), result(job, { sourceSize: 4096, outputSize: 700, elapsedMs: 3 })),
      stat: () => ({ size: 4096, mtimeMs: 1000 }),
    });
    await createUploadJob(s.deps)(record(7), new AbortController().signal);
    expect(chosen).to.deep.equal([7]);
    expect(requested).to.deep.equal([8]);
    expect(s.uploads[0]!.level).to.equal(8);
    expect(observed).to.deep.equal([{ level: 8, sourceBytes: 4096, outputBytes: 700, elapsedMs: 3 }]);
    expect(s.events.find((e) => e.type === 'file.uploaded')).to.deep.include({ codec: 'gzip', level: 8 });
    s.cleanup();
  });

  it('reports level 0 for a file the worker stored as is, and learns nothing from it', async () => {
    const observed: unknown[] = [];
    const s = setup({
      levels: { choose: () => 8, observe: (x) => void observed.push(x) },
      compress: async (job) => result(job, { codec: 'none', storedReason: 'incompressible' }),
    });
    await createUploadJob(s.deps)(record(7), new AbortController().signal);
    expect(s.uploads[0]!.level).to.equal(0);
    expect(observed).to.deep.equal([]);
    expect(s.events.find((e) => e.type === 'file.uploaded')).to.not.have.property('level');
    s.cleanup();
  });

  it('uses the configured level when no level policy is given', async () => {
    const s = setup({ compress: async (job) => (expect(job.level).to.equal(6), result(job)) });
    await createUploadJob(s.deps)(record(7), new AbortController().signal);
    expect(s.uploads[0]!.level).to.equal(6);
    s.cleanup();
  });

  describe('a large compression kept between attempts', () => {
    // The source looks the same at every attempt; spool files are looked at for real.
    const statOf = (spoolDir: string, source: { size: number; mtimeMs: number }) => (p: string) =>
      p.startsWith(spoolDir) ? (existsSync(p) ? { size: statSync(p).size, mtimeMs: 1 } : null) : source;

    function retrying(over: Partial<UploadJobDeps> = {}, source = { size: 10, mtimeMs: 1000 }) {
      let compressions = 0;
      let uploads = 0;
      const removed: string[] = [];
      const kept = new KeptCompressions({ minBytes: 10, maxFiles: 4, maxBytes: 1000, remove: async (p) => (removed.push(p), rmSync(p, { force: true })) });
      const s = setup({
        kept,
        levels: { choose: () => 5 + compressions, observe: () => undefined },
        compress: async (job) => (compressions++, result(job)),
        upload: async (req) => {
          s.uploads.push(req);
          if (++uploads === 1) throw new TvmError(ErrorCodes.S3_TRANSIENT, '503 SlowDown');
          return { skipped: false, bytesSent: 10 };
        },
        ...over,
      });
      s.deps = { ...s.deps, stat: statOf(s.spoolDir, source) };
      return { s, kept, removed, compressions: () => compressions };
    }

    it('uploads the next attempt from the kept spool file without compressing again, at the level it was made', async () => {
      const { s, kept, compressions } = retrying();
      const job = createUploadJob(s.deps);
      await job(record(7), new AbortController().signal);
      expect(s.calls).to.deep.equal(['failed:7:TVM_ERR_S3_TRANSIENT']);
      expect(kept.size).to.equal(1);
      expect(existsSync(join(s.spoolDir, '7.gz')), 'kept on the spool').to.equal(true);
      await job(record(7, { attempts: 1 }), new AbortController().signal);
      expect(compressions()).to.equal(1);
      expect(s.uploads.map((u) => u.level)).to.deep.equal([5, 5]);
      expect(s.calls.at(-1)).to.equal('uploaded:7:veh/2026-11-30/ros/f7.log.gz');
      expect(existsSync(join(s.spoolDir, '7.gz')), 'removed after the upload').to.equal(false);
      expect(kept.size).to.equal(0);
      s.cleanup();
    });

    it('compresses again when the source changed since, and removes the stale copy first', async () => {
      const source = { size: 10, mtimeMs: 1000 };
      const { s, compressions, removed } = retrying({}, source);
      const job = createUploadJob(s.deps);
      await job(record(7), new AbortController().signal);
      source.mtimeMs = 2000;
      await job(record(7, { attempts: 1 }), new AbortController().signal);
      expect(compressions()).to.equal(2);
      expect(removed).to.deep.equal([join(s.spoolDir, '7.gz')]);
      expect(s.uploads.map((u) => u.level), 'a new compression gets a new level').to.deep.equal([5, 6]);
      s.cleanup();
    });

    it('compresses again when the kept spool file was removed meanwhile', async () => {
      const { s, compressions } = retrying();
      const job = createUploadJob(s.deps);
      await job(record(7), new AbortController().signal);
      rmSync(join(s.spoolDir, '7.gz'));
      await job(record(7, { attempts: 1 }), new AbortController().signal);
      expect(compressions()).to.equal(2);
      expect(s.calls.at(-1)).to.equal('uploaded:7:veh/2026-11-30/ros/f7.log.gz');
      s.cleanup();
    });

    it('keeps nothing when the failure is not one to retry as it is', async () => {
      const { s, kept } = retrying({ upload: async () => Promise.reject(new TvmError(ErrorCodes.FILE_CHANGED, 'grew while read')) });
      await createUploadJob(s.deps)(record(7), new AbortController().signal);
      expect(kept.size).to.equal(0);
      expect(existsSync(join(s.spoolDir, '7.gz'))).to.equal(false);
      s.cleanup();
    });

    it('keeps nothing when an output is small enough to compress again cheaply', async () => {
      const { s, kept } = retrying({ compress: async (job) => result(job, { outputSize: 9 }) });
      await createUploadJob(s.deps)(record(7), new AbortController().signal);
      expect(kept.size).to.equal(0);
      expect(existsSync(join(s.spoolDir, '7.gz'))).to.equal(false);
      s.cleanup();
    });

    it('forgets and removes the kept copy of a file that vanished', async () => {
      const source: { size: number; mtimeMs: number } | null = { size: 10, mtimeMs: 1000 };
      const { s, kept, removed } = retrying();
      const job = createUploadJob(s.deps);
      await job(record(7), new AbortController().signal);
      s.deps = { ...s.deps, stat: (p: string) => (p.startsWith(s.spoolDir) ? statOf(s.spoolDir, source)(p) : null) };
      await createUploadJob(s.deps)(record(7, { attempts: 1 }), new AbortController().signal);
      expect(s.calls.at(-1)).to.equal('removed:7');
      expect(kept.size).to.equal(0);
      expect(removed).to.deep.equal([join(s.spoolDir, '7.gz')]);
      s.cleanup();
    });
  });

  it('removes a file that vanished before upload, with a telemetry event', async () => {
    const s = setup({ stat: () => null });
    await createUploadJob(s.deps)(record(3), new AbortController().signal);
    expect(s.calls).to.deep.equal(['removed:3']);
    expect(s.events.map((e) => e.type)).to.include('file.vanished');
    s.cleanup();
  });

  it('removes a file the worker found vanished once lstat confirms the source is gone', async () => {
    let looks = 0;
    const s = setup({
      compress: async () => Promise.reject(new TvmError(ErrorCodes.FILE_VANISHED, 'gone')),
      stat: () => (++looks === 1 ? { size: 10, mtimeMs: 1000 } : null),
    });
    await createUploadJob(s.deps)(record(3), new AbortController().signal);
    expect(s.calls).to.deep.equal(['removed:3']);
    s.cleanup();
  });

  it('keeps and retries a file when ENOENT came from elsewhere (the spool) while the source is still there', async () => {
    const s = setup({ upload: async () => Promise.reject(new TvmError(ErrorCodes.FILE_VANISHED, '/state/spool/3.gz disappeared')) });
    await createUploadJob(s.deps)(record(3), new AbortController().signal);
    expect(s.calls).to.deep.equal(['failed:3:TVM_ERR_FILE_VANISHED']);
    expect(s.failed()!.r.nextAttemptAt).to.equal(5000 + 1000);
    expect(s.events.map((e) => e.type)).to.deep.equal(['file.failed']);
    s.cleanup();
  });

  it('keeps a file whose stat fails with EACCES as a failure with the error, never as vanished', async () => {
    const denied = new TvmError(ErrorCodes.FILE_UNREADABLE, '/logs/f4.log cannot be read (permission denied)', { retriability: 'operator' });
    const s = setup({ stat: () => Promise.reject(denied) });
    await createUploadJob(s.deps)(record(4), new AbortController().signal);
    expect(s.calls).to.deep.equal(['failed:4:TVM_ERR_FILE_UNREADABLE']);
    expect(s.events.find((e) => e.type === 'file.failed')).to.deep.include({ code: 'TVM_ERR_FILE_UNREADABLE', message: denied.message });
    expect(s.events.map((e) => e.type)).not.to.include('file.vanished');
    s.cleanup();
  });

  it('keeps a failed file queued with the retry policy\'s delay', async () => {
    const s = setup({ upload: async () => Promise.reject(new TvmError(ErrorCodes.S3_TRANSIENT, '503 SlowDown')) });
    await createUploadJob(s.deps)(record(4, { attempts: 2 }), new AbortController().signal);
    expect(s.calls).to.deep.equal(['failed:4:TVM_ERR_S3_TRANSIENT']);
    expect(s.failed()!.r.nextAttemptAt).to.equal(5000 + 3000);
    const ev = s.events.find((e) => e.type === 'file.failed');
    expect(ev).to.deep.include({ code: 'TVM_ERR_S3_TRANSIENT', key: 'veh/2026-11-30/ros/f4.log.gz' });
    expect(existsSync(join(s.spoolDir, '4.gz'))).to.equal(false);
    s.cleanup();
  });

  it('parks a permanently failing file for a day instead of retrying it at every backoff step', async () => {
    const s = setup({ objectKey: () => { throw new TvmError(ErrorCodes.KEY_INVALID, 'bad name', { retriability: 'permanent' }); } });
    await createUploadJob(s.deps)(record(11), new AbortController().signal);
    expect(s.failed()!.r.nextAttemptAt).to.equal(5000 + PERMANENT_RETRY_MS);
    expect(s.failed()!.r.code).to.equal('TVM_ERR_KEY_INVALID');
    s.cleanup();
  });

  it('tells operator alerts about failures and successes', async () => {
    const seen: string[] = [];
    const alerts = { failure: (e: TvmError) => seen.push(e.code), success: () => seen.push('ok') };
    const bad = setup({ alerts, upload: async () => Promise.reject(new TvmError(ErrorCodes.S3_NO_SUCH_BUCKET, 'no bucket', { retriability: 'operator' })) });
    await createUploadJob(bad.deps)(record(1), new AbortController().signal);
    const good = setup({ alerts });
    await createUploadJob(good.deps)(record(2), new AbortController().signal);
    expect(seen).to.deep.equal(['TVM_ERR_S3_NO_SUCH_BUCKET', 'ok']);
    bad.cleanup();
    good.cleanup();
  });

  it('looks at a file that changed during compression again after the quiet period', async () => {
    const s = setup({ compress: async () => Promise.reject(new TvmError(ErrorCodes.FILE_CHANGED, 'changed')) });
    await createUploadJob(s.deps)(record(5), new AbortController().signal);
    expect(s.failed()!.r.nextAttemptAt).to.equal(5000 + 2000);
    expect(s.events.map((e) => e.type)).to.deep.equal(['file.changed']);
    s.cleanup();
  });

  it('returns an interrupted file to the queue without counting an attempt', async () => {
    const ac = new AbortController();
    const s = setup({
      upload: async () => {
        ac.abort();
        throw new Error('aborted');
      },
    });
    await createUploadJob(s.deps)(record(6), ac.signal);
    expect(s.calls).to.deep.equal(['released:6']);
    s.cleanup();
  });

  it('passes verifyRemote through so a possibly-uploaded file is checked before sending', async () => {
    const s = setup();
    await createUploadJob(s.deps)(record(8, { verifyRemote: true }), new AbortController().signal);
    expect(s.uploads[0]!.verifyRemote).to.equal(true);
    s.cleanup();
  });

  it('never deletes the source when the file was stored as-is', async () => {
    const dir = tempDir('tvm-src-');
    const src = join(dir, 'f9.mcap');
    writeFileSync(src, 'raw');
    const s = setup({ compress: async (job) => ({ ...result(job), codec: 'none', uploadPath: src }) });
    await createUploadJob(s.deps)(record(9, { path: src }), new AbortController().signal);
    expect(existsSync(src)).to.equal(true);
    expect(s.calls[0]).to.equal('uploaded:9:veh/2026-11-30/ros/f9.log');
    s.cleanup();
    removeDir(dir);
  });

  it('rejects a name that cannot be a key before compressing it', async () => {
    let compressed = 0;
    const s = setup({
      compress: async (job) => {
        compressed++;
        return result(job);
      },
      objectKey: (r, codec) => buildObjectKey({ vehicleId: 'veh', source: r.source, relPath: r.relPath, mtimeMs: r.mtimeMs, codec }),
    });
    await createUploadJob(s.deps)(record(12, { relPath: 'bad\nname.log' }), new AbortController().signal);
    expect(compressed).to.equal(0);
    expect(s.failed()!.r.code).to.equal('TVM_ERR_KEY_INVALID');
    s.cleanup();
  });

  it('uploads under the version the key store issues and records that key', async () => {
    const s = setup({ keys: fakeKeys({ issue: (i) => ({ key: `${i.base}~v`, stored: false, unconfirmed: false }) }) });
    await createUploadJob(s.deps)(record(13), new AbortController().signal);
    expect(s.uploads[0]!.key).to.equal('veh/2026-11-30/ros/f13.log.gz~v');
    expect(s.calls).to.deep.equal(['uploaded:13:veh/2026-11-30/ros/f13.log.gz~v']);
    s.cleanup();
  });

  it('sends nothing when the key store already holds these bytes, and records the upload', async () => {
    const s = setup({ keys: fakeKeys({ issue: (i) => ({ key: i.base, stored: true, unconfirmed: false }) }) });
    await createUploadJob(s.deps)(record(14), new AbortController().signal);
    expect(s.uploads).to.have.length(0);
    expect(s.calls).to.deep.equal(['uploaded:14:veh/2026-11-30/ros/f14.log.gz']);
    expect(s.events.find((e) => e.type === 'file.uploaded')).to.deep.include({ sentBytes: 0, remoteSkip: true });
    s.cleanup();
  });

  it('checks S3 first when the key store reuses an unconfirmed reservation', async () => {
    const s = setup({ keys: fakeKeys({ issue: (i) => ({ key: i.base, stored: false, unconfirmed: true }) }) });
    await createUploadJob(s.deps)(record(15), new AbortController().signal);
    expect(s.uploads[0]!.verifyRemote).to.equal(true);
    s.cleanup();
  });

  it('checks S3 first for a file old enough that key records of its date may have been pruned or lost', async () => {
    const day = 86_400_000;
    const s = setup({ keysKnownSince: () => 10 * day, stat: () => ({ size: 10, mtimeMs: 5 * day }) });
    await createUploadJob(s.deps)(record(18), new AbortController().signal);
    const fresh = setup({ keysKnownSince: () => 10 * day, stat: () => ({ size: 10, mtimeMs: 39 * day }) });
    await createUploadJob(fresh.deps)(record(19), new AbortController().signal);
    expect([s.uploads[0]!.verifyRemote, fresh.uploads[0]!.verifyRemote]).to.deep.equal([true, false]);
    s.cleanup();
    fresh.cleanup();
  });

  it('records a key found taken on the server and writes under the next version in the same attempt', async () => {
    const taken = new Set<string>();
    const s = setup({
      keys: fakeKeys({
        issue: (i) => ({ key: taken.has(i.base) ? `${i.base}~2` : i.base, stored: false, unconfirmed: false }),
        markTaken: (key) => void taken.add(key),
      }),
      upload: async (req) => {
        if (req.key.endsWith('.gz')) throw new TvmError(ErrorCodes.KEY_TAKEN, 'taken', { details: { remoteSha256: 'ff' } });
        return { skipped: false, bytesSent: 10 };
      },
    });
    await createUploadJob(s.deps)(record(16), new AbortController().signal);
    expect([...taken]).to.deep.equal(['veh/2026-11-30/ros/f16.log.gz']);
    expect(s.events.find((e) => e.type === 'key.taken')).to.deep.include({ key: 'veh/2026-11-30/ros/f16.log.gz', remoteSha256: 'ff' });
    expect(s.calls).to.deep.equal(['uploaded:16:veh/2026-11-30/ros/f16.log.gz~2']);
    s.cleanup();
  });

  it('gives up the attempt (retried later) when key after key is taken', async () => {
    let n = 0;
    const s = setup({
      keys: fakeKeys({ issue: (i) => ({ key: `${i.base}~${++n}`, stored: false, unconfirmed: false }) }),
      upload: async () => Promise.reject(new TvmError(ErrorCodes.KEY_TAKEN, 'taken')),
    });
    await createUploadJob(s.deps)(record(17), new AbortController().signal);
    expect(n).to.equal(MAX_TAKEN_KEYS_PER_ATTEMPT);
    expect(s.failed()!.r.code).to.equal('TVM_ERR_KEY_TAKEN');
    s.cleanup();
  });

  it('asks the worker for the prefix the path last stored and replaces that key when the file only grew', async () => {
    const jobs: CompressRequest[] = [];
    const issued: IssueInput[] = [];
    const s = setup({
      stat: () => ({ size: 500, mtimeMs: 1000 }),
      keys: fakeKeys({
        lastStored: () => ({ key: 'veh/2026-11-30/ros/f20.log.gz', sourceSha256: 'aa'.repeat(32), sourceSize: 200 }),
        issue: (i) => {
          issued.push(i);
          return { key: i.grows ?? i.base, stored: false, unconfirmed: false, replaces: 'aa'.repeat(32) };
        },
      }),
      compress: async (job) => {
        jobs.push(job);
        return result(job, { prefixSha256: 'aa'.repeat(32) });
      },
    });
    await createUploadJob(s.deps)(record(20), new AbortController().signal);
    expect(jobs[0]!.prefixSize).to.equal(200);
    expect(issued[0]!.grows).to.equal('veh/2026-11-30/ros/f20.log.gz');
    expect(s.uploads[0]).to.deep.include({ key: 'veh/2026-11-30/ros/f20.log.gz', replaces: 'aa'.repeat(32) });
    s.cleanup();
  });

  it('does not claim growth when the leading bytes differ, or the file is not longer than what was stored', async () => {
    const jobs: CompressRequest[] = [];
    const issued: IssueInput[] = [];
    const last = { key: 'k', sourceSha256: 'aa'.repeat(32), sourceSize: 10 };
    const keys = fakeKeys({ lastStored: () => last, issue: (i) => (issued.push(i), { key: i.base, stored: false, unconfirmed: false }) });
    const compress = async (job: CompressRequest) => (jobs.push(job), result(job, job.prefixSize === undefined ? {} : { prefixSha256: 'bb'.repeat(32) }));
    const rewritten = setup({ stat: () => ({ size: 50, mtimeMs: 1000 }), keys, compress });
    await createUploadJob(rewritten.deps)(record(21), new AbortController().signal);
    const same = setup({ stat: () => ({ size: 10, mtimeMs: 1000 }), keys, compress });
    await createUploadJob(same.deps)(record(22), new AbortController().signal);
    expect(jobs.map((j) => j.prefixSize)).to.deep.equal([10, undefined]);
    expect(issued.map((i) => i.grows)).to.deep.equal([undefined, undefined]);
    rewritten.cleanup();
    same.cleanup();
  });

  it('sends a file uncompressed from its source when the spool has no room, and gives reserved room back', async () => {
    const jobs: CompressRequest[] = [];
    const released: number[] = [];
    let room = false;
    const s = setup({
      spool: { reserve: async (bytes) => (room ? () => void released.push(bytes) : null) },
      compress: async (job) => (jobs.push(job), result(job)),
    });
    await createUploadJob(s.deps)(record(23), new AbortController().signal);
    room = true;
    await createUploadJob(s.deps)(record(24), new AbortController().signal);
    expect(jobs.map((j) => j.noSpool)).to.deep.equal([true, undefined]);
    expect(released).to.deep.equal([10]);
    s.cleanup();
  });

  it('asks for small outputs in memory and spends no spool room (nor a spool clean-up) on a file within the bound', async () => {
    const jobs: CompressRequest[] = [];
    const reserved: number[] = [];
    let size = 10;
    const s = setup({
      memoryMaxBytes: 100,
      stat: () => ({ size, mtimeMs: 1000 }),
      spool: { reserve: async (bytes) => (reserved.push(bytes), () => undefined), unneeded: async () => void reserved.push(0) },
      compress: async (job) => (jobs.push(job), { ...result(job), uploadPath: job.sourcePath, body: new Uint8Array(10) }),
    });
    await createUploadJob(s.deps)(record(25), new AbortController().signal);
    // What the worker left at the spool path is not this job's to remove (it wrote none).
    expect(existsSync(join(s.spoolDir, '25.gz'))).to.equal(true);
    size = 101;
    await createUploadJob(s.deps)(record(26), new AbortController().signal);
    expect(jobs.map((j) => j.memoryMaxBytes)).to.deep.equal([100, 100]);
    // 0: the small file told the spool it needed no room (so a spool reported short can look again).
    expect(reserved).to.deep.equal([0, 101]);
    expect(s.uploads[0]!.result.body).to.have.length(10);
    s.cleanup();
  });

  it('refuses a memory bound beyond the worker sample, which would stream to an unreserved spool', () => {
    const s = setup({ memoryMaxBytes: 2 * 1024 * 1024 });
    expect(() => createUploadJob(s.deps)).to.throw(RangeError, /memoryMaxBytes/);
    s.cleanup();
  });
});
