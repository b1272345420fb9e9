/** The perf suites in the order `npm run perf` runs them. */
import type { Suite } from '../harness/suite-context.js';
import { idle } from './idle.js';
import { largeFile } from './large-file.js';
import { link } from './link.js';
import { smallFiles } from './small-files.js';
import { soak } from './soak.js';
import { thousand } from './thousand.js';
import { throttled } from './throttled.js';

export const SUITES: readonly Suite[] = [thousand, smallFiles, largeFile, idle, throttled, link, soak];
