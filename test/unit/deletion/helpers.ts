/** Shared fakes of the deletion tests: log directory entries and an in-memory file tree. */
import { mkdirSync, readdirSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parseConfig } from '../../../src/config/load.js';
import type { Config, LogDirectory } from '../../../src/config/types.js';
import type { DiskUsageIo } from '../../../src/disk/usage.js';
import type { FileView, SafetyFs } from '../../../src/deletion/safety.js';
import { daemonConfigYaml } from '../../support/daemon-config.js';

export const NOW = 1_800_000_000_000;
export const OLD = NOW - 3_600_000;

export function dir(path: string, extra: Partial<LogDirectory> = {}): LogDirectory {
  return { path, source: path.split('/').filter(Boolean).join('_') || 'root', recursive: true, pattern: null, allowDeletion: true, legacy: false, ...extra };
}

/** An in-memory tree: files, symlinks, and a realpath table for symlinked directories. */
export class FakeFs implements SafetyFs {
  readonly files = new Map<string, FileView>();
  readonly realDirs = new Map<string, string>();

  file(path: string, size = 100, mtimeMs = OLD): this {
    this.files.set(path, { isFile: true, isSymlink: false, size, mtimeMs });
    return this;
  }

  link(path: string): this {
    this.files.set(path, { isFile: false, isSymlink: true, size: 10, mtimeMs: OLD });
    return this;
  }

  lstat(path: string): FileView | null {
    return this.files.get(path) ?? null;
  }

  realpath(path: string): string | null {
    for (const [from, to] of this.realDirs) {
      if (path === from || path.startsWith(from + '/')) return to + path.slice(from.length);
    }
    return path;
  }
}


/**
 * A filesystem of `capacity` bytes whose usage is `baseline` plus the sizes of the regular files
 * under `root` right now, as statfs would report it (bsize 1, no root-reserved blocks): deleting
 * a file frees its bytes at once, so emergency deletion can be watched in a unit test.
 */
export function filesDiskIo(root: string, capacity: number, baseline = 0, device = 1): DiskUsageIo & { calls: number; baseline: number } {
  const io = {
    calls: 0,
    /** Bytes used besides the files; tests may change it to simulate other writers. */
    baseline,
    statfs: async () => {
      io.calls += 1;
      const used = Math.min(capacity, io.baseline + treeBytes(root));
      return { bsize: 1, blocks: capacity, bfree: capacity - used, bavail: capacity - used };
    },
    device: async () => device,
  };
  return io;
}

function treeBytes(dir: string): number {
  let total = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) total += treeBytes(p);
    else if (e.isFile()) total += statSync(p).size;
  }
  return total;
}

/** Writes `size` bytes at `path` (parents created) with the given mtime; returns the mtime as lstat reads it. */
export function writeFile(path: string, size: number, mtimeMs: number): number {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, Buffer.alloc(size, 0x61));
  utimesSync(path, mtimeMs / 1000, mtimeMs / 1000);
  return statSync(path).mtimeMs;
}

/** A config with only the emergency policy on, over the given directories (path → source). */
export function emergencyOnlyConfig(dirs: Record<string, string>, disk: { warning: number; critical: number }, stateDir: string): Config {
  const directories = Object.entries(dirs).map(([path, source]) => ({ path, source }));
  const overrides = {
    upload: { schedule: '01:00' },
    deletion: { emergency: { enabled: true } },
    disk: { reserved_gb: 0.000001, warning_threshold: disk.warning, critical_threshold: disk.critical },
    state_dir: stateDir,
  };
  return parseConfig(daemonConfigYaml({ root: dirname(stateDir), bucket: 'tvm-logs', vehicleId: 'v', directories, overrides }), { env: {} });
}
