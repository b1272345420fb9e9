/**
 * `link`: a vehicle link, not the CPU, is the limit. 200 × 1 MiB of log text (--quick: 50) through
 * a 16 Mbit/s cap (upload.bandwidth.max_mbps 16 = 2 MB/s of object bytes), side by side with
 * `rclone copy --bwlimit 2M` on the same data and server (2 MiB/s of raw bytes: rclone's units
 * are binary, so it gets 4.9 % more than our cap). Compression is what the daemon has over a
 * plain copy here: the wall ratio is close to compressed ÷ source bytes, and each extra point of
 * ratio is link time saved. The bar (issue 16): wall ÷ rclone ≤ 0.14, i.e. about 7× fewer bytes
 * on the wire. Variants show what harder compression buys on this data (CPU per source GB next to
 * it: on a vehicle that CPU is taken from the autonomy stack).
 */
import { generateFileSet } from '../data/file-set.js';
import { round } from '../harness/proc-stats.js';
import { runUploadSuite } from '../harness/upload-suite.js';
import { check, peakRssTarget } from '../harness/targets.js';
import type { Suite } from '../harness/suite-context.js';

const MIB = 1024 * 1024;
const CAP_MBPS = 16;
export const LINK_RATIO_BAR = 0.14;

export const link: Suite = {
  name: 'link',
  description: `link-bound: ${CAP_MBPS} Mbit/s cap, wall ÷ rclone --bwlimit 2M on the same logs`,
  run: (ctx) => {
    const files = ctx.quick ? 50 : 200;
    const tuning = { fileStableSeconds: 0, maxMbps: CAP_MBPS };
    return runUploadSuite(ctx, {
      name: 'link',
      description: `${files} × 1 MiB log text, upload.bandwidth.max_mbps ${CAP_MBPS}, file_stable_seconds 0; rclone --bwlimit 2M`,
      approxBytes: files * MIB,
      datasetNote: 'log text only (what a link-bound vehicle mostly sends); 4 sources × session folders',
      generate: (root) => generateFileSet(root, { files, fileBytes: MIB, randomShare: 0, gzipShare: 0, seed: 1700 }),
      variants: [
        { name: 'capped', description: `defaults (gzip-6, raised up to 9 within 50 % of a core), max_mbps ${CAP_MBPS}`, mode: 'watch', tuning },
        { name: 'capped-fixed6', description: `gzip-6, never raised (max_level 6), max_mbps ${CAP_MBPS}`, mode: 'watch', tuning: { ...tuning, maxLevel: 6 } },
        { name: 'capped-zstd', description: `zstd defaults (3, raised up to 9 within 50 % of a core), max_mbps ${CAP_MBPS}`, mode: 'watch', tuning: { ...tuning, codec: 'zstd' } },
        { name: 'capped-gzip9', description: `gzip level 9, max_mbps ${CAP_MBPS}`, mode: 'watch', tuning: { ...tuning, level: 9 } },
        { name: 'capped-zstd19', description: `zstd level 19, workers 2, max_mbps ${CAP_MBPS}`, mode: 'watch', tuning: { ...tuning, codec: 'zstd', level: 19, workers: 2 } },
      ],
      compare: true,
      toolArgs: { rclone: ['--bwlimit', '2M'] },
      decorate: (raw) => {
        const { uploadTimes: _t, uploadSent: _s, ...r } = raw;
        return { ...r, link: { sourceToWire: r.wireBytes > 0 ? round(r.sourceBytes / r.wireBytes, 2) : null } };
      },
      targets: (daemon, tools) => {
        const rclone = tools.find((t) => t.tool === 'rclone' && t.status === 'ok');
        return [check(`wall time ÷ rclone --bwlimit 2M (same logs, ${CAP_MBPS} Mbit/s cap)`, rclone?.ourRatio ?? null, '<=', LINK_RATIO_BAR, '×'), peakRssTarget(daemon)];
      },
    });
  },
};
