// Keeps packaging's scripts honest: the sandbox path helper answers what install.sh expects,
// install.sh / uninstall.sh parse, pass shellcheck when it is installed, and install.sh plans the
// right actions in --dry-run without changing anything (an existing configuration is never
// overwritten; an upgrade from the Python unit keeps its user, environment and files).
import { expect } from 'chai';
import { execFileSync, spawnSync } from 'node:child_process';
import { childEnv } from '../../support/child-env.js';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseConfig } from '../../../src/config/load.js';
import type { Config } from '../../../src/config/types.js';
import { commandMissing, requireTool, userMissing } from '../../support/tools.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const PKG = path.join(ROOT, 'packaging');


describe('packaging/service-paths.mjs', () => {
  type Line = { kind: 'rw' | 'ro' | 'warn'; path: string; why: string };
  let servicePaths: (c: Config) => Line[];

  before(async () => {
    const mod = (await import(pathToFileURL(path.join(PKG, 'service-paths.mjs')).href)) as { servicePaths: typeof servicePaths };
    servicePaths = mod.servicePaths;
  });

  it('opens deletable log directories and a non-default state dir, and keeps protected ones read-only', () => {
    const c = parseConfig(['vehicle_id: v', 'state_dir: /data/tvm', 'log_directories:', '  - {path: /home/u/.ros/log, source: ros}',
      '  - {path: /var/log, source: syslog, recursive: false, allow_deletion: false}', 's3: {bucket: bucket-name, region: us-east-1}',
      'upload: {schedule: "02:00"}', 'disk: {reserved_gb: 1}'].join('\n'));
    expect(servicePaths(c).map((l) => `${l.kind} ${l.path}`)).to.deep.equal(['rw /data/tvm', 'rw /home/u/.ros/log', 'ro /var/log']);
  });

  it('leaves the unit\'s own state directory to StateDirectory= and warns about /tmp', () => {
    const c = parseConfig(['vehicle_id: v', 'log_directories: [{path: /tmp/tvm-test-logs, source: t}]', 's3: {bucket: bucket-name, region: us-east-1}',
      'upload: {schedule: "02:00"}', 'disk: {reserved_gb: 1}'].join('\n'));
    const lines = servicePaths(c);
    expect(lines.filter((l) => l.kind === 'rw').map((l) => l.path)).to.deep.equal(['/tmp/tvm-test-logs']);
    expect(lines.filter((l) => l.kind === 'warn').map((l) => l.why).join()).to.match(/PrivateTmp/);
  });

  it('prints tab-separated lines for install.sh, and exits 2 on an invalid configuration', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tvm-paths-'));
    try {
      const good = path.join(dir, 'good.yaml');
      fs.writeFileSync(good, 'vehicle_id: v\nlog_directories: [{path: /logs, source: s}]\ns3: {bucket: bucket-name, region: us-east-1}\nupload: {schedule: "02:00"}\ndisk: {reserved_gb: 1}\n');
      const args = ['--import', 'tsx', path.join(PKG, 'service-paths.mjs'), path.join(ROOT, 'src/config/load.ts')];
      const out = execFileSync(process.execPath, [...args, good], { encoding: 'utf8', cwd: ROOT, env: childEnv() });
      expect(out).to.equal('rw\t/logs\tlog directory "s" (deletion allowed)\n');
      const bad = path.join(dir, 'bad.yaml');
      fs.writeFileSync(bad, 'vehicle_id: v\n');
      const r = spawnSync(process.execPath, [...args, bad], { encoding: 'utf8', cwd: ROOT, env: childEnv() });
      expect(r.status).to.equal(2);
      expect(r.stderr).to.match(/log_directories/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('packaging/install.sh and uninstall.sh', () => {
  const scripts = ['install.sh', 'uninstall.sh'].map((s) => path.join(PKG, s));

  it('parse with bash -n and answer --help', () => {
    for (const s of scripts) {
      expect(spawnSync('bash', ['-n', s], { encoding: 'utf8' }).status, s).to.equal(0);
      expect(spawnSync('bash', [s, '--help'], { encoding: 'utf8' }).status, `${s} --help`).to.equal(0);
    }
  });

  it('pass shellcheck', function () {
    requireTool(this, 'shellcheck', commandMissing('shellcheck'));
    const r = spawnSync('shellcheck', scripts, { encoding: 'utf8' });
    expect(r.status, r.stdout).to.equal(0);
  });

  describe('install.sh --dry-run', () => {
    let tmp: string;
    let env: NodeJS.ProcessEnv;

    beforeEach(() => {
      // A built tree (bin, dist, packaging) and an empty target layout, all under a temp dir.
      tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tvm-install-'));
      const tree = path.join(tmp, 'tree');
      fs.mkdirSync(path.join(tree, 'dist'), { recursive: true });
      fs.mkdirSync(path.join(tree, 'bin'));
      fs.cpSync(PKG, path.join(tree, 'packaging'), { recursive: true });
      fs.copyFileSync(path.join(ROOT, 'package.json'), path.join(tree, 'package.json'));
      fs.writeFileSync(path.join(tree, 'bin/tvm-upload.js'), '#!/usr/bin/env node\n');
      fs.writeFileSync(path.join(tree, 'dist/main.js'), '');
      for (const d of ['etc', 'opt', 'units']) fs.mkdirSync(path.join(tmp, d));
      env = {
        ...childEnv(),
        TVM_UPLOAD_APP_DIR: path.join(tmp, 'opt/tvm-upload'),
        TVM_UPLOAD_ETC_DIR: path.join(tmp, 'etc/tvm-upload'),
        TVM_UPLOAD_UNIT_DIR: path.join(tmp, 'units'),
        TVM_UPLOAD_BIN_LINK: path.join(tmp, 'opt/tvm-upload-link'),
      };
    });

    afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));

    const dryRun = (...args: string[]): { status: number | null; out: string } => {
      const r = spawnSync('bash', [path.join(tmp, 'tree/packaging/install.sh'), '--dry-run', '--user', 'nobody', ...args], { encoding: 'utf8', env });
      return { status: r.status, out: r.stdout + r.stderr };
    };
    const listing = (): string[] => ['etc', 'opt', 'units'].flatMap((d) => fs.readdirSync(path.join(tmp, d)));

    it('installs the example config on a fresh machine but does not start it while placeholders remain', function () {
      requireTool(this, 'the nobody user', userMissing('nobody'));
      const r = dryRun();
      expect(r.status, r.out).to.equal(0);
      expect(r.out).to.match(/\+ install -m 0640 -o root -g \S+ \S+\/packaging\/config\.example\.yaml \S+\/etc\/tvm-upload\/config\.yaml/);
      expect(r.out).to.include('NOT started');
      expect(r.out).to.not.include('enable --now');
      expect(listing(), 'a dry run changes nothing').to.deep.equal([]);
    });

    it('keeps an existing configuration untouched and starts the service', function () {
      requireTool(this, 'the nobody user', userMissing('nobody'));
      const etc = path.join(tmp, 'etc/tvm-upload');
      fs.mkdirSync(etc);
      const config = 'vehicle_id: veh-7\n# ${USER} and /home/USER stay exactly as written\n';
      fs.writeFileSync(path.join(etc, 'config.yaml'), config);
      const r = dryRun();
      expect(r.status, r.out).to.equal(0);
      expect(r.out).to.include('keeping the existing configuration');
      expect(r.out).to.not.match(/\+ install \S* ?-m 0640 .*config\.yaml/);
      expect(r.out).to.match(/\+ systemctl daemon-reload[\s\S]*\+ systemctl enable --now tvm-upload\.service/);
      expect(fs.readFileSync(path.join(etc, 'config.yaml'), 'utf8')).to.equal(config);
    });

    it('upgrades from the Python unit: same user, its AWS_* environment carried over, its files kept for rollback', function () {
      requireTool(this, 'the nobody user', userMissing('nobody'));
      fs.writeFileSync(
        path.join(tmp, 'units/tvm-upload.service'),
        '[Service]\nUser=nobody\nEnvironment=AWS_PROFILE=china PYTHONUNBUFFERED=1\nEnvironment="AWS_CONFIG_FILE=/home/nobody/.aws/config"\n' +
          'ExecStart=/opt/tvm-upload/venv/bin/python3 src/main.py\n',
      );
      fs.mkdirSync(path.join(tmp, 'opt/tvm-upload/src'), { recursive: true });
      fs.writeFileSync(path.join(tmp, 'opt/tvm-upload/src/main.py'), '');
      const r = spawnSync('bash', [path.join(tmp, 'tree/packaging/install.sh'), '--dry-run'], { encoding: 'utf8', env });
      const out = r.stdout + r.stderr;
      expect(r.status, out).to.equal(0);
      expect(out).to.include("keeping the Python daemon's user nobody");
      expect(out).to.match(/\| AWS_PROFILE=china\n\s+\| AWS_CONFIG_FILE=\/home\/nobody\/\.aws\/config\n/);
      expect(out).to.not.match(/\| PYTHONUNBUFFERED/);
      expect(out).to.match(/\+ cp -a \S+\/units\/tvm-upload\.service \S+\/rollback\/tvm-upload\.service\.python/);
      expect(out).to.match(/\+ mv \S+\/opt\/tvm-upload \S+\/opt\/tvm-upload\.python/);
    });

    it('refuses to run the service as root', () => {
      const r = spawnSync('bash', [path.join(tmp, 'tree/packaging/install.sh'), '--dry-run', '--user', 'root'], { encoding: 'utf8', env });
      expect(r.status).to.equal(1);
      expect(r.stderr).to.include('refusing to run the service as root');
    });

    it('refuses a tree that was not built', () => {
      fs.rmSync(path.join(tmp, 'tree/dist'), { recursive: true });
      const r = dryRun();
      expect(r.status).to.equal(1);
      expect(r.out).to.include('build first');
    });
  });
});
