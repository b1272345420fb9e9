import { expect } from 'chai';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { directorySteps, realDirectoryProbe, stateDirStep } from '../../../src/doctor/directories.js';
import { diskStep } from '../../../src/doctor/disk.js';
import { config, context, diskTable, fsTable, statfsUsed } from './helpers.js';
import { tempDir, removeDir } from '../../support/temp-dir.js';

const dirs = config().logDirectories;
const [ros, other] = directorySteps(dirs);

describe('doctor/watched directories', () => {
  it('makes one step per watched directory, titled with its path', () => {
    expect(directorySteps(dirs).map((s) => [s.id, s.title])).to.deep.equal([
      ['directory-0', 'watched directory /logs/ros'],
      ['directory-1', 'watched directory /logs/other'],
    ]);
  });

  it('checks write permission only where allow_deletion is true', async () => {
    const probe = fsTable({ '/logs/ros': 'directory', '/logs/other': 'directory' }, {}, { '/logs/ros': 'EACCES', '/logs/other': 'EACCES' });
    const r = await ros!.run(context({ directories: probe }));
    expect(r).to.deep.include({ status: 'fail', detail: '/logs/ros is readable but not writable (EACCES), and allow_deletion is true: uploaded files could not be deleted' });
    expect(r.fix).to.include('allow_deletion: false');
    expect(await other!.run(context({ directories: probe }))).to.deep.equal({ status: 'pass', detail: 'readable (allow_deletion: false, so not written)' });
  });

  it('fails an unreadable directory with the permission to give', async () => {
    const r = await other!.run(context({ directories: fsTable({ '/logs/other': 'directory' }, { '/logs/other': 'EACCES' }) }));
    expect(r).to.deep.include({ status: 'fail', detail: '/logs/other cannot be read (EACCES)' });
    expect(r.fix).to.include('read and execute permission on /logs/other');
  });

  it('fails a path that is a file, not a directory', async () => {
    const r = await other!.run(context({ directories: fsTable({ '/logs/other': 'other' }) }));
    expect(r.detail).to.equal('/logs/other exists but is not a directory');
  });

  it('passes a missing directory the daemon can create, and fails one it cannot', async () => {
    const creatable = await other!.run(context({ directories: fsTable({ '/logs': 'directory' }) }));
    expect(creatable).to.deep.equal({ status: 'pass', detail: 'does not exist yet; the daemon will create it under /logs' });
    const blocked = await other!.run(context({ directories: fsTable({}, {}, { '/': 'EROFS' }) }));
    expect(blocked).to.deep.include({ status: 'fail', detail: '/logs/other does not exist and / is not writable (EROFS)' });
  });

  it('warns that root\'s permissions prove nothing for the service user', async () => {
    const r = await ros!.run(context({ runningAsRoot: true }));
    expect(r.detail).to.match(/^readable and writable \(allow_deletion: true\) \(checked as root/);
  });

  it('state directory: writable passes, unwritable fails naming it, missing passes when creatable', async () => {
    expect(await stateDirStep.run(context())).to.deep.equal({ status: 'pass', detail: 'writable' });
    const ro = await stateDirStep.run(context({ directories: fsTable({ '/var/lib/tvm-upload': 'directory' }, {}, { '/var/lib/tvm-upload': 'EACCES' }) }));
    expect(ro).to.deep.include({ status: 'fail', detail: '/var/lib/tvm-upload is not writable (EACCES): the daemon cannot keep its queue or spool there' });
    expect(ro.fix).to.include('StateDirectory=');
    expect(await stateDirStep.run(context({ directories: fsTable({ '/var/lib': 'directory' }) }))).to.deep.equal({ status: 'pass', detail: 'does not exist yet; the daemon will create it under /var/lib' });
    const blocked = await stateDirStep.run(context({ directories: fsTable({ '/var/lib': 'directory' }, {}, { '/var/lib': 'EACCES' }) }));
    expect(blocked.detail).to.equal('/var/lib/tvm-upload does not exist and /var/lib is not writable (EACCES)');
    expect((await stateDirStep.run(context({ directories: fsTable({ '/var/lib/tvm-upload': 'other' }) }))).detail).to.equal('/var/lib/tvm-upload exists but is not a directory');
  });

  describe('the real probe', () => {
    let dir: string;
    beforeEach(() => (dir = tempDir('tvm-doctor-dir-')));
    afterEach(() => removeDir(dir));

    it('tells directories, files and missing paths apart and reads a directory', async () => {
      writeFileSync(join(dir, 'f'), 'x');
      expect(await realDirectoryProbe.kind(dir)).to.equal('directory');
      expect(await realDirectoryProbe.kind(join(dir, 'f'))).to.equal('other');
      expect(await realDirectoryProbe.kind(join(dir, 'nope'))).to.equal('missing');
      expect(await realDirectoryProbe.readable(dir)).to.equal(null);
      expect(await realDirectoryProbe.writable(dir)).to.equal(null);
      expect(await realDirectoryProbe.readable(join(dir, 'nope'))).to.equal('ENOENT');
      expect(await realDirectoryProbe.writable(join(dir, 'nope'))).to.equal('ENOENT');
    });

    it('passes on errors other than a missing path', async () => {
      writeFileSync(join(dir, 'f'), 'x');
      let err: unknown;
      await realDirectoryProbe.kind(join(dir, 'f', 'below')).catch((e: unknown) => (err = e));
      expect((err as NodeJS.ErrnoException).code).to.equal('ENOTDIR');
    });
  });
});

describe('doctor/disk usage', () => {
  it('reports each filesystem once, listing the configured paths it holds', async () => {
    const io = diskTable([
      { prefix: '/var', dev: 1, statfs: statfsUsed(500) },
      { prefix: '/logs', dev: 2, statfs: statfsUsed(100) },
    ]);
    const r = await diskStep.run(context({ diskIo: io }));
    expect(r.status).to.equal('pass');
    expect(r.detail.split('\n')).to.deep.equal([
      '/var/lib/tvm-upload: 50.0 % used, 0.5 GB free of 1.0 GB; holds /var/lib/tvm-upload; less free than disk.reserved_gb (10 GB)',
      '/logs/ros: 10.0 % used, 0.9 GB free of 1.0 GB; holds /logs/ros, /logs/other; less free than disk.reserved_gb (10 GB)',
    ]);
  });

  it('notes the warning threshold and fails at the critical threshold, naming the filesystem to free', async () => {
    const warn = await diskStep.run(context({ diskIo: diskTable([{ prefix: '/', dev: 1, statfs: statfsUsed(920) }]) }));
    expect(warn.status).to.equal('pass');
    expect(warn.detail).to.include('above disk.warning_threshold (90 %)');
    const full = await diskStep.run(context({ diskIo: diskTable([{ prefix: '/logs', dev: 2, statfs: statfsUsed(960) }]) }));
    expect(full.status).to.equal('fail');
    expect(full.detail).to.include('/logs/ros: 96.0 % used');
    expect(full.detail).to.include('at or above disk.critical_threshold (95 %)');
    expect(full.fix).to.match(/^free space on \/logs\/ros/);
  });

  it('fails naming the path whose filesystem cannot be measured', async () => {
    const r = await diskStep.run(context({ diskIo: { statfs: () => Promise.reject(new Error('EIO')), device: () => Promise.reject(new Error('EIO')) } }));
    expect(r.status).to.equal('fail');
    expect(r.detail).to.match(/^cannot measure the filesystem of \/var\/lib\/tvm-upload: /);
  });
});
