/**
 * Doctor step: a dry run of the deletion policies (src/deletion/dry-run.ts, read-only, beside a
 * running daemon or not), saying what they would delete now and whether anything not yet uploaded
 * is among it. Skipped, not failed, before the daemon has run once (no state database yet).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { dryRunReadOnly } from '../deletion/dry-run.js';
import { DB_FILE } from '../state/store.js';
import { silentLogger } from '../telemetry/logger.js';
import { fail, pass, skip, type DoctorStep } from './step.js';

export const deletionDryRunStep: DoctorStep = {
  id: 'deletion-dry-run',
  title: 'deletion dry run',
  async run(ctx) {
    if (!existsSync(join(ctx.config.stateDir, DB_FILE))) return skip(`no state database in ${ctx.config.stateDir} yet: the daemon has not run`);
    try {
      const r = await dryRunReadOnly(ctx.config, silentLogger(), { diskIo: ctx.diskIo });
      const byPolicy = new Map<string, number>();
      for (const e of r.entries) byPolicy.set(e.policy, (byPolicy.get(e.policy) ?? 0) + 1);
      const parts = [...byPolicy].map(([p, n]) => `${p} ${n}`).join(', ');
      const what = r.deletedCount === 0 ? 'nothing to delete now' : `would delete ${r.deletedCount} files (${r.deletedBytes} bytes) now: ${parts}`;
      return pass(r.notUploadedCount > 0 ? `${what}; ${r.notUploadedCount} of them not uploaded yet (disk pressure or include_not_uploaded)` : what);
    } catch (err) {
      return fail(`the deletion dry run failed: ${err instanceof Error ? err.message : String(err)}`, 'run `tvm-upload cleanup --dry-run` for details');
    }
  },
};
