/**
 * The checklist `tvm-upload doctor` runs, in order: what a person would check on a first
 * deployment (docs/MANUAL_TESTING.md), cheapest and most fundamental first, so a failure's
 * dependants are skipped with a pointer to it instead of failing for the same reason.
 */
import type { Config } from '../config/types.js';
import { clockSkewStep } from './clock-skew.js';
import { cloudWatchAlarmsStep, cloudWatchPublishStep } from './cloudwatch.js';
import { credentialsStep } from './credentials.js';
import { deletionDryRunStep } from './deletion.js';
import { directorySteps, stateDirStep } from './directories.js';
import { diskStep } from './disk.js';
import { checksumStep } from './s3-checksum.js';
import { bucketReachableStep, bucketWritableStep } from './s3-bucket.js';
import type { DoctorStep } from './step.js';

export function doctorSteps(config: Config): DoctorStep[] {
  return [
    credentialsStep,
    bucketReachableStep,
    bucketWritableStep,
    checksumStep,
    clockSkewStep,
    cloudWatchPublishStep,
    cloudWatchAlarmsStep,
    ...directorySteps(config.logDirectories),
    stateDirStep,
    diskStep,
    deletionDryRunStep,
  ];
}
