import { expect } from 'chai';
import { isEmptyPlan, LIVE_KEYS, planReload, RESTART_KEYS } from '../../../src/config/reload-plan.js';
import { parse } from './helpers.js';

describe('config/reload-plan', () => {
  it('changes nothing when the file is the same', () => {
    const p = planReload(parse({}), parse({}));
    expect(isEmptyPlan(p)).to.equal(true);
  });

  it('applies live keys and lists them by their YAML names', () => {
    const running = parse({});
    const next = parse({
      upload: { schedule: { mode: 'interval', interval_hours: 2 }, operational_hours: { enabled: true, start: '09:00', end: '17:00' }, bandwidth: { max_mbps: 8 }, batch_upload: { enabled: false } },
      disk: { warning_threshold: 0.8 },
    });
    const p = planReload(running, next);
    expect(p.applied).to.deep.equal(['upload.schedule', 'upload.operational_hours', 'upload.batch_upload', 'upload.bandwidth', 'disk']);
    expect(p.needsRestart).to.deep.equal([]);
    expect(p.config.upload.schedule).to.deep.equal({ mode: 'interval', intervalMinutes: 120 });
    expect(p.config.upload.bandwidth.maxBytesPerSecond).to.equal(1_000_000);
    expect(p.config.disk.warningThreshold).to.equal(0.8);
    expect(Object.isFrozen(p.config.upload)).to.equal(true);
  });

  it('names keys that need a restart and keeps their running values', () => {
    const running = parse({});
    const next = parse({
      vehicle_id: 'other-vehicle',
      state_dir: '/var/lib/elsewhere',
      s3: { bucket: 'other-bucket', region: 'eu-west-1', endpoint: 'http://127.0.0.1:9000' },
      upload: { concurrency: 8, file_stable_seconds: 5, processed_files_registry: { registry_file: '/x/r.json', retention_days: 7 } },
    });
    const p = planReload(running, next);
    expect(p.needsRestart).to.deep.equal([
      'vehicle_id', 'state_dir', 's3.bucket', 's3.region', 's3.endpoint', 's3.force_path_style',
      'upload.file_stable_seconds', 'upload.concurrency', 'upload.processed_files_registry.registry_file',
    ]);
    expect(p.applied).to.deep.equal(['upload.processed_files_registry.retention_days']);
    for (const rule of RESTART_KEYS) expect(rule.get(p.config), rule.key).to.deep.equal(rule.get(running));
    for (const rule of LIVE_KEYS) expect(rule.get(p.config), rule.key).to.deep.equal(rule.get(next));
  });

  it('applies every monitoring key live, by its YAML name', () => {
    const running = parse({});
    const next = parse({
      monitoring: {
        cloudwatch_enabled: false,
        namespace: 'Fleet/Upload',
        publish_interval_seconds: 30,
        http: { enabled: true, listen: '127.0.0.1:9999' },
        low_upload_threshold_mb: 50,
        alarm_evaluation_periods: 2,
        upload_failures_alarm_threshold: 3,
        backlog_alarm_threshold_hours: 6,
      },
    });
    const p = planReload(running, next);
    expect(p.needsRestart).to.deep.equal([]);
    expect(p.applied).to.deep.equal([
      'monitoring.cloudwatch_enabled', 'monitoring.namespace', 'monitoring.publish_interval_seconds', 'monitoring.http',
      'monitoring.low_upload_threshold_mb', 'monitoring.alarm_evaluation_periods', 'monitoring.upload_failures_alarm_threshold',
      'monitoring.backlog_alarm_threshold_hours',
    ]);
    expect(p.config.monitoring).to.deep.equal(next.monitoring);
  });

  it('lists directories added, removed and changed', () => {
    const running = parse({ log_directories: [{ path: '/logs/ros', source: 'ros' }, { path: '/logs/sys', source: 'sys' }] });
    const next = parse({ log_directories: [{ path: '/logs/ros', source: 'ros', pattern: '*.log' }, { path: '/logs/cam', source: 'cam' }] });
    const p = planReload(running, next);
    expect(p.directories).to.deep.equal({ added: ['/logs/cam'], removed: ['/logs/sys'], changed: ['/logs/ros'] });
    expect(p.config.logDirectories.map((d) => d.path)).to.deep.equal(['/logs/ros', '/logs/cam']);
    expect(isEmptyPlan(p)).to.equal(false);
  });
});
