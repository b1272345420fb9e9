/**
 * `thousand`: 1000 × 1 MiB log files, the user's bar (--quick: 100). 90 % log text, 5 % random
 * binary, 5 % already gzip-compressed. The primary run watches the trees with
 * file_stable_seconds 0 and renames complete files in, so the figures exclude the stability wait
 * (they are measured from the moment the files are ready); a non-zero setting adds exactly its
 * value to every file's latency. Further variants: the start-up backlog (daemon started over the
 * files, default settings, clock from spawn), two tunings that show what moves the bottleneck,
 * and two deployment settings (V8 young generation, glibc arenas) that show where memory goes.
 */
import { generateFileSet } from '../data/file-set.js';
import { runUploadSuite } from '../harness/upload-suite.js';
import { peakRssTarget, rcloneRatioTarget } from '../harness/targets.js';
import type { Suite } from '../harness/suite-context.js';
import { LEAN } from './lean.js';

const MIB = 1024 * 1024;

export const thousand: Suite = {
  name: 'thousand',
  description: '1000 × 1 MiB log files (90 % text, 5 % random, 5 % gzip), watched, file_stable_seconds 0',
  run: (ctx) => {
    const files = ctx.quick ? 100 : 1000;
    return runUploadSuite(ctx, {
      name: 'thousand',
      description: `${files} × 1 MiB log files, daemon watching, files renamed in complete; clock from "ready"`,
      approxBytes: files * MIB,
      datasetNote: '4 sources × session folders of 50; text compresses ≈ 5.7× with gzip-6',
      generate: (root) => generateFileSet(root, { files, fileBytes: MIB, randomShare: 0.05, gzipShare: 0.05, seed: 1000 }),
      variants: [
        { name: 'watch', description: 'defaults (gzip-6, workers = cores − 1), file_stable_seconds 0', mode: 'watch', tuning: { fileStableSeconds: 0 } },
        { name: 'watch-semi1', description: 'as watch, node --max-semi-space-size=1', mode: 'watch', tuning: { fileStableSeconds: 0 }, nodeFlags: ['--max-semi-space-size=1'] },
        { name: 'watch-lean', description: 'as watch, with the lean memory settings', mode: 'watch', tuning: { fileStableSeconds: 0 }, ...LEAN },
        { name: 'backlog', description: 'defaults incl. file_stable_seconds 60; files already there (10 min old); clock from spawn', mode: 'backlog', tuning: {} },
        { name: 'watch-gzip1-w2', description: 'gzip level 1, workers 2, file_stable_seconds 0', mode: 'watch', tuning: { fileStableSeconds: 0, level: 1, workers: 2 } },
        { name: 'watch-zstd1-w2', description: 'zstd level 1, workers 2, file_stable_seconds 0', mode: 'watch', tuning: { fileStableSeconds: 0, codec: 'zstd', level: 1, workers: 2 } },
      ],
      compare: true,
      targets: (daemon, tools) => [rcloneRatioTarget(tools, 0.5), peakRssTarget(daemon)],
    });
  },
};
