/**
 * One look at the current link: the operator's `upload.links.probe_command` if set (its first
 * output line is a link name — wifi, cellular, wired, offline — or an interface name, mapped
 * like a route's), else the default route's interface from `upload.links.route_file`. The file
 * system and the command runner are injectable so tests probe in virtual time.
 */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import type { LinksConfig } from '../config/types.js';
import { defaultRouteInterface } from './route-table.js';
import { isLinkKind, type InterfaceMap, type LinkKind } from './link-kind.js';

/** A probe command that does not answer within this long counts as a failed probe. */
export const PROBE_COMMAND_TIMEOUT_MS = 5000;

export interface ProbeIo {
  readFile(path: string): Promise<string>;
  /** Runs `command` with /bin/sh -c; resolves with stdout, rejects on failure or timeout. */
  run(command: string, timeoutMs: number): Promise<string>;
}

export const realProbeIo: ProbeIo = {
  readFile: (path) => readFile(path, 'utf8'),
  run: (command, timeoutMs) =>
    new Promise((resolve, reject) => {
      execFile('/bin/sh', ['-c', command], { timeout: timeoutMs, maxBuffer: 64 * 1024 }, (err, stdout) => {
        if (err) reject(err);
        else resolve(stdout);
      });
    }),
};

export type LinkReading =
  | { readonly ok: true; readonly link: LinkKind; readonly iface: string | null; readonly mapped: boolean }
  | { readonly ok: false; readonly error: string };

export async function probeLink(cfg: LinksConfig, map: InterfaceMap, io: ProbeIo): Promise<LinkReading> {
  if (cfg.probeCommand !== null) {
    let out: string;
    try {
      out = await io.run(cfg.probeCommand, PROBE_COMMAND_TIMEOUT_MS);
    } catch (err) {
      return { ok: false, error: `upload.links.probe_command ${JSON.stringify(cfg.probeCommand)} failed: ${message(err)}` };
    }
    const answer = (out.split('\n')[0] ?? '').trim();
    if (isLinkKind(answer)) return { ok: true, link: answer, iface: null, mapped: true };
    const iface = answer === '' ? null : answer;
    return { ok: true, iface, ...map.classify(iface) };
  }
  let table: string;
  try {
    table = await io.readFile(cfg.routeFile);
  } catch (err) {
    return { ok: false, error: `upload.links.route_file ${cfg.routeFile} cannot be read: ${message(err)}` };
  }
  const iface = defaultRouteInterface(table);
  return { ok: true, iface, ...map.classify(iface) };
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
