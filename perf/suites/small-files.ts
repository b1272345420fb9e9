/**
 * `small-files`: 10,000 × 4 KiB files (--quick: 1000), the per-file overhead: watcher event,
 * SQLite row, worker round trip, one PUT, one transaction. Same mix as `thousand` (90 % text,
 * 5 % random, 5 % gzip). Headline figure: files per second. A second variant raises
 * concurrency, since with tiny files the round trips, not the codec, are the bound; a third
 * runs with the lean memory settings (many files = much short-lived garbage).
 */
import { generateFileSet } from '../data/file-set.js';
import { runUploadSuite } from '../harness/upload-suite.js';
import { check, peakRssTarget } from '../harness/targets.js';
import type { Suite } from '../harness/suite-context.js';
import { LEAN } from './lean.js';

const KIB = 1024;

export const smallFiles: Suite = {
  name: 'small-files',
  description: '10,000 × 4 KiB files: per-file overhead (files/s)',
  run: (ctx) => {
    const files = ctx.quick ? 1000 : 10_000;
    return runUploadSuite(ctx, {
      name: 'small-files',
      description: `${files} × 4 KiB files, daemon watching, file_stable_seconds 0; clock from "ready"`,
      approxBytes: files * 8 * KIB,
      datasetNote: '4 sources × session folders of 100',
      generate: (root) => generateFileSet(root, { files, fileBytes: 4 * KIB, randomShare: 0.05, gzipShare: 0.05, seed: 4096, perDir: 100 }),
      variants: [
        { name: 'watch', description: 'defaults (concurrency 4), file_stable_seconds 0', mode: 'watch', tuning: { fileStableSeconds: 0 } },
        { name: 'watch-c16', description: 'concurrency 16, file_stable_seconds 0', mode: 'watch', tuning: { fileStableSeconds: 0, concurrency: 16 } },
        { name: 'watch-lean', description: 'as watch, with the lean memory settings', mode: 'watch', tuning: { fileStableSeconds: 0 }, ...LEAN },
      ],
      compare: true,
      targets: (daemon) => [check('files per second (primary)', daemon[0]?.filesPerS ?? null, '>=', 400, 'files/s'), peakRssTarget(daemon)],
    });
  },
};
