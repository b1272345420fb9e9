import { expect } from 'chai';
import { createReloader, type ReloadTarget } from '../../../src/cli/reload.js';
import { planReload, type ReloadPlan } from '../../../src/config/reload-plan.js';
import type { Config } from '../../../src/config/types.js';
import { ConfigError, ErrorCodes, TvmError } from '../../../src/errors.js';
import { createLogger } from '../../../src/telemetry/logger.js';
import { parse } from '../config/helpers.js';

function capture() {
  const lines: Array<Record<string, unknown>> = [];
  const logger = createLogger({ level: 'info', pretty: false, destination: { write: (l: string) => void lines.push(JSON.parse(l) as Record<string, unknown>) } });
  return { logger, lines, msgs: () => lines.map((l) => l.msg) };
}

class FakeDaemon implements ReloadTarget {
  running: Config = parse({});
  reloads = 0;
  concurrent = 0;
  maxConcurrent = 0;
  fail: Error | null = null;
  async reload(next: Config): Promise<ReloadPlan> {
    this.reloads++;
    this.maxConcurrent = Math.max(this.maxConcurrent, ++this.concurrent);
    await new Promise((r) => setTimeout(r, 5));
    this.concurrent--;
    if (this.fail) throw this.fail;
    const plan = planReload(this.running, next);
    this.running = plan.config;
    return plan;
  }
}

describe('cli/reload', () => {
  it('refuses an invalid file, logging every problem as check-config words it, and keeps the daemon as it is', async () => {
    const log = capture();
    const daemon = new FakeDaemon();
    const r = createReloader({ load: () => { throw new ConfigError(['upload.schedule.daily_time: "25:00" is not a time of day HH:MM', 'disk: is required'], '/etc/c.yaml'); }, daemon, logger: log.logger, file: '/etc/c.yaml' });
    r.request('SIGHUP');
    await r.idle();
    expect(daemon.reloads).to.equal(0);
    expect(log.msgs()).to.deep.equal([
      'configuration reload rejected: still running on the previous configuration; fix /etc/c.yaml (check with: tvm-upload check-config) and reload again',
      'upload.schedule.daily_time: "25:00" is not a time of day HH:MM',
      'disk: is required',
    ]);
    expect(log.lines.every((l) => l.level === 'error')).to.equal(true);
  });

  it('reports a file it cannot read', async () => {
    const log = capture();
    const r = createReloader({ load: () => { throw new TvmError(ErrorCodes.CONFIG_INVALID, 'cannot read /etc/c.yaml: EACCES'); }, daemon: new FakeDaemon(), logger: log.logger, file: '/etc/c.yaml' });
    r.request('SIGHUP');
    await r.idle();
    expect(log.msgs()[1]).to.equal('cannot read /etc/c.yaml: EACCES');
  });

  it('logs the keys that changed and those that need a restart', async () => {
    const log = capture();
    const next = parse({ upload: { operational_hours: { enabled: true, start: '09:00', end: '10:00' } }, s3: { bucket: 'other-bucket' }, log_directories: [{ path: '/logs/cam', source: 'cam' }] });
    const r = createReloader({ load: () => next, daemon: new FakeDaemon(), logger: log.logger, file: '/etc/c.yaml' });
    r.request('SIGHUP');
    await r.idle();
    const done = log.lines.find((l) => l.msg === 'configuration reloaded')!;
    expect(done).to.deep.include({ applied: ['upload.operational_hours'], directoriesAdded: ['/logs/cam'], directoriesRemoved: ['/logs/ros'], needsRestart: ['s3.bucket'] });
    expect(log.msgs()).to.include('configuration keys changed that need a restart (running values kept until then): s3.bucket');
  });

  it('says so when nothing changed, and reports a reload that failed part-way', async () => {
    const log = capture();
    const daemon = new FakeDaemon();
    const r = createReloader({ load: () => parse({}), daemon, logger: log.logger, file: '/etc/c.yaml' });
    r.request('SIGHUP');
    await r.idle();
    daemon.fail = new Error('boom');
    r.request('SIGHUP');
    await r.idle();
    expect(log.msgs()).to.deep.equal(['configuration reloaded: nothing changed', 'configuration reload failed part-way; restart tvm-upload to be sure the file is in effect']);
  });

  it('runs one reload at a time and folds a burst into one more', async () => {
    const log = capture();
    const daemon = new FakeDaemon();
    const r = createReloader({ load: () => parse({}), daemon, logger: log.logger, file: '/etc/c.yaml' });
    for (let i = 0; i < 10; i++) r.request('SIGHUP');
    await r.idle();
    expect(daemon.reloads).to.equal(2);
    expect(daemon.maxConcurrent).to.equal(1);
  });
});
