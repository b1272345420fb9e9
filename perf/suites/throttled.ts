/**
 * `throttled`: upload.bandwidth.max_mbps honoured within ±10 %. 200 files of 1 MiB (--quick:
 * 60) with the `thousand` mix, capped at 16 Mbit/s (2 MB/s of object bytes). The achieved rate
 * is bytes on the wire (object bodies) over the window from "files ready" to the last confirmed
 * object; the steady rate leaves out the first file (compression before the first byte) and is
 * measured between the first and the last confirmation.
 */
import { generateFileSet } from '../data/file-set.js';
import { round } from '../harness/proc-stats.js';
import { runUploadSuite } from '../harness/upload-suite.js';
import { check, peakRssTarget } from '../harness/targets.js';
import type { Suite } from '../harness/suite-context.js';

const MIB = 1024 * 1024;
const CAP_MBPS = 16;

export const throttled: Suite = {
  name: 'throttled',
  description: `bandwidth cap ${CAP_MBPS} Mbit/s honoured within ±10 %`,
  run: (ctx) => {
    const files = ctx.quick ? 60 : 200;
    return runUploadSuite(ctx, {
      name: 'throttled',
      description: `${files} × 1 MiB files, upload.bandwidth.max_mbps ${CAP_MBPS}, file_stable_seconds 0`,
      approxBytes: files * MIB,
      datasetNote: 'same mix as thousand',
      generate: (root) => generateFileSet(root, { files, fileBytes: MIB, randomShare: 0.05, gzipShare: 0.05, seed: 1600 }),
      variants: [{ name: 'capped', description: `max_mbps ${CAP_MBPS}, otherwise defaults`, mode: 'watch', tuning: { fileStableSeconds: 0, maxMbps: CAP_MBPS } }],
      compare: false,
      decorate: (raw) => {
        const { uploadTimes, uploadSent, ...r } = raw;
        const capMBps = (CAP_MBPS * 1e6) / 8 / 1e6;
        const achievedMBps = r.wireBytes / 1e6 / r.wallS;
        const first = Math.min(...uploadTimes);
        const last = Math.max(...uploadTimes);
        const after = uploadSent.reduce((a, b, i) => (uploadTimes[i] === first ? a : a + b), 0);
        const steady = last > first ? after / 1e6 / ((last - first) / 1000) : null;
        return { ...r, throttle: { capMBps, achievedMBps: round(achievedMBps, 3), ratio: round(achievedMBps / capMBps, 3), steadyMBps: steady === null ? null : round(steady, 3) } };
      },
      targets: (daemon) => [check('achieved wire rate ÷ cap', daemon[0]?.throttle?.ratio ?? null, 'within', 0.1, '×'), peakRssTarget(daemon)],
    });
  },
};
