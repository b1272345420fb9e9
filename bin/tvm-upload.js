#!/usr/bin/env node
// Runs the compiled daemon from dist/ when it exists (installed package), otherwise the
// TypeScript sources through tsx (a development checkout).
import { existsSync } from 'node:fs';

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
  const { register } = await import('tsx/esm/api');
  register();
  await import(new URL('../src/main.ts', import.meta.url).href);
}
