/**
 * Chaos, aimed: the server did the work but the answer never arrived. The fault proxy forwards
 * exactly one chosen request, lets the server store it, and then resets the connection
 * (resetAfterBody) or cuts the response in half (truncatedResponse). The daemon must treat that
 * as a failure, retry, and converge on the same object with the same bytes: for a single PUT, for
 * one UploadPart, and for CompleteMultipartUpload (after which the upload id no longer exists).
 */
import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Daemon } from '../../src/daemon.js';
import { writeMultipartFile, writeSmallLogs, type FixtureFile } from '../support/chaos-fixtures.js';
import { startChaosDaemon } from '../support/chaos-daemon.js';
import { listAllKeys, readBack } from '../support/chaos-verify.js';
import { startFaultProxy, type FaultKind, type FaultProxy } from '../support/fault-proxy.js';
import { motoUnavailableReason, startMoto, startS3rver, type S3TestServer } from '../support/s3-servers.js';
import { seededRandom } from '../support/seeded-random.js';
import { missingTool } from '../support/tools.js';

const BUCKET = 'tvm-lost-response';
/** A passing case takes about 3 s; ten times that is only reached by a file that never converges. */
const WAIT_MS = 30_000;

interface Case {
  readonly what: string;
  readonly kind: FaultKind;
  readonly multipart: boolean;
  /** The one request to fault. */
  readonly target: (req: IncomingMessage) => boolean;
}

const url = (req: IncomingMessage): string => req.url ?? '';
const CASES: readonly Case[] = [
  { what: 'PutObject', kind: 'resetAfterBody', multipart: false, target: (r) => r.method === 'PUT' && !url(r).includes('uploadId=') },
  { what: 'UploadPart', kind: 'resetAfterBody', multipart: true, target: (r) => r.method === 'PUT' && url(r).includes('partNumber=2') },
  { what: 'CompleteMultipartUpload', kind: 'resetAfterBody', multipart: true, target: (r) => r.method === 'POST' && url(r).includes('uploadId=') },
  { what: 'CompleteMultipartUpload', kind: 'truncatedResponse', multipart: true, target: (r) => r.method === 'POST' && url(r).includes('uploadId=') },
];

function lostResponseSuite(name: 's3rver' | 'moto'): void {
  describe(`chaos: a response lost after ${name} stored the request`, function () {
    this.timeout(WAIT_MS + 30_000);
    let server: S3TestServer | null = null;
    let proxy: FaultProxy | null = null;
    let daemon: Daemon | null = null;
    let root = '';

    before(async function () {
      server = name === 's3rver' ? await startS3rver() : await startMoto();
      if (server === null) {
        missingTool(this, 'moto', motoUnavailableReason() ?? 'moto_server did not start');
      }
      await server.bucket(BUCKET);
    });
    after(async () => {
      await server?.stop();
    });
    beforeEach(() => {
      root = mkdtempSync(join(tmpdir(), `tvm-lost-${name}-`));
    });
    afterEach(async () => {
      await daemon?.close(5000);
      daemon = null;
      await proxy?.close();
      proxy = null;
      rmSync(root, { recursive: true, force: true });
    });

    CASES.forEach((c, i) => {
      it(`converges on the same object when the answer to ${c.what} is lost (${c.kind})`, async () => {
        let faulted = 0;
        let matching = 0;
        const shouldFault = (req: IncomingMessage): boolean => {
          if (!c.target(req)) return false;
          matching++;
          return faulted++ === 0;
        };
        proxy = await startFaultProxy({ target: server!.endpoint, seed: 7 + i, faultRate: 1, faults: [c.kind], shouldFault });
        const old = Date.now() / 1000 - 600;
        const file: FixtureFile = c.multipart
          ? writeMultipartFile(99 + i, join(root, 'logs/ros', `case-${i}.log`), 7, old)
          : writeSmallLogs(seededRandom(99 + i), { root, count: 1, batch: `case-${i}`, mtimeSec: old })[0]!;
        const vehicleId = `lost-${name}-${i}`;
        const running = await startChaosDaemon({ root, vehicleId, bucket: BUCKET, endpoint: proxy.url, credentials: server!.credentials });
        daemon = running.daemon;
        running.tracker.expect([file]);
        const client = server!.client();
        await running.tracker.waitForAll(WAIT_MS, () => ({ status: daemon!.status(), proxy: proxy!.stats(), matching })).catch(async (err: Error) => {
          // Say whether the server has the object all along: then only the daemon does not know.
          const key = running.tracker.failures.find((f) => f.key !== null)?.key;
          const there = key ? await readBack(client, BUCKET, [file], () => key) : null;
          const verdict = there === null ? 'no key known' : there.length === 0 ? `${key} IS in the bucket with the exact bytes` : `${key}: ${there[0]!.problem}`;
          throw new Error(`${err.message}; meanwhile ${verdict}`);
        });
        await daemon.whenIdle();

        expect(proxy.stats().byKind[c.kind], 'the fault was injected').to.equal(1);
        expect(running.tracker.failures.length, 'the lost answer counted as a failed attempt').to.be.at.least(1);
        const uploads = running.tracker.uploads.get(file.path)!;
        expect(uploads, 'one upload event').to.have.length(1);
        const keys = (await listAllKeys(client, BUCKET)).filter((k) => k.startsWith(`${vehicleId}/`));
        expect(keys).to.deep.equal([uploads[0]!.key]);
        expect(await readBack(client, BUCKET, [file], () => uploads[0]!.key)).to.deep.equal([]);
        expect(daemon.status()).to.include({ queued: 0, inFlight: 0, uploaded: 1 });
      });
    });
  });
}

lostResponseSuite('s3rver');
lostResponseSuite('moto');
