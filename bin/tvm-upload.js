#!/usr/bin/env node
// Runs the compiled daemon from dist/ when it exists (installed package), otherwise the
// TypeScript sources through tsx (a development checkout).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

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
