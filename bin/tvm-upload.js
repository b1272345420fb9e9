#!/usr/bin/env node
// Runs the compiled daemon from dist/ when it exists (installed package), otherwise the
// TypeScript sources through tsx (a development checkout).
import { existsSync } from 'node:fs';
import nodeModule from 'node:module';
import { fileURLToPath } from 'node:url';

// Node >= 22.1 keeps the code it compiled on disk and reuses it on the next run (each entry
// checked against the source's hash), so a command or a restart compiles nothing twice:
// docs/PERFORMANCE.md measures the saving. The directory is NODE_COMPILE_CACHE when set (the
// systemd unit points it at its CacheDirectory), else Node's default under the temporary
// directory. Node 20 has no such cache: nothing to do. A cache that cannot be written is
// skipped by Node itself, never an error.
nodeModule.enableCompileCache?.();

// Before the sources load (tsx takes a moment): a listener for every signal the daemon answers
// to, so SIGUSR1 cannot open the Node inspector and SIGHUP/SIGTERM do not kill the process by
// their default action. src/signals.ts takes over and replays what arrived meanwhile.
const early = { received: [], listeners: {} };
globalThis[Symbol.for('tvm-upload.early-signals')] = early;
for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP', 'SIGUSR1', 'SIGUSR2']) {
  early.listeners[signal] = () => {
    if (early.received.length < 16) early.received.push(signal);
  };
  process.on(signal, early.listeners[signal]);
}

const dist = new URL('../dist/main.js', import.meta.url);
if (existsSync(dist)) {
  await import(dist.href);
} else {
  let tsx;
  try {
    tsx = await import('tsx/esm/api');
  } catch (err) {
    if (err?.code !== 'ERR_MODULE_NOT_FOUND') throw err;
    // Neither a built package nor a checkout with its dev dependencies: say so, not "cannot find tsx".
    process.stderr.write(`tvm-upload: ${fileURLToPath(dist)} is missing and tsx (a development dependency) is not installed: ` +
      'install the packaged release, or run `npm ci && npm run build` in this checkout\n');
    process.exit(1);
  }
  tsx.register();
  await import(new URL('../src/main.ts', import.meta.url).href);
}
