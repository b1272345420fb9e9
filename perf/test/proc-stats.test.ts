/**
 * The /proc parsers and the CPU/thread arithmetic behind every CPU and memory figure. Parsers
 * are fed recorded text (a command name with spaces and parentheses is the classic trap);
 * the live readers are checked against this very process.
 */
import { expect } from 'chai';
import { cpuTimes, diffCpu, memory, parseStatCpu, parseStatusMemory, processTree, threadCpu, threadSplit } from '../harness/proc-stats.js';

describe('perf proc-stats', () => {
  it('reads utime and stime from /proc/<pid>/stat even when the command name holds spaces and parentheses', () => {
    const stat = '4242 (node (worker) x) S 1 4242 4242 0 -1 4194560 123 0 0 0 250 75 0 0 20 0 11 0 1000 1000000 5000';
    expect(parseStatCpu(stat)).to.deep.equal({ user: 2.5, sys: 0.75 });
  });

  it('refuses a stat line it cannot parse instead of reporting zero CPU', () => {
    expect(() => parseStatCpu('garbage')).to.throw(/unparseable/);
  });

  it('reads VmRSS and VmHWM in MiB from /proc/<pid>/status', () => {
    const status = 'Name:\tnode\nVmPeak:\t 999999 kB\nVmHWM:\t  204800 kB\nVmRSS:\t  102400 kB\nThreads:\t11\n';
    expect(parseStatusMemory(status)).to.deep.equal({ rssMb: 100, hwmMb: 200 });
  });

  it('reads live figures for the current process and nothing for a pid that does not exist', () => {
    expect(cpuTimes(process.pid)!.user).to.be.greaterThan(0);
    expect(memory(process.pid)!.hwmMb).to.be.greaterThan(10);
    expect(cpuTimes(2 ** 30)).to.equal(null);
    expect(processTree(process.pid)[0]).to.equal(process.pid);
  });

  it('splits CPU into the main thread and the other threads, busiest first, ignoring idle ones', () => {
    const before = new Map([[10, 1], [11, 0.5], [12, 0], [13, 2]]);
    const after = new Map([[10, 1.75], [11, 3.5], [12, 0.004], [13, 2.5], [14, 0.2]]);
    expect(threadSplit(10, before, after)).to.deep.equal({ main: 0.75, others: [3, 0.5, 0.2] });
    expect(threadCpu(process.pid).get(process.pid)).to.be.a('number');
  });

  it('differences CPU readings into user, sys and total', () => {
    expect(diffCpu({ user: 1, sys: 0.5 }, { user: 3.5, sys: 0.75 })).to.deep.equal({ user: 2.5, sys: 0.25, total: 2.75 });
  });
});
