// Keeps packaging/tvm-upload.service consistent with the code it runs: exit codes, stop
// timeout, paths and environment match the CLI's contract, the sandbox leaves what Node and the
// daemon need, systemd-analyze accepts it; and the example configuration install.sh ships loads.
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseConfig } from '../../../src/config/load.js';
import type { Config } from '../../../src/config/types.js';
import { EXIT_CONFIG } from '../../../src/cli/exit-codes.js';
import { DEFAULT_CONFIG } from '../../../src/cli/program.js';
import { commandMissing, requireTool } from '../../support/tools.js';
import { tempDir, removeDir } from '../../support/temp-dir.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const PKG = path.join(ROOT, 'packaging');

/** `Key=value` settings of a unit file, in order, by section. Comments and blanks skipped. */
function unitSettings(text: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  let section = '';
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const s = /^\[(.+)\]$/.exec(line);
    if (s) {
      section = s[1]!;
      continue;
    }
    const eq = line.indexOf('=');
    const key = `${section}.${line.slice(0, eq)}`;
    out.set(key, [...(out.get(key) ?? []), line.slice(eq + 1)]);
  }
  return out;
}

function minimalConfig(extra = ''): Config {
  return parseConfig(['vehicle_id: v', 'log_directories: [{path: /logs, source: s}]', 's3: {bucket: bucket-name, region: us-east-1}',
    'upload: {schedule: "02:00"}', 'disk: {reserved_gb: 1}', extra].join('\n'));
}
describe('packaging/tvm-upload.service', () => {
  const text = fs.readFileSync(path.join(PKG, 'tvm-upload.service'), 'utf8');
  const unit = unitSettings(text);
  const one = (key: string): string => {
    const v = unit.get(key);
    expect(v, `${key} must be set exactly once`).to.have.length(1);
    return v![0]!;
  };

  it('runs the installed daemon in the foreground with the CLI default config path', () => {
    expect(one('Service.Type')).to.equal('simple');
    expect(one('Service.ExecStart')).to.equal(`/opt/tvm-upload/bin/tvm-upload.js run --config ${DEFAULT_CONFIG}`);
    const bin = fs.readFileSync(path.join(ROOT, 'bin/tvm-upload.js'), 'utf8');
    expect(bin.split('\n')[0]).to.equal('#!/usr/bin/env node');
    expect(fs.statSync(path.join(ROOT, 'bin/tvm-upload.js')).mode & 0o111, 'bin/tvm-upload.js must be executable').to.not.equal(0);
  });

  it('starts node with the lean memory settings, which the environment file may override', () => {
    const env = unit.get('Service.Environment') ?? [];
    expect(env).to.include('NODE_OPTIONS=--max-semi-space-size=1');
    expect(env).to.include('MALLOC_ARENA_MAX=2');
    expect(text.indexOf('EnvironmentFile='), 'the operator file comes after, so it wins').to.be.greaterThan(text.indexOf('NODE_OPTIONS='));
  });

  it('does not restart on a configuration error and never stops restarting otherwise', () => {
    // always, not on-failure: systemd counts an exit by SIGHUP or with 0 as clean.
    expect(one('Service.Restart')).to.equal('always');
    expect(one('Service.RestartPreventExitStatus')).to.equal(String(EXIT_CONFIG));
    expect(Number(one('Service.RestartSec'))).to.be.at.least(5);
    expect(one('Unit.StartLimitIntervalSec')).to.equal('0');
    expect(unit.has('Unit.StartLimitBurst') || unit.has('Service.StartLimitBurst')).to.equal(false);
  });

  it('gives a graceful stop more time than the default in-flight upload deadline', () => {
    expect(one('Service.KillSignal')).to.equal('SIGTERM');
    const deadline = minimalConfig().upload.shutdownDeadlineSeconds;
    expect(Number(one('Service.TimeoutStopSec'))).to.be.at.least(deadline + 25);
  });

  it('reloads the configuration with SIGHUP (systemctl reload)', () => {
    expect(one('Service.ExecReload')).to.equal('/bin/kill -HUP $MAINPID');
  });

  it('owns the default state directory and sets the environment the SDK needs', () => {
    expect(one('Service.StateDirectory')).to.equal(path.basename(minimalConfig().stateDir));
    expect(path.dirname(minimalConfig().stateDir)).to.equal('/var/lib');
    const env = unit.get('Service.Environment') ?? [];
    expect(env).to.include.members(['NODE_ENV=production', 'AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED=true']);
    expect(one('Service.EnvironmentFile')).to.equal('-/etc/tvm-upload/environment');
  });

  it('is sandboxed without breaking what Node and the daemon need', () => {
    expect(one('Service.ProtectSystem')).to.equal('strict');
    expect(one('Service.ProtectHome')).to.equal('read-only');
    expect(one('Service.NoNewPrivileges')).to.equal('yes');
    expect(one('Service.PrivateTmp')).to.equal('yes');
    expect(one('Service.RestrictAddressFamilies').split(/\s+/).sort()).to.deep.equal(['AF_INET', 'AF_INET6', 'AF_UNIX']);
    expect(unit.has('Service.MemoryDenyWriteExecute'), 'V8 JIT needs W+X pages').to.equal(false);
    expect(unit.has('Service.ProcSubset'), 'the lock reads /proc/sys/kernel/random/boot_id').to.equal(false);
    const mb = (v: string): number => Number(/^(\d+)M$/.exec(v)?.[1] ?? NaN);
    expect(mb(one('Service.MemoryHigh'))).to.be.lessThan(mb(one('Service.MemoryMax')));
    expect(mb(one('Service.MemoryHigh'))).to.be.at.least(100);
  });

  it('passes systemd-analyze verify', function () {
    requireTool(this, 'systemd-analyze', commandMissing('systemd-analyze'));
    const dir = tempDir('tvm-unit-');
    try {
      // verify insists the ExecStart binary exists; everything else is checked as shipped.
      const copy = path.join(dir, 'tvm-upload.service');
      fs.writeFileSync(copy, text.replace(/^ExecStart=.*$/m, 'ExecStart=/bin/true'));
      const r = spawnSync('systemd-analyze', ['verify', copy], { encoding: 'utf8' });
      expect(r.status, r.stderr + r.stdout).to.equal(0);
      expect(r.stderr.trim(), r.stderr).to.equal('');
    } finally {
      removeDir(dir);
    }
  });
});

describe('packaging/config.example.yaml', () => {
  const file = path.join(PKG, 'config.example.yaml');
  const text = fs.readFileSync(file, 'utf8');

  it('loads without warnings once the placeholders are filled in', () => {
    const c = parseConfig(text.replace(/change-me/gi, 'veh1'), { sourceFile: file });
    expect(c.vehicleId).to.equal('veh1');
    expect(c.warnings).to.deep.equal([]);
  });

  it('keeps CHANGE-ME placeholders outside comments, so install.sh will not start it unedited', () => {
    expect(text.replace(/#.*$/gm, '')).to.match(/change-me/i);
  });
});
