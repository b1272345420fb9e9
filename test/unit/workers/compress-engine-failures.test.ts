/**
 * How a request fails: every expected failure is a 'failed' reply with a catalog code (never a
 * thrown exception), and no output or .partial file survives it. Files are modified mid-pass
 * through the engine's chunk hook, so these tests do not depend on timing.
 */
import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { appendFile, chmod, mkdir, open, readdir, symlink, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ErrorCodes } from '../../../src/errors.js';
import { handleRequest, requestProblem } from '../../../src/workers/compress.worker.js';
import type { CompressRequest, WorkerFailure, WorkerReply } from '../../../src/workers/protocol.js';
import { exists, isRoot, requestFor, makeTempDir, removeDir, writeLogLikeFile } from './helpers.js';
import { asUnprivileged, localUser } from '../../support/unprivileged.js';
import { missingTool } from '../../support/tools.js';

function failed(reply: WorkerReply): WorkerFailure {
  if (reply.kind !== 'failed') expect.fail(`expected a failure, got a result stored=${String(reply.storedReason)}`);
  return reply;
}

describe('workers/compress-engine failures', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await makeTempDir();
  });
  afterEach(async () => {
    await removeDir(dir);
  });

  async function bigSource(name = 'big.log', bytes = 2 * 1024 * 1024): Promise<string> {
    const src = join(dir, name);
    await writeLogLikeFile(src, bytes);
    return src;
  }

  it('fails with FILE_VANISHED when the source is gone', async () => {
    const request: CompressRequest = { ...(await requestFor(await bigSource(), join(dir, 'o.gz'))), sourcePath: join(dir, 'missing.log') };
    const f = failed(await handleRequest(request));
    expect(f).to.include({ code: ErrorCodes.FILE_VANISHED, syscallCode: 'ENOENT' });
    expect(f.message).to.contain('missing.log');
  });

  it('never follows a source swapped for a symbolic link (O_NOFOLLOW), even when the target matches', async () => {
    const secret = await bigSource('credentials', 1000);
    const request = await requestFor(secret, join(dir, 'o.gz')); // identity of the target, as a swap would arrange
    await symlink(secret, join(dir, 'swapped.log'));
    const f = failed(await handleRequest({ ...request, sourcePath: join(dir, 'swapped.log') }));
    expect(f).to.include({ code: ErrorCodes.FILE_UNREADABLE, syscallCode: 'ELOOP' });
    expect(f.message).to.contain('swapped.log').and.contain('symbolic link');
    expect(await exists(join(dir, 'o.gz'))).to.equal(false);
  });

  it('fails with FILE_CHANGED when size or mtime differ from what the stabilizer saw', async () => {
    const src = await bigSource('small.log', 1000);
    const request = await requestFor(src, join(dir, 'o.gz'));
    expect(failed(await handleRequest({ ...request, expectedSize: 999 })).code).to.equal(ErrorCodes.FILE_CHANGED);
    expect(failed(await handleRequest({ ...request, expectedMtimeMs: request.expectedMtimeMs - 1000 })).code).to.equal(ErrorCodes.FILE_CHANGED);
    expect(await readdir(dir)).to.deep.equal(['small.log']);
  });

  for (const codec of ['gzip', 'none'] as const) {
    it(`fails with FILE_CHANGED when the file is appended to during the pass (codec ${codec}) and leaves no output`, async () => {
      const src = await bigSource();
      const request = await requestFor(src, join(dir, 'spool', 'big.log.gz'), { codec });
      let appended = false;
      const f = failed(
        await handleRequest(request, {
          onSourceChunk: async () => {
            if (!appended) {
              appended = true;
              await appendFile(src, 'one more line\n');
            }
          },
        }),
      );
      expect(appended).to.equal(true);
      expect(f.code).to.equal(ErrorCodes.FILE_CHANGED);
      expect(f.message).to.match(/grew beyond/);
      expect(await exists(request.outputPath)).to.equal(false);
      expect(await exists(`${request.outputPath}.partial`)).to.equal(false);
    });
  }

  it('fails with FILE_CHANGED when the file is rewritten in place (same size, new mtime) during the pass', async () => {
    const src = await bigSource();
    const request = await requestFor(src, join(dir, 'big.log.gz'));
    let touched = false;
    const f = failed(
      await handleRequest(request, {
        onSourceChunk: async (bytesRead) => {
          if (!touched && bytesRead > 1024 * 1024) {
            touched = true;
            const fh = await open(src, 'r+');
            await fh.write(Buffer.from('XXXX'), 0, 4, 0);
            await fh.close();
            await utimes(src, new Date(), new Date(request.expectedMtimeMs + 5000));
          }
        },
      }),
    );
    expect(f.code).to.equal(ErrorCodes.FILE_CHANGED);
    expect(f.message).to.match(/while being read/);
    expect(await exists(`${request.outputPath}.partial`)).to.equal(false);
    expect(await exists(request.outputPath)).to.equal(false);
  });

  it('refuses a directory with FILE_UNREADABLE / EISDIR', async () => {
    const sub = join(dir, 'a-dir');
    await mkdir(sub);
    const f = failed(await handleRequest({ ...(await requestFor(sub, join(dir, 'o.gz'))), expectedSize: 0 }));
    expect(f).to.include({ code: ErrorCodes.FILE_UNREADABLE, syscallCode: 'EISDIR' });
    expect(f.message).to.contain('not a regular file');
  });

  it('refuses a FIFO with FILE_UNREADABLE without blocking on it', async () => {
    const fifo = join(dir, 'pipe.log');
    execFileSync('mkfifo', [fifo]);
    const f = failed(await handleRequest(await requestFor(fifo, join(dir, 'o.gz'))));
    expect(f).to.include({ code: ErrorCodes.FILE_UNREADABLE, syscallCode: null });
    expect(f.message).to.contain('not a regular file');
  });

  it('refuses a character device with FILE_UNREADABLE', async () => {
    const f = failed(await handleRequest(await requestFor('/dev/null', join(dir, 'o.gz'))));
    expect(f.code).to.equal(ErrorCodes.FILE_UNREADABLE);
  });

  it('fails with FILE_UNREADABLE / EACCES on a file it has no permission to read', async function () {
    // Root reads a chmod 000 file anyway: as root the request runs as nobody instead.
    const nobody = localUser('nobody');
    if (isRoot() && nobody === null) missingTool(this, 'the nobody user', 'there is no user nobody to drop root privileges to');
    const src = await bigSource('secret.log', 1000);
    const request = await requestFor(src, join(dir, 'o.gz'));
    await chmod(dir, 0o755); // the file's own mode must be what refuses, not its directory's
    await chmod(src, 0o000);
    const f = failed(await asUnprivileged(nobody!, () => handleRequest(request)));
    expect(f).to.include({ code: ErrorCodes.FILE_UNREADABLE, syscallCode: 'EACCES' });
  });

  it('fails with DISK_FULL when the spool write hits ENOSPC, and removes the .partial file', async () => {
    const src = await bigSource();
    const request = await requestFor(src, join(dir, 'full', 'big.log.gz'));
    await mkdir(join(dir, 'full'));
    // /dev/full answers every write with ENOSPC: a real full disk, without filling one.
    await symlink('/dev/full', `${request.outputPath}.partial`);
    const f = failed(await handleRequest(request));
    expect(f).to.include({ code: ErrorCodes.DISK_FULL, syscallCode: 'ENOSPC' });
    expect(await readdir(join(dir, 'full'))).to.deep.equal([]);
  });

  it('fails with WORKER_FAILED (spool not writable) when the output directory cannot be created', async () => {
    const src = await bigSource('s.log', 100_000);
    await writeFile(join(dir, 'not-a-dir'), 'x');
    const f = failed(await handleRequest(await requestFor(src, join(dir, 'not-a-dir', 'o.gz'))));
    expect(f.code).to.equal(ErrorCodes.WORKER_FAILED);
    expect(f.syscallCode).to.match(/^E/);
  });

  it('removes the .partial file when the final rename fails', async () => {
    const src = await bigSource();
    const request = await requestFor(src, join(dir, 'out'));
    await mkdir(join(dir, 'out', 'occupied'), { recursive: true });
    const f = failed(await handleRequest(request));
    expect(f.code).to.equal(ErrorCodes.WORKER_FAILED);
    expect(f.syscallCode).to.be.oneOf(['EISDIR', 'ENOTEMPTY', 'EEXIST']);
    expect(await exists(`${request.outputPath}.partial`)).to.equal(false);
  });

  it('fails with CODEC_UNAVAILABLE when the runtime has no zstd and zstd-napi cannot be imported', async () => {
    const src = await bigSource('z.log', 10_000);
    const request = await requestFor(src, join(dir, 'z.zst'), { codec: 'zstd', level: 3 });
    const missing = Object.assign(new Error("Cannot find package 'zstd-napi'"), { code: 'ERR_MODULE_NOT_FOUND' });
    const f = failed(await handleRequest(request, { zstd: { builtin: null, load: () => Promise.reject(missing) } }));
    expect(f).to.deep.equal({
      kind: 'failed',
      code: ErrorCodes.CODEC_UNAVAILABLE,
      message: `codec zstd needs Node ≥ 22.15 (built-in zstd) or the optional dependency zstd-napi, which is not installed (running Node ${process.versions.node})`,
      syscallCode: null,
    });
  });

  it('reports an unexpected codec error as WORKER_FAILED without a syscall code', async () => {
    const src = await bigSource('lvl.log', 10_000);
    const f = failed(await handleRequest(await requestFor(src, join(dir, 'o.gz'), { level: 42 })));
    expect(f.code).to.equal(ErrorCodes.WORKER_FAILED);
    expect(f.message).to.match(/^compression failed: /);
    expect(f.syscallCode).to.equal(null);
  });

  it('answers an unknown request kind with a loud WORKER_FAILED', async () => {
    const f = failed(await handleRequest({ kind: 'decompress', sourcePath: '/x' }));
    expect(f.code).to.equal(ErrorCodes.WORKER_FAILED);
    expect(f.message).to.equal('unknown job kind: "decompress"');
    expect(failed(await handleRequest({})).message).to.equal('unknown job kind: undefined');
  });

  it('rejects malformed requests field by field', async () => {
    const good = await requestFor(await bigSource('g.log', 10), join(dir, 'g.gz'));
    const bad: Array<[unknown, RegExp]> = [
      [null, /expected an object, got null/],
      ['compress', /expected an object, got string/],
      [{ ...good, sourcePath: '' }, /sourcePath/],
      [{ ...good, outputPath: 7 }, /outputPath/],
      [{ ...good, codec: 'brotli' }, /unknown codec "brotli"/],
      [{ ...good, codec: undefined }, /unknown codec undefined/],
      [{ ...good, level: 'six' }, /level/],
      [{ ...good, skipExtensions: '.mcap' }, /skipExtensions/],
      [{ ...good, skipExtensions: [1] }, /skipExtensions/],
      [{ ...good, partSize: 0 }, /partSize/],
      [{ ...good, expectedSize: -1 }, /expectedSize/],
      [{ ...good, expectedMtimeMs: Number.NaN }, /expectedMtimeMs/],
    ];
    for (const [request, message] of bad) {
      const f = requestProblem(request);
      expect(f?.code, String(message)).to.equal(ErrorCodes.WORKER_FAILED);
      expect(f?.message).to.match(message);
    }
    expect(requestProblem(good)).to.equal(null);
    expect(failed(await handleRequest({ ...good, partSize: 0 })).message).to.match(/^malformed compression job: partSize/);
  });
});
