/**
 * Reading the configuration file's text, with one clear problem line for each way that can
 * fail (missing, a directory, a device, too large, permission denied). Never follows up with
 * YAML parsing; load.ts does that.
 */
import fs from 'node:fs';
import { ConfigError, systemCode } from '../errors.js';

/** A config file larger than this is certainly not a config file. */
export const MAX_CONFIG_BYTES = 1024 * 1024;

export function readConfigText(file: string): string {
  let text: string;
  let shape: string | null;
  try {
    const stat = fs.statSync(file);
    shape = shapeProblem(file, stat);
    text = shape === null ? fs.readFileSync(file, 'utf8') : '';
  } catch (err) {
    shape = describeFsError(file, err);
    text = '';
  }
  if (shape !== null) throw new ConfigError([shape], file);
  return text;
}

/** Checked before reading so a FIFO or device is never opened (it could block or never end). */
function shapeProblem(file: string, stat: fs.Stats): string | null {
  if (stat.isDirectory()) return `config file ${file} is a directory, not a file`;
  if (!stat.isFile()) return `config file ${file} is not a regular file`;
  if (stat.size > MAX_CONFIG_BYTES) return `config file ${file} is ${stat.size} bytes; a config file is at most ${MAX_CONFIG_BYTES}`;
  return null;
}

export function describeFsError(file: string, err: unknown): string {
  switch (systemCode(err)) {
    case 'ENOENT':
      return `config file ${file} does not exist`;
    case 'EACCES':
    case 'EPERM':
      return `config file ${file} is not readable (permission denied)`;
    case 'ENOTDIR':
      return `config file ${file} does not exist (a parent of it is not a directory)`;
    case 'EISDIR':
      return `config file ${file} is a directory, not a file`;
    default:
      return `config file ${file} could not be read: ${err instanceof Error ? err.message : String(err)}`;
  }
}
