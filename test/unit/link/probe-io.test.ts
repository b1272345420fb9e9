import { expect } from 'chai';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { parseConfig } from '../../../src/config/load.js';
import { realProbeIo } from '../../../src/link/link-probe.js';
import { readLinkStatusFields } from '../../../src/link/status-fields.js';
import { markCommand } from '../../../src/cli/mark.js';
import { minimal } from '../config/helpers.js';
import { migratedDb, removeDir, tempDir } from '../state/helpers.js';

describe('link probe I/O, status fields and mark against old databases', () => {
  let dir: string;
  beforeEach(() => {
    dir = tempDir('tvm-probe-io-');
  });
  afterEach(() => removeDir(dir));

  it('runs a probe command through the shell and reads a route file', async () => {
    expect(await realProbeIo.run('echo wwan0', 5000)).to.equal('wwan0\n');
    writeFileSync(join(dir, 'route'), 'x');
    expect(await realProbeIo.readFile(join(dir, 'route'))).to.equal('x');
  });

  it('rejects a probe command that fails', async () => {
    let failed = false;
    await realProbeIo.run('exit 3', 5000).catch(() => (failed = true));
    expect(failed).to.equal(true);
  });

  it('reads nothing from a version 1 database or damaged meta values', () => {
    const db = migratedDb(':memory:', 1);
    db.prepare("INSERT INTO meta (key, value) VALUES ('link_state', '{oops'), ('cellular_budget', '[]')").run();
    const config = parseConfig(stringify({ ...minimal(), upload: { schedule: '15:00', links: { cellular_budget_mb_per_month: 100 } } }), { env: {} });
    const now = new Date(2026, 4, 10).getTime();
    expect(readLinkStatusFields(db, config, now)).to.deep.equal({
      queueByPriority: null,
      cellularBudget: { month: '2026-05', usedBytes: 0, limitBytes: 100_000_000, leftBytes: 100_000_000, level: 'ok' },
      link: null,
      bandwidth: null,
    });
    db.close();
  });

  it('refuses to mark a database this release has not upgraded yet, saying what to do', async () => {
    mkdirSync(join(dir, 'state'));
    migratedDb(join(dir, 'state'), 1).close();
    writeFileSync(join(dir, 'config.yaml'), stringify({ ...minimal(), state_dir: join(dir, 'state') }));
    const err: string[] = [];
    const code = await markCommand({ out: () => undefined, err: (s) => void err.push(s), env: {} }, { config: join(dir, 'config.yaml') });
    expect(code).to.equal(1);
    expect(err.join()).to.contain('schema version 1').and.contain('start the daemon of this release once');
  });
});
