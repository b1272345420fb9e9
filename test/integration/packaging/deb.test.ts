/**
 * The Debian package: built by packaging/deb/build-deb.sh (what `make deb` runs), inspected with
 * dpkg-deb, extracted into a scratch root (`dpkg-deb -x` / `-e`; nothing is installed on the
 * machine), its maintainer scripts checked by shellcheck, its unit by systemd-analyze, and the
 * packaged CLI run against s3rver. Without dpkg-deb, shellcheck or systemd-analyze the tests
 * skip saying which is missing, and fail instead under TVM_REQUIRE_TOOLS=1 (CI).
 */
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readlinkSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startS3rver, type S3TestServer } from '../../support/s3-servers.js';
import { exec, mustExec, PACKAGE, ROOT, smokeTestInstalledCli } from '../../support/packaged-cli.js';

const TOOLS = ['dpkg-deb', 'shellcheck', 'systemd-analyze'];
const missingTools = (): string[] => TOOLS.filter((t) => spawnSync('sh', ['-c', `command -v ${t}`]).status !== 0);

describe('Debian package (make deb, extracted into a scratch root)', function () {
  this.timeout(900_000);
  let scratch: string;
  let deb: string;
  let root: string;
  let control: string;

  before(async function () {
    const missing = missingTools();
    if (missing.length > 0) {
      const why = `${missing.join(', ')} not installed (apt-get install dpkg shellcheck systemd)`;
      if (process.env.TVM_REQUIRE_TOOLS === '1') throw new Error(`TVM_REQUIRE_TOOLS=1 but ${why}`);
      console.log(`      (skipped: ${why}; set TVM_REQUIRE_TOOLS=1 to make this a failure)`);
      this.skip();
    }
    scratch = mkdtempSync(join(tmpdir(), 'tvm-deb-'));
    const built = await mustExec('bash', [join(ROOT, 'packaging/deb/build-deb.sh'), '--out', scratch]);
    deb = built.stdout.trim().split('\n').pop()!;
    expect(deb).to.equal(join(scratch, `tvm-upload_${PACKAGE.version}_${(await mustExec('dpkg', ['--print-architecture'])).stdout.trim()}.deb`));
    root = join(scratch, 'root');
    control = join(scratch, 'DEBIAN');
    await mustExec('dpkg-deb', ['-x', deb, root]);
    await mustExec('dpkg-deb', ['-e', deb, control]);
  });
  after(() => {
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  });

  it('declares the package, its version and the Node major its native addons were built for', async () => {
    const field = async (name: string) => (await mustExec('dpkg-deb', ['-f', deb, name])).stdout.trim();
    expect(await field('Package')).to.equal('tvm-upload');
    expect(await field('Version')).to.equal(PACKAGE.version);
    const major = Number(process.versions.node.split('.')[0]);
    expect(await field('Depends')).to.equal(`nodejs (>= ${major}), nodejs (<< ${major + 1}), adduser`);
  });

  it('lays out the application, the command, the unit and the configuration', async () => {
    const list = (await mustExec('dpkg-deb', ['-c', deb])).stdout;
    const paths = list.split('\n').filter((l) => l !== '').map((l) => l.split(/\s+/).slice(5).join(' '));
    expect(paths).to.include.members([
      './usr/bin/tvm-upload -> ../lib/tvm-upload/bin/tvm-upload.js',
      './usr/lib/tvm-upload/bin/tvm-upload.js',
      './usr/lib/tvm-upload/dist/main.js',
      './usr/lib/tvm-upload/dist/workers/compress.worker.js',
      './usr/lib/tvm-upload/package.json',
      './usr/lib/tvm-upload/node_modules/better-sqlite3/build/Release/better_sqlite3.node',
      './usr/lib/tvm-upload/node_modules/@aws-sdk/client-s3/package.json',
      './usr/lib/tvm-upload/docs/OPERATIONS.md',
      './lib/systemd/system/tvm-upload.service',
      './etc/tvm-upload/config.yaml',
      './etc/tvm-upload/environment',
    ]);
    // Production dependencies only; no sources, demo, or build leftovers of the native addons.
    for (const prefix of ['./usr/lib/tvm-upload/src/', './usr/lib/tvm-upload/dist/demo/', './usr/lib/tvm-upload/node_modules/tsx/',
      './usr/lib/tvm-upload/node_modules/mocha/', './usr/lib/tvm-upload/node_modules/s3rver/', './usr/lib/tvm-upload/node_modules/better-sqlite3/deps/',
      './usr/lib/tvm-upload/node_modules/better-sqlite3/build/Release/obj.target/', './var/lib/tvm-upload']) {
      expect(paths.filter((p) => p.startsWith(prefix)), prefix).to.deep.equal([]);
    }
    expect(statSync(join(root, 'etc/tvm-upload/environment')).mode & 0o777, 'the environment may hold credentials').to.equal(0o640);
  });

  it('marks the configuration and environment as conffiles, so upgrades keep local edits', () => {
    expect(readFileSync(join(control, 'conffiles'), 'utf8').trim().split('\n')).to.deep.equal(['/etc/tvm-upload/config.yaml', '/etc/tvm-upload/environment']);
    expect(readFileSync(join(root, 'etc/tvm-upload/config.yaml'), 'utf8')).to.equal(readFileSync(join(ROOT, 'packaging/config.example.yaml'), 'utf8'));
  });

  it('has maintainer scripts that pass shellcheck: user in postinst, state removed only on purge', async () => {
    const scripts = ['postinst', 'prerm', 'postrm'].map((s) => join(control, s));
    for (const s of scripts) expect(statSync(s).mode & 0o111, `${s} executable`).to.not.equal(0);
    await mustExec('shellcheck', scripts);
    const postinst = readFileSync(join(control, 'postinst'), 'utf8');
    expect(postinst).to.match(/adduser --system --group [^\n]*\\\n[^\n]*"\$USER_NAME"/);
    expect(postinst).to.include('install -d -m 0750 -o "$USER_NAME" -g "$USER_NAME" "$STATE_DIR"');
    const postrm = readFileSync(join(control, 'postrm'), 'utf8');
    const purge = /\n {2}purge\)\n([\s\S]*?);;/.exec(postrm)?.[1] ?? '';
    const remove = /\n {2}remove\)\n([\s\S]*?);;/.exec(postrm)?.[1] ?? '';
    expect(purge).to.include('rm -rf /var/lib/tvm-upload');
    expect(remove).to.not.include('/var/lib/tvm-upload');
  });

  it('runs the postrm purge branch against a scratch state dir only on purge', async () => {
    // The script with its paths moved into the scratch root: remove keeps the state, purge deletes it.
    const state = join(root, 'var/lib/tvm-upload');
    const script = join(scratch, 'postrm-scratch');
    writeFileSync(script, readFileSync(join(control, 'postrm'), 'utf8').replaceAll('/var/lib/tvm-upload', state).replaceAll('/etc/tvm-upload', join(root, 'etc/tvm-upload')).replaceAll('/run/systemd/system', join(scratch, 'no-systemd')));
    await mustExec('mkdir', ['-p', join(state, 'spool')]);
    await mustExec('sh', [script, 'remove']);
    expect(existsSync(join(state, 'spool'))).to.equal(true);
    await mustExec('sh', [script, 'purge']);
    expect(existsSync(state)).to.equal(false);
  });

  it('postinst: creates the user and state dir, starts nothing on a fresh install, restarts an enabled service after an upgrade', async () => {
    // The script with its paths moved into the scratch root and the system commands replaced by
    // stubs that record their arguments (install also creates the directory, chown does nothing).
    const state = join(scratch, 'pi-state');
    const running = join(scratch, 'pi-systemd');
    const stubs = join(scratch, 'pi-stubs');
    const log = join(scratch, 'pi-calls.log');
    await mustExec('mkdir', ['-p', running, stubs]);
    const stub = (name: string, body = '') =>
      writeFileSync(join(stubs, name), `#!/bin/sh\necho "${name} $*" >> "${log}"\n${body}\nexit 0\n`, { mode: 0o755 });
    stub('adduser');
    stub('chown');
    stub('systemctl');
    stub('install', 'for last; do :; done; mkdir -p "$last"');
    writeFileSync(join(stubs, 'getent'), `#!/bin/sh\n[ -f "${join(scratch, 'pi-user-exists')}" ]\n`, { mode: 0o755 });
    const script = join(scratch, 'postinst-scratch');
    writeFileSync(script, readFileSync(join(control, 'postinst'), 'utf8').replaceAll('/var/lib/tvm-upload', state)
      .replaceAll('/etc/tvm-upload', join(root, 'etc/tvm-upload')).replaceAll('/run/systemd/system', running));
    const env = { PATH: `${stubs}:${process.env.PATH}` };
    const calls = () => (existsSync(log) ? readFileSync(log, 'utf8').trim().split('\n') : []);

    const fresh = await mustExec('sh', [script, 'configure'], { env });
    expect(calls().filter((c) => c.startsWith('adduser'))).to.have.length(1);
    expect(calls()[0]).to.match(/^adduser --system --group .*tvm-upload$/);
    expect(existsSync(state), 'state dir created').to.equal(true);
    expect(calls()).to.include(`chown root:tvm-upload ${join(root, 'etc/tvm-upload/environment')}`);
    expect(statSync(join(root, 'etc/tvm-upload/environment')).mode & 0o777).to.equal(0o640);
    expect(calls()).to.include('systemctl daemon-reload');
    expect(calls().filter((c) => c.startsWith('systemctl start')), 'no start on a fresh install').to.deep.equal([]);
    expect(fresh.stdout).to.include('CHANGE-ME');

    rmSync(log);
    writeFileSync(join(scratch, 'pi-user-exists'), '');
    await mustExec('sh', [script, 'configure', '0.0.9'], { env });
    expect(calls().filter((c) => c.startsWith('adduser') || c.startsWith('install')), 'user and state dir exist').to.deep.equal([]);
    expect(calls()).to.include.members(['systemctl is-enabled --quiet tvm-upload.service', 'systemctl start tvm-upload.service']);
  });

  it('ships a unit that runs /usr/bin/tvm-upload and passes systemd-analyze verify', async () => {
    const unitText = readFileSync(join(root, 'lib/systemd/system/tvm-upload.service'), 'utf8');
    expect(unitText).to.match(/^ExecStart=\/usr\/bin\/tvm-upload run --config \/etc\/tvm-upload\/config\.yaml$/m);
    expect(unitText).to.match(/^User=tvm-upload$/m);
    expect(unitText).to.match(/^StateDirectory=tvm-upload$/m);
    expect(unitText).to.not.include('/opt/tvm-upload');
    expect(unitText, 'the SDK runtime warning is not silenced').to.not.include('AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED');
    // verify needs the ExecStart binary on this machine: point it at the extracted one.
    const copy = join(scratch, 'tvm-upload.service');
    writeFileSync(copy, unitText.replace('ExecStart=/usr/bin/tvm-upload', `ExecStart=${join(root, 'usr/bin/tvm-upload')}`));
    const r = await exec('systemd-analyze', ['verify', copy]);
    expect(r.status, r.stderr + r.stdout).to.equal(0);
    expect(r.stderr.trim(), r.stderr).to.equal('');
  });

  describe('the packaged CLI against s3rver', () => {
    let server: S3TestServer;
    before(async () => {
      server = await startS3rver();
      await server.bucket('tvm-deb');
    });
    after(() => server?.stop());

    it('runs --version, check-config and run from the extracted package', async () => {
      const bin = join(root, 'usr/bin/tvm-upload');
      expect(readlinkSync(bin)).to.equal('../lib/tvm-upload/bin/tvm-upload.js');
      await smokeTestInstalledCli(bin, server, 'tvm-deb', join(scratch, 'work'));
    });
  });
});
