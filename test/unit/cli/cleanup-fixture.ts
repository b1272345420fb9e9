/**
 * The tree the `cleanup` command tests share (unit, and the integration file that signals a lock
 * holder): a config with deletion after upload at keep_days 0, one uploaded file (due at once)
 * and one queued file (never deletable), both a day old, recorded in a state store.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CliIo } from '../../../src/cli/io.js';
import { openStateStore } from '../../../src/state/store.js';
import { silentLogger } from '../../../src/telemetry/logger.js';
import { writeFile } from '../deletion/helpers.js';
import { tempDir } from '../../support/temp-dir.js';
import { daemonConfigYaml, type ConfigTree } from '../../support/daemon-config.js';
import { patched } from '../../support/patch.js';

const DAY = 24 * 3_600_000;

/** A CliIo that keeps what the command prints. */
export function capturedIo() {
  const out: string[] = [];
  const err: string[] = [];
  const cli: CliIo = { out: (t) => out.push(t), err: (t) => err.push(t), env: {} };
  return { cli, out: () => out.join('\n'), err: () => err.join('') };
}

export interface CleanupTree {
  readonly dir: string;
  readonly config: string;
  readonly uploaded: string;
  readonly queued: string;
  /** The tree's config text, with `extra` patched over it. */
  readonly configYaml: (extra?: ConfigTree) => string;
}

export function cleanupTree(): CleanupTree {
  const dir = tempDir('tvm-cleanup-');
  const configYaml = (extra: ConfigTree = {}): string =>
    daemonConfigYaml({ root: dir, bucket: 'tvm-cli', vehicleId: 'cli-test', overrides: patched({ deletion: { after_upload: { enabled: true, keep_days: 0 } } }, extra) });
  const config = join(dir, 'config.yaml');
  writeFileSync(config, configYaml());
  const store = openStateStore({ dir: join(dir, 'state'), logger: silentLogger() });
  const uploaded = join(dir, 'logs/run1/a.log');
  const queued = join(dir, 'logs/run1/b.log');
  const now = Date.now();
  const m1 = writeFile(uploaded, 1000, now - DAY);
  const m2 = writeFile(queued, 2000, now - DAY);
  store.files.importUploaded({ path: uploaded, source: 'ros', relPath: 'run1/a.log', size: 1000, mtimeMs: m1, uploadedAt: now - 1000, objectKey: 'k' });
  store.files.enqueue({ path: queued, source: 'ros', relPath: 'run1/b.log', size: 2000, mtimeMs: m2 }, now);
  store.close();
  return { dir, config, uploaded, queued, configYaml };
}
