/**
 * Runs the real CLI (`bin/tvm-upload.js`) as a child process, the way systemd does, and reads
 * its JSON log lines. Used by the CLI integration tests and the crash suite.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import { childEnv } from './child-env.js';

export const BIN = fileURLToPath(new URL('../../bin/tvm-upload.js', import.meta.url));
const MAIN = fileURLToPath(new URL('../../src/main.ts', import.meta.url));

/**
 * Arguments that run the CLI from source with the same loader mocha uses (`--import tsx`):
 * under c8, coverage from a child is merged with the parent's only when both transpiled the
 * sources identically (bin/'s tsx `register()` API does not). bin/ itself has its own smoke test.
 */
export function cliArgs(args: readonly string[]): string[] {
  return ['--import', 'tsx', MAIN, ...args];
}

export interface LogLine {
  level: string;
  msg: string;
  [k: string]: unknown;
}

export class DaemonProcess {
  readonly lines: LogLine[] = [];
  readonly stderr: string[] = [];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private waiters: Array<() => void> = [];

  constructor(readonly child: ChildProcess) {
    createInterface({ input: child.stdout! }).on('line', (l) => {
      try {
        this.lines.push(JSON.parse(l) as LogLine);
      } catch {
        this.lines.push({ level: 'raw', msg: l });
      }
      for (const w of this.waiters.splice(0)) w();
    });
    child.stderr!.on('data', (d: Buffer) => this.stderr.push(d.toString()));
    this.exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  }

  static start(args: string[], env: NodeJS.ProcessEnv): DaemonProcess {
    const child = spawn(process.execPath, cliArgs(args), {
      env: childEnv({ AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', ...env }),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    return new DaemonProcess(child);
  }

  /** Resolves when a log line matches, rejects if the process exits first or the timeout passes. */
  async waitFor(pred: (l: LogLine) => boolean, what: string, timeoutMs = 60_000): Promise<LogLine> {
    const end = Date.now() + timeoutMs;
    let exited = false;
    void this.exited.then(() => {
      exited = true;
      for (const w of this.waiters.splice(0)) w();
    });
    for (;;) {
      const hit = this.lines.find(pred);
      if (hit) return hit;
      if (exited) throw new Error(`process exited before ${what}; stderr: ${this.stderr.join('')}`);
      const left = end - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for ${what}; last lines: ${JSON.stringify(this.lines.slice(-5))}`);
      await new Promise<void>((r) => {
        const t = setTimeout(r, Math.min(left, 1000));
        this.waiters.push(() => {
          clearTimeout(t);
          r();
        });
      });
    }
  }

  count(pred: (l: LogLine) => boolean): number {
    return this.lines.filter(pred).length;
  }

  kill(signal: NodeJS.Signals): void {
    this.child.kill(signal);
  }
}
