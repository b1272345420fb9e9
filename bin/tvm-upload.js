#!/usr/bin/env node
// Runs the compiled daemon from dist/ when it exists (installed package), otherwise the
// TypeScript sources through tsx (a development checkout).
import { existsSync } from 'node:fs';

const dist = new URL('../dist/main.js', import.meta.url);
if (existsSync(dist)) {
  await import(dist.href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import(new URL('../src/main.ts', import.meta.url).href);
}
