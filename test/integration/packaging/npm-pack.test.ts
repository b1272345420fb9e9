/**
 * The npm package as an operator gets it: `npm pack`, `npm install -g --prefix <scratch>` of the
 * tarball (production dependencies only, from the registry; the native addons from local
 * prebuilt tarballs of this checkout's build, see localPrebuildsEnv), and the installed
 * `tvm-upload` running the compiled dist/ against s3rver.
 */
import { expect } from 'chai';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startS3rver, type S3TestServer } from '../../support/s3-servers.js';
import { exec, localPrebuildsEnv, mustExec, PACKAGE, packTarball, ROOT, smokeTestInstalledCli } from '../../support/packaged-cli.js';

describe('npm package (pack, install -g into a scratch prefix, run against s3rver)', function () {
  // Generous: npm resolves every production dependency, on a loaded 2-core machine.
  this.timeout(900_000);
  let scratch: string;
  let tarball: string;
  let server: S3TestServer;

  before(async () => {
    scratch = mkdtempSync(join(tmpdir(), 'tvm-npm-pack-'));
    tarball = await packTarball(scratch);
    server = await startS3rver();
    await server.bucket('tvm-packaged');
  });
  after(async () => {
    await server?.stop();
    rmSync(scratch, { recursive: true, force: true });
  });

  it('packs the compiled dist/, the launcher and the docs, and no sources or demo', async () => {
    const files = (await mustExec('tar', ['-tzf', tarball])).stdout.split('\n').filter((f) => f !== '');
    expect(files).to.include.members([
      'package/package.json',
      'package/bin/tvm-upload.js',
      'package/dist/main.js',
      'package/dist/workers/compress.worker.js',
      'package/packaging/tvm-upload.service',
      'package/README.md',
    ]);
    expect(files.filter((f) => f.startsWith('package/src/') || f.startsWith('package/test/'))).to.deep.equal([]);
    // The demo imports s3rver, a dev dependency the installed package does not have.
    expect(files.filter((f) => f.startsWith('package/dist/demo/'))).to.deep.equal([]);
  });

  it('installs globally and runs --version, check-config and run from dist/, without dev dependencies', async () => {
    const prefix = join(scratch, 'prefix');
    const env = await localPrebuildsEnv(join(scratch, 'prebuilds'));
    await mustExec('npm', ['install', '-g', '--prefix', prefix, '--no-audit', '--no-fund', '--prefer-offline', tarball], { env });
    const bin = join(prefix, 'bin', 'tvm-upload');
    expect(readlinkSync(bin)).to.match(/tvm-upload\/bin\/tvm-upload\.js$/);
    const app = join(prefix, 'lib', 'node_modules', PACKAGE.name);
    expect(existsSync(join(app, 'dist', 'main.js'))).to.equal(true);
    // bin/ would fall back to tsx only without dist/; tsx is a dev dependency and must be absent.
    expect(existsSync(join(app, 'node_modules', 'tsx')), 'tsx installed with the package').to.equal(false);
    expect(existsSync(join(app, 'node_modules', 's3rver')), 's3rver installed with the package').to.equal(false);
    const work = join(scratch, 'work');
    await smokeTestInstalledCli(bin, server, 'tvm-packaged', work);
  });
});

describe('bin/tvm-upload.js without dist/ and without tsx', () => {
  it('says what is missing and how to get it, exit 1, instead of a module-not-found trace', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tvm-launcher-'));
    try {
      mkdirSync(join(dir, 'bin'));
      copyFileSync(join(ROOT, 'bin', 'tvm-upload.js'), join(dir, 'bin', 'tvm-upload.js'));
      writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'tvm-upload', type: 'module' }));
      const r = await exec(process.execPath, [join(dir, 'bin', 'tvm-upload.js'), '--version'], { cwd: dir });
      expect(r.status).to.equal(1);
      expect(r.stderr).to.equal(`tvm-upload: ${join(dir, 'dist', 'main.js')} is missing and tsx (a development dependency) is not installed: ` +
        'install the packaged release, or run `npm ci && npm run build` in this checkout\n');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
