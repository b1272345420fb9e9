/**
 * Doctor steps, one per watched directory: it can be listed and read (the daemon walks it and
 * reads every file), and it can be written where `allow_deletion` is true (deleting a file needs
 * write permission on its directory); and one for `state_dir`, which must be writable. A directory that does not exist yet passes when the daemon
 * can create it (it does so at start). The file-system questions go through `DirectoryProbe`, so
 * tests can answer them without chmod, which root ignores.
 */
import { constants } from 'node:fs';
import { access, opendir, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { LogDirectory } from '../config/types.js';
import { fail, pass, type DirectoryProbe, type DoctorContext, type DoctorStep, type StepOutcome } from './step.js';

export type { DirectoryProbe };

const errno = (err: unknown): string => (err as NodeJS.ErrnoException | null)?.code ?? String(err);

export const realDirectoryProbe: DirectoryProbe = {
  async kind(path) {
    try {
      return (await stat(path)).isDirectory() ? 'directory' : 'other';
    } catch (err) {
      if (errno(err) === 'ENOENT') return 'missing';
      throw err;
    }
  },
  async readable(path) {
    try {
      await access(path, constants.R_OK | constants.X_OK);
      const dir = await opendir(path);
      await dir.read();
      await dir.close();
      return null;
    } catch (err) {
      return errno(err);
    }
  },
  async writable(path) {
    try {
      await access(path, constants.W_OK | constants.X_OK);
      return null;
    } catch (err) {
      return errno(err);
    }
  },
};

/** The first ancestor of `path` that exists (the daemon creates the rest). */
async function nearestExisting(probe: DirectoryProbe, path: string): Promise<string> {
  let p = dirname(path);
  while ((await probe.kind(p)) === 'missing' && p !== dirname(p)) p = dirname(p);
  return p;
}

const ROOT_NOTE = ' (checked as root, whom permissions do not stop: run doctor as the service user to be sure)';

async function checkDirectory(ctx: DoctorContext, d: LogDirectory): Promise<StepOutcome> {
  const probe = ctx.directories;
  const note = ctx.runningAsRoot ? ROOT_NOTE : '';
  const owner = 'the user the service runs as (User= in tvm-upload.service)';
  const kind = await probe.kind(d.path);
  if (kind === 'other') return fail(`${d.path} exists but is not a directory`, `remove or rename it, or fix log_directories path "${d.path}"`);
  if (kind === 'missing') {
    const parent = await nearestExisting(probe, d.path);
    const why = await probe.writable(parent);
    if (why !== null) return fail(`${d.path} does not exist and ${parent} is not writable (${why})`, `create ${d.path} readable by ${owner}`);
    return pass(`does not exist yet; the daemon will create it under ${parent}${note}`);
  }
  const unreadable = await probe.readable(d.path);
  if (unreadable !== null) return fail(`${d.path} cannot be read (${unreadable})`, `give ${owner} read and execute permission on ${d.path} (e.g. chmod o+rx, or a group it belongs to)`);
  if (d.allowDeletion) {
    const unwritable = await probe.writable(d.path);
    if (unwritable !== null) {
      return fail(
        `${d.path} is readable but not writable (${unwritable}), and allow_deletion is true: uploaded files could not be deleted`,
        `give ${owner} write permission on ${d.path}, or set allow_deletion: false for it`,
      );
    }
    return pass(`readable and writable (allow_deletion: true)${note}`);
  }
  return pass(`readable (allow_deletion: false, so not written)${note}`);
}

/** The state directory holds the database and the compression spool: it must be writable. */
async function checkStateDir(ctx: DoctorContext): Promise<StepOutcome> {
  const dir = ctx.config.stateDir;
  const note = ctx.runningAsRoot ? ROOT_NOTE : '';
  const fix = `give the service user write permission on ${dir} (StateDirectory= in tvm-upload.service does this for /var/lib/tvm-upload), or set state_dir`;
  const kind = await ctx.directories.kind(dir);
  if (kind === 'other') return fail(`${dir} exists but is not a directory`, `remove or rename it, or set state_dir to a directory`);
  if (kind === 'missing') {
    const parent = await nearestExisting(ctx.directories, dir);
    const why = await ctx.directories.writable(parent);
    if (why !== null) return fail(`${dir} does not exist and ${parent} is not writable (${why})`, fix);
    return pass(`does not exist yet; the daemon will create it under ${parent}${note}`);
  }
  const why = await ctx.directories.writable(dir);
  if (why !== null) return fail(`${dir} is not writable (${why}): the daemon cannot keep its queue or spool there`, fix);
  return pass(`writable${note}`);
}

export const stateDirStep: DoctorStep = {
  id: 'state-dir',
  title: 'state directory',
  run: checkStateDir,
};

export function directorySteps(dirs: readonly LogDirectory[]): DoctorStep[] {
  return dirs.map((d, i) => ({
    id: `directory-${i}`,
    title: `watched directory ${d.path}`,
    run: (ctx: DoctorContext) => checkDirectory(ctx, d),
  }));
}
