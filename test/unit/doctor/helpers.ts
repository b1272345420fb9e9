/**
 * A doctor context made of fakes: S3 and CloudWatch as a `send` that answers from a handler
 * per command name, file-system and disk probes from tables, a fixed clock.
 */
import { parseConfig } from '../../../src/config/load.js';
import type { Config } from '../../../src/config/types.js';
import type { DiskUsageIo, StatfsLike } from '../../../src/disk/usage.js';
import type { DirectoryProbe } from '../../../src/doctor/directories.js';
import { ServerDateLog } from '../../../src/doctor/server-date.js';
import type { DoctorContext, ResolvedCredentials } from '../../../src/doctor/step.js';

export const NOW = Date.parse('2026-12-07T10:00:00Z');

export interface Sent {
  readonly name: string;
  readonly input: Record<string, unknown>;
}

type Handler = (input: Record<string, unknown>) => unknown;

/** A `send` that records every command and answers with `handlers[CommandName]` (default: {}). */
export function fakeSend(handlers: Record<string, Handler> = {}): { send: (cmd: unknown) => Promise<unknown>; sent: Sent[] } {
  const sent: Sent[] = [];
  return {
    sent,
     
    send: async (cmd: unknown) => {
      const c = cmd as { constructor: { name: string }; input: Record<string, unknown> };
      const name = c.constructor.name.replace(/Command$/, '');
      sent.push({ name, input: c.input });
      const h = handlers[name];
      return h === undefined ? {} : h(c.input);
    },
  };
}

/** An SDK-shaped service error. */
export function awsError(name: string, status: number, message = name): Error {
  return Object.assign(new Error(message), { name, $metadata: { httpStatusCode: status } });
}

export function config(yamlExtra = ''): Config {
  return parseConfig(
    [
      'vehicle_id: car-7',
      'log_directories:',
      '  - {path: /logs/ros, source: ros, allow_deletion: true}',
      '  - {path: /logs/other, source: other, allow_deletion: false}',
      's3: {bucket: tvm-bucket, region: eu-west-1}',
      'upload: {schedule: "02:00"}',
      'disk: {reserved_gb: 10}',
      'state_dir: /var/lib/tvm-upload',
      yamlExtra,
    ].join('\n'),
    { env: {} },
  );
}

export const fsTable = (kinds: Record<string, 'directory' | 'other'>, unreadable: Record<string, string> = {}, unwritable: Record<string, string> = {}): DirectoryProbe => ({
   
  kind: async (p) => kinds[p] ?? 'missing',
   
  readable: async (p) => unreadable[p] ?? null,
   
  writable: async (p) => unwritable[p] ?? null,
});

/** Disk io where every path under a prefix is one device with the given statfs answer. */
export function diskTable(devices: ReadonlyArray<{ prefix: string; dev: number; statfs: StatfsLike }>): DiskUsageIo {
  const find = (p: string) => devices.find((d) => p.startsWith(d.prefix));
  return {
     
    statfs: async (p) => find(p)?.statfs ?? { bsize: 4096, blocks: 1000, bfree: 900, bavail: 900 },
     
    device: async (p) => find(p)?.dev ?? 1,
  };
}

/** `used` of 1000 blocks used, the rest available. */
export const statfsUsed = (used: number): StatfsLike => ({ bsize: 1_000_000, blocks: 1000, bfree: 1000 - used, bavail: 1000 - used });

export function context(over: Partial<DoctorContext> = {}): DoctorContext {
  const creds: ResolvedCredentials = { accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'never-shown', $source: { CREDENTIALS_ENV_VARS: 'g' } };
  return {
    config: config(),
    s3: fakeSend() as unknown as DoctorContext['s3'],
    s3Where: 'AWS eu-west-1',
    awsProfile: null,
     
    credentials: async () => creds,
    cloudWatch: null,
    serverDates: new ServerDateLog(),
    directories: fsTable({ '/logs/ros': 'directory', '/logs/other': 'directory', '/var/lib/tvm-upload': 'directory' }),
    diskIo: diskTable([]),
    runningAsRoot: false,
    now: () => NOW,
    nonce: 'host-1',
    timeoutMs: 1000,
    ...over,
  };
}
