#!/usr/bin/env node
// Which paths the systemd sandbox must open up for a configuration: install.sh runs this (as
// the service user, with the service's environment, so ~ and ${HOME} expand as they will at
// run time) and turns the answer into ReadWritePaths= lines of the generated drop-in.
//
//   node service-paths.mjs <app>/dist/config/load.js /etc/tvm-upload/config.yaml
//
// Prints one line per path, tab-separated: `rw` (must be writable: log directories whose files
// may be deleted, a state_dir outside StateDirectory=), `ro` (read access is enough), `warn`
// (something the sandbox will break). It validates nothing itself: loadConfig does, and a bad
// configuration exits 2 with its problems, like `tvm-upload check-config`.
import process from 'node:process';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

/** The directory systemd creates and opens for StateDirectory=tvm-upload. */
export const UNIT_STATE_DIR = '/var/lib/tvm-upload';

const HIDDEN_BY_PRIVATE_TMP = ['/tmp', '/var/tmp'];

const inside = (child, parent) => child === parent || child.startsWith(parent.endsWith('/') ? parent : parent + '/');

/**
 * Pure: the sandbox openings a resolved Config needs. Paths are returned as configured (the
 * sandbox follows symlinks when it sets up the mount, so a link to a log directory works).
 */
export function servicePaths(config) {
  const lines = [];
  const add = (kind, p, why) => {
    if (!lines.some((l) => l.kind === kind && l.path === p)) lines.push({ kind, path: p, why });
  };
  if (!inside(config.stateDir, UNIT_STATE_DIR)) add('rw', config.stateDir, 'state_dir');
  for (const d of config.logDirectories) {
    if (d.allowDeletion) add('rw', d.path, `log directory "${d.source}" (deletion allowed)`);
    else add('ro', d.path, `log directory "${d.source}" (allow_deletion: false)`);
  }
  const all = [config.stateDir, ...config.logDirectories.map((d) => d.path)];
  for (const p of all) {
    if (HIDDEN_BY_PRIVATE_TMP.some((t) => inside(p, t))) {
      add('warn', p, 'PrivateTmp=yes gives the service its own empty /tmp and /var/tmp: move this directory, or set PrivateTmp=no in 60-local.conf');
    }
    if (/["\\\n\t]/.test(p)) {
      add('warn', p, 'contains a quote, backslash or control character, which ReadWritePaths= cannot express: rename the directory');
    }
  }
  return lines;
}

async function main(argv) {
  const [loadModule, configFile] = argv;
  if (loadModule === undefined || configFile === undefined) {
    process.stderr.write('usage: service-paths.mjs <path to dist/config/load.js> <config.yaml>\n');
    return 2;
  }
  const { loadConfig } = await import(pathToFileURL(path.resolve(loadModule)).href);
  let config;
  try {
    config = loadConfig(configFile);
  } catch (err) {
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
    return err && typeof err === 'object' && err.code === 'TVM_ERR_CONFIG_INVALID' ? 2 : 1;
  }
  for (const l of servicePaths(config)) process.stdout.write(`${l.kind}\t${l.path}\t${l.why}\n`);
  return 0;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  process.exitCode = await main(process.argv.slice(2));
}
