import { expect } from 'chai';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCli } from '../../../src/cli/program.js';
import { currentNodeSupport, logRuntimeSupport, nodeSupport, runtimeLine } from '../../../src/runtime/node-support.js';
import { tempDir, removeDir } from '../../support/temp-dir.js';
import { daemonConfigYaml } from '../../support/daemon-config.js';

describe('runtime/node-support', () => {
  const dec2026 = new Date('2026-12-07T10:00:00Z');

  it('recommends Node 24 LTS', () => {
    const s = nodeSupport('v24.22.3', dec2026);
    expect(s).to.deep.include({ level: 'recommended', outOfSupport: false });
    expect(s.message).to.equal('Node 24.22.3: supported (LTS, recommended)');
  });

  it('supports Node 22 LTS until its end of life and points at the recommended line', () => {
    const s = nodeSupport('v22.15.0', dec2026);
    expect(s).to.deep.include({ level: 'supported', outOfSupport: false });
    expect(s.message).to.equal('Node 22.15.0: supported (LTS until 2027-04-30); Node 24 LTS is recommended');
  });

  it('calls a tested line out of support from its end-of-life day on, without a new release of ours', () => {
    expect(nodeSupport('v22.20.0', new Date('2027-04-29T23:59:59Z')).level).to.equal('supported');
    const s = nodeSupport('v22.20.0', new Date('2027-04-30T00:00:00Z'));
    expect(s).to.deep.include({ level: 'end-of-life', outOfSupport: true });
    expect(s.message).to.equal('Node 22.20.0 reached end of life on 2027-04-30 and gets no security fixes; install Node 24 LTS (recommended) or 22 LTS');
  });

  it('says plainly that Node 20 is past its end of life', () => {
    const s = nodeSupport('v20.20.2', dec2026);
    expect(s).to.deep.include({ level: 'end-of-life', outOfSupport: true });
    expect(s.message).to.contain('Node 20.20.2 reached end of life on 2026-04-30');
    expect(s.message).to.contain('install Node 24 LTS (recommended) or 22 LTS');
  });

  it('calls Node 20.19 unsupported even before its end of life: it only runs while the pins allow', () => {
    const s = nodeSupport('v20.19.0', new Date('2026-01-01T00:00:00Z'));
    expect(s).to.deep.include({ level: 'end-of-life', outOfSupport: true });
    expect(s.message).to.contain('still runs but is not supported (end of life 2026-04-30)');
  });

  it('names the minimum for runtimes older than the dependencies accept', () => {
    for (const v of ['v20.18.1', 'v18.20.0']) {
      const s = nodeSupport(v, new Date('2026-01-01T00:00:00Z'));
      expect(s.level, v).to.equal('too-old');
      expect(s.message).to.contain('older than the minimum 20.19');
    }
  });

  it('warns on odd (short-lived, non-LTS) releases', () => {
    const s = nodeSupport('v25.1.0', dec2026);
    expect(s).to.deep.include({ level: 'not-lts', outOfSupport: true });
    expect(s.message).to.contain('Node 25.1.0 is not an LTS release');
  });

  it('calls a newer LTS line untested rather than unsupported', () => {
    const s = nodeSupport('v26.3.0', dec2026);
    expect(s).to.deep.include({ level: 'untested', outOfSupport: true });
    expect(s.message).to.contain('newer than the runtimes tvm-upload is tested on (24, 22)');
  });

  it('does not guess about a version string it cannot read', () => {
    const s = nodeSupport('nightly', dec2026);
    expect(s).to.deep.include({ level: 'untested', outOfSupport: true });
    expect(s.message).to.contain('not a version tvm-upload recognises');
  });

  it('judges the running process by process.version', () => {
    expect(currentNodeSupport(dec2026).version).to.equal(process.version);
  });
});

describe('runtime/node-support reporting', () => {
  const dec2026 = new Date('2026-12-07T10:00:00Z');

  it('prefixes the check-config line with WARNING only when the operator should act', () => {
    expect(runtimeLine(nodeSupport('v24.22.3', dec2026))).to.equal('runtime: Node 24.22.3: supported (LTS, recommended)');
    expect(runtimeLine(nodeSupport('v20.20.2', dec2026))).to.match(/^WARNING runtime: Node 20\.20\.2 reached end of life/);
  });

  it('logs a supported runtime at info and an unsupported one at warn, with version and level fields', () => {
    const calls: Array<[string, unknown, string]> = [];
    const logger = {
      info: (o: unknown, m: string) => calls.push(['info', o, m]),
      warn: (o: unknown, m: string) => calls.push(['warn', o, m]),
    };
    logRuntimeSupport(logger as never, nodeSupport('v22.15.0', dec2026));
    logRuntimeSupport(logger as never, nodeSupport('v20.20.2', dec2026));
    expect(calls.map((c) => c[0])).to.deep.equal(['info', 'warn']);
    expect(calls[1]![1]).to.deep.equal({ node: 'v20.20.2', support: 'end-of-life' });
    expect(calls[1]![2]).to.contain('reached end of life on 2026-04-30');
  });
});

describe('check-config reports the runtime', () => {
  it('prints the verdict for the Node it runs on', async () => {
    const dir = tempDir('tvm-runtime-');
    try {
      const config = join(dir, 'config.yaml');
      writeFileSync(config, daemonConfigYaml({ root: dir }));
      const out: string[] = [];
      const code = await runCli(['check-config', '--config', config], { out: (t) => out.push(t), err: (t) => out.push(t), env: {} });
      expect(code).to.equal(0);
      expect(out).to.include(runtimeLine(currentNodeSupport()));
    } finally {
      removeDir(dir);
    }
  });
});
