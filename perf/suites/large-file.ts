/**
 * `large-file`: one 2 GiB log file (--quick: 200 MiB): the multipart path and constant memory.
 * The file is log text with 15 % of its 1 MiB blocks random, so gzip still has to write about a
 * third of it (≈ 0.6 GiB): compression, the spool file and the multipart upload are all
 * exercised at scale. gzip-6 (the default) is used, so its CPU cost is the figure.
 */
import { generateLargeFile } from '../data/file-set.js';
import { runUploadSuite } from '../harness/upload-suite.js';
import { peakRssTarget } from '../harness/targets.js';
import type { Suite } from '../harness/suite-context.js';

const MIB = 1024 * 1024;

export const largeFile: Suite = {
  name: 'large-file',
  description: 'one 2 GiB file: multipart upload, constant memory',
  run: (ctx) => {
    const bytes = (ctx.quick ? 200 : 2048) * MIB;
    return runUploadSuite(ctx, {
      name: 'large-file',
      description: `one ${bytes / MIB} MiB file (85 % log text, 15 % random blocks), daemon watching, file_stable_seconds 0`,
      approxBytes: bytes,
      datasetNote: 'written in 1 MiB blocks; the first block is text so the trial compression finds it compressible',
      generate: (root) => generateLargeFile(root, { bytes, randomShare: 0.15, seed: 2048 }),
      variants: [{ name: 'watch', description: 'defaults (gzip-6, part_size_mb 8, part_concurrency 2), file_stable_seconds 0', mode: 'watch', tuning: { fileStableSeconds: 0 } }],
      compare: true,
      targets: (daemon) => [peakRssTarget(daemon)],
    });
  },
};
