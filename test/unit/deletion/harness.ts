/**
 * A deletion set-up over real files and a real state store in a temp dir, with an injected
 * clock and a statfs probe computed from the files present (helpers.ts filesDiskIo).
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { parseConfig } from '../../../src/config/load.js';
import type { Config } from '../../../src/config/types.js';
import { buildDeletion, type Deletion } from '../../../src/deletion/build.js';
import type { DeletionExecutor } from '../../../src/deletion/executor.js';
import { openStateStore, type StateStore } from '../../../src/state/store.js';
import { Telemetry, type TelemetryEvent } from '../../../src/telemetry/events.js';
import { silentLogger } from '../../../src/telemetry/logger.js';
import { filesDiskIo, writeFile } from './helpers.js';
import { tempDir, removeDir } from '../../support/temp-dir.js';
import { daemonConfig, type ConfigTree } from '../../support/daemon-config.js';

export const DAY = 24 * 3_600_000;
export const MIB = 1024 * 1024;

export interface HarnessOptions {
  /** The `deletion:` section, replacing the default (every policy off). */
  readonly deletion?: ConfigTree;
  /** The `disk:` section, replacing the default (reserved_gb 0.000001). */
  readonly disk?: ConfigTree;
  /** Extra keys of the log directory entry, e.g. `{ allow_deletion: false }`. */
  readonly dir?: ConfigTree;
  readonly capacity?: number;
  readonly baseline?: number;
}

export class Harness {
  readonly root = tempDir('tvm-deletion-');
  readonly logs = join(this.root, 'logs');
  readonly config: Config;
  readonly store: StateStore;
  readonly telemetry = new Telemetry(silentLogger());
  readonly events: TelemetryEvent[] = [];
  readonly io;
  now = Date.now();

  constructor(o: HarnessOptions = {}) {
    mkdirSync(this.logs, { recursive: true });
    const base = daemonConfig({
      root: this.root,
      bucket: 'tvm-logs',
      vehicleId: 'v1',
      directories: [{ path: this.logs, source: 'ros', ...o.dir }],
      overrides: { upload: { schedule: '01:00', file_stable_seconds: 60 } },
    });
    // Sections replaced whole, not merged: a test's deletion policies are exactly the ones it names.
    const deletion = o.deletion ?? { after_upload: { enabled: false }, age_based: { enabled: false } };
    this.config = parseConfig(stringify({ ...base, deletion, disk: o.disk ?? { reserved_gb: 0.000001 } }), { env: {} });
    this.store = openStateStore({ dir: this.config.stateDir, logger: silentLogger(), now: () => this.now });
    this.io = filesDiskIo(this.logs, o.capacity ?? 100 * MIB, o.baseline ?? 0);
    this.telemetry.on((e) => this.events.push(e));
  }

  build(dryRun = false): Deletion & { executor: DeletionExecutor } {
    const d = buildDeletion({
      config: this.config,
      db: this.store.db,
      dbPath: this.store.dbPath,
      enqueue: (i, t) => this.store.files.enqueue(i, t),
      telemetry: this.telemetry,
      logger: silentLogger(),
      now: () => this.now,
      dryRun,
      diskIo: this.io,
    });
    return { ...d, executor: d.pass.executor };
  }

  /** A file on disk recorded as uploaded `uploadedAgo` ms ago; mtime `ageMs` before now. */
  uploaded(rel: string, size: number, ageMs: number, uploadedAgo = ageMs): string {
    const path = join(this.logs, rel);
    const mtimeMs = writeFile(path, size, this.now - ageMs);
    this.store.files.importUploaded({ path, source: 'ros', relPath: rel, size, mtimeMs, uploadedAt: this.now - uploadedAgo, objectKey: `v1/${rel}` });
    return path;
  }

  /** A file on disk that is queued, not uploaded. */
  queued(rel: string, size: number, ageMs: number): string {
    const path = join(this.logs, rel);
    const mtimeMs = writeFile(path, size, this.now - ageMs);
    this.store.files.enqueue({ path, source: 'ros', relPath: rel, size, mtimeMs }, this.now);
    return path;
  }

  exists(path: string): boolean {
    return existsSync(path);
  }

  deletedPaths(): string[] {
    return this.events.flatMap((e) => (e.type === 'file.deleted' ? [e.path] : []));
  }

  close(): void {
    this.store.close();
    removeDir(this.root);
  }
}
