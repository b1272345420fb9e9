import { expect } from 'chai';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCli } from '../../../src/cli/program.js';
import { captureIo } from '../../support/cli-fixtures.js';
import { tempDir, removeDir } from '../../support/temp-dir.js';

describe('cli doctor (arguments and configuration)', () => {
  let dir: string;
  beforeEach(() => (dir = tempDir('tvm-doctor-cli-')));
  afterEach(() => removeDir(dir));

  const io = (): ReturnType<typeof captureIo> => captureIo();

  it('exits 2 naming the config file when it does not exist, before any check runs', async () => {
    const t = io();
    expect(await runCli(['doctor', '--config', join(dir, 'nope.yaml')], t.cli)).to.equal(2);
    expect(t.err()).to.include(join(dir, 'nope.yaml'));
    expect(t.out()).to.equal('');
  });

  it('exits 2 listing the invalid keys of a bad config', async () => {
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, 'vehicle_id: ""\nlog_directories: []\ns3: {bucket: x}\n');
    const t = io();
    expect(await runCli(['doctor', '--config', bad, '--json'], t.cli)).to.equal(2);
    expect(t.err()).to.include('s3.region');
  });

  it('is listed in the help with its options', async () => {
    const t = io();
    await runCli(['doctor', '--help'], t.cli);
    expect(t.out()).to.include('--json');
    expect(t.out()).to.include('--config');
  });
});
