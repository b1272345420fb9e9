/**
 * What the OS knows about a process, read from /proc (Linux only): CPU seconds (user + system,
 * all threads, so the daemon's worker threads are included) and memory (current RSS and the
 * kernel's high-water mark VmHWM). A sampler polls RSS of a process and its descendants, for
 * the sampled peak and for tools that run as a process tree (awscli's shim → python).
 *
 * Clock ticks are USER_HZ, which Linux fixes at 100 on every architecture we run on.
 */
import { readFileSync, readdirSync } from 'node:fs';

const USER_HZ = 100;

export interface CpuTimes {
  readonly user: number;
  readonly sys: number;
}

export interface MemoryReading {
  /** Resident set size now, MiB. */
  readonly rssMb: number;
  /** The kernel's resident high-water mark since exec, MiB. */
  readonly hwmMb: number;
}

function readProc(pid: number, file: string): string | null {
  try {
    return readFileSync(`/proc/${pid}/${file}`, 'utf8');
  } catch {
    return null;
  }
}

/** Parses /proc/<pid>/stat text; the command name may contain spaces and parentheses. */
export function parseStatCpu(stat: string): CpuTimes {
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // Fields after the name start at field 3 (state); utime is field 14, stime field 15.
  const utime = Number(rest[11]);
  const stime = Number(rest[12]);
  if (!Number.isFinite(utime) || !Number.isFinite(stime)) throw new Error(`unparseable /proc stat: ${stat.slice(0, 80)}`);
  return { user: utime / USER_HZ, sys: stime / USER_HZ };
}

/** Parses VmRSS and VmHWM (kB) out of /proc/<pid>/status text. */
export function parseStatusMemory(status: string): MemoryReading {
  const kb = (name: string): number => {
    const m = new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status);
    return m ? Number(m[1]) : 0;
  };
  return { rssMb: kb('VmRSS') / 1024, hwmMb: kb('VmHWM') / 1024 };
}

export function cpuTimes(pid: number): CpuTimes | null {
  const s = readProc(pid, 'stat');
  return s === null ? null : parseStatCpu(s);
}

export function memory(pid: number): MemoryReading | null {
  const s = readProc(pid, 'status');
  return s === null ? null : parseStatusMemory(s);
}

/** CPU seconds (user + sys) of every thread of a process, by thread id. */
export function threadCpu(pid: number): Map<number, number> {
  const out = new Map<number, number>();
  let tids: string[];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return out;
  }
  for (const tid of tids) {
    const s = readProc(pid, `task/${tid}/stat`);
    if (s === null) continue;
    const c = parseStatCpu(s);
    out.set(Number(tid), c.user + c.sys);
  }
  return out;
}

/**
 * Where a process's CPU went between two threadCpu() readings: the main thread (tid = pid) and
 * the other threads, busiest first (Node names every thread "node", so they are told apart by
 * what they did: with gzip the compression workers are the busy ones; V8 and libuv helpers
 * follow).
 */
export function threadSplit(pid: number, a: Map<number, number>, b: Map<number, number>): { main: number; others: number[] } {
  const others: number[] = [];
  let main = 0;
  for (const [tid, end] of b) {
    const d = end - (a.get(tid) ?? 0);
    if (tid === pid) main = d;
    else if (d >= 0.01) others.push(d);
  }
  return { main: round(main), others: others.sort((x, y) => y - x).slice(0, 6).map((x) => round(x)) };
}

/** The pid and every live descendant (via /proc/<pid>/task/<tid>/children). */
export function processTree(pid: number): number[] {
  const out: number[] = [];
  const visit = (p: number): void => {
    out.push(p);
    let tasks: string[];
    try {
      tasks = readdirSync(`/proc/${p}/task`);
    } catch {
      return;
    }
    for (const tid of tasks) {
      const kids = readProc(p, `task/${tid}/children`);
      for (const k of kids?.trim().split(/\s+/) ?? []) if (k !== '') visit(Number(k));
    }
  };
  visit(pid);
  return out;
}

export function diffCpu(a: CpuTimes, b: CpuTimes): CpuTimes & { total: number } {
  const user = b.user - a.user;
  const sys = b.sys - a.sys;
  return { user: round(user), sys: round(sys), total: round(user + sys) };
}

export const round = (x: number, digits = 2): number => {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
};

/**
 * Polls the summed RSS of a process (or its tree, optionally without the root: a wrapper shell)
 * every `intervalMs` and remembers the largest value and the largest VmHWM seen (VmHWM vanishes
 * with the process, so it is read while it lives).
 */
export class RssSampler {
  private timer: NodeJS.Timeout | null = null;
  private peak = 0;
  private hwm = 0;
  private sum = 0;
  private samples = 0;

  constructor(
    private readonly pid: number,
    private readonly opts: { intervalMs?: number; tree?: boolean; descendantsOnly?: boolean } = {},
  ) {}

  start(): this {
    this.sample();
    this.timer = setInterval(() => this.sample(), this.opts.intervalMs ?? 250);
    return this;
  }

  sample(): void {
    const pids = this.opts.tree ? processTree(this.pid).slice(this.opts.descendantsOnly ? 1 : 0) : [this.pid];
    let rss = 0;
    let hwm = 0;
    for (const p of pids) {
      const m = memory(p);
      if (m === null) continue;
      rss += m.rssMb;
      hwm += m.hwmMb;
    }
    if (rss === 0) return;
    this.peak = Math.max(this.peak, rss);
    this.hwm = Math.max(this.hwm, hwm);
    this.sum += rss;
    this.samples++;
  }

  stop(): { peakRssMb: number; meanRssMb: number; hwmMb: number; samples: number } {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.sample();
    return {
      peakRssMb: round(this.peak, 1),
      meanRssMb: round(this.samples > 0 ? this.sum / this.samples : 0, 1),
      hwmMb: round(this.hwm, 1),
      samples: this.samples,
    };
  }
}
