/**
 * The shape of a `tvm-upload doctor` check and the runner that executes them in order. A step
 * answers one question about a deployment (are the credentials found? can we write to the
 * bucket?) with pass, fail or skip, one line of detail and, for a failure, the fix. Steps that
 * depend on another (no point writing to a bucket that cannot be reached) name it in `needs` and
 * are skipped, saying why, when it did not pass. The runner never throws: a step that throws
 * unexpectedly is a failed step, so the operator always gets the full list.
 *
 * What this file does not know: which steps exist (steps.ts), or how they are printed (report.ts).
 */
import type { S3Client } from '@aws-sdk/client-s3';
import type { Config } from '../config/types.js';
import type { DiskUsageIo } from '../disk/usage.js';
import type { CloudWatchSend } from '../sinks/cloudwatch/metrics-publisher.js';
import type { ServerDates } from './server-date.js';

export type StepStatus = 'pass' | 'fail' | 'skip';

export interface StepOutcome {
  readonly status: StepStatus;
  /** One line: what was found. */
  readonly detail: string;
  /** For a failure: what the operator should do. */
  readonly fix?: string;
}

/** Resolved credentials; `$source` is the SDK's record of which provider answered. */
export type ResolvedCredentials = Awaited<ReturnType<S3Client['config']['credentials']>> & { readonly $source?: Readonly<Record<string, string>> };

/** The file-system questions the directory steps ask, injectable so tests need no chmod (root ignores it). */
export interface DirectoryProbe {
  /** What is at `path`: a directory, something else, or nothing. */
  kind(path: string): Promise<'directory' | 'other' | 'missing'>;
  /** null when `path` can be listed and read, else the errno (EACCES …). */
  readable(path: string): Promise<string | null>;
  /** null when entries can be created and deleted in `path`, else the errno. */
  writable(path: string): Promise<string | null>;
}

/** Everything a step may use; built once per run by the command (cli/doctor.ts) or by a test. */
export interface DoctorContext {
  readonly config: Config;
  readonly s3: Pick<S3Client, 'send'>;
  /** Where S3 requests go, for messages: the endpoint URL or "AWS <region>". */
  readonly s3Where: string;
  /** s3.profile, else AWS_PROFILE: the profile the SDK reads, if any. */
  readonly awsProfile: string | null;
  /** The credentials the S3 client will sign with (its own provider chain). */
  readonly credentials: () => Promise<ResolvedCredentials>;
  /** null when monitoring.cloudwatch_enabled is false. */
  readonly cloudWatch: CloudWatchSend | null;
  /** Date headers of the S3 endpoint's answers, read by the clock-skew step. */
  readonly serverDates: ServerDates;
  readonly directories: DirectoryProbe;
  readonly diskIo: DiskUsageIo;
  /** True when doctor runs as root, whose file permissions differ from the service user's. */
  readonly runningAsRoot: boolean;
  readonly now: () => number;
  /** A short unique token for probe object names. */
  readonly nonce: string;
  /** Deadline for one network call. */
  readonly timeoutMs: number;
}

export interface DoctorStep {
  /** Stable machine name (JSON output, `needs`). */
  readonly id: string;
  /** Shown on the step's line. */
  readonly title: string;
  /** Steps that must pass first; otherwise this one is skipped. */
  readonly needs?: readonly string[];
  run(ctx: DoctorContext): Promise<StepOutcome>;
}

export interface StepReport extends StepOutcome {
  readonly id: string;
  readonly title: string;
}

export const pass = (detail: string): StepOutcome => ({ status: 'pass', detail });
export const fail = (detail: string, fix: string): StepOutcome => ({ status: 'fail', detail, fix });
export const skip = (detail: string): StepOutcome => ({ status: 'skip', detail });

/** Runs `steps` in order; `onStep` sees each report as soon as it is known (live output). */
export async function runSteps(steps: readonly DoctorStep[], ctx: DoctorContext, onStep: (r: StepReport) => void = () => undefined): Promise<StepReport[]> {
  const reports: StepReport[] = [];
  const byId = new Map<string, StepReport>();
  for (const step of steps) {
    const blocker = (step.needs ?? []).map((id) => byId.get(id)).find((r) => r !== undefined && r.status !== 'pass');
    let outcome: StepOutcome;
    if (blocker !== undefined) {
      outcome = skip(`not run: "${blocker.title}" did not pass`);
    } else {
      try {
        outcome = await step.run(ctx);
      } catch (err) {
        outcome = fail(`the check itself failed: ${err instanceof Error ? err.message : String(err)}`, 'please report this with the output of `tvm-upload doctor --json`');
      }
    }
    const report: StepReport = { id: step.id, title: step.title, ...outcome };
    reports.push(report);
    byId.set(step.id, report);
    onStep(report);
  }
  return reports;
}

/** No step failed (a step skipped for a failed dependency implies that one failed). */
export function allPassed(reports: readonly StepReport[]): boolean {
  return reports.every((r) => r.status !== 'fail');
}
