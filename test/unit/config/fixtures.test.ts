import { expect } from 'chai';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../../../src/config/load.js';
import { TEST_OPTS } from './helpers.js';

const FIXTURES = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../fixtures/config');
const fixture = (name: string): string => path.join(FIXTURES, name);

describe('config fixtures in the reference format', () => {
  it('loads the reference-format file with every reference key, values as written', () => {
    const c = loadConfig(fixture('reference.yaml'), TEST_OPTS);
    expect(c.vehicleId).to.equal('vehicle-CN-001');
    expect(c.logDirectories).to.deep.equal([
      { path: '/home/tester/.parcel/log/terminal', source: 'terminal', recursive: true, pattern: null, allowDeletion: true, legacy: false },
      { path: '/home/tester/.ros/log', source: 'ros', recursive: true, pattern: null, allowDeletion: true, legacy: false },
      { path: '/var/log', source: 'syslog', recursive: false, pattern: 'syslog.[1-9]*', allowDeletion: false, legacy: false },
      { path: '/home/tester/ros2_ws/log', source: 'ros2', recursive: true, pattern: null, allowDeletion: true, legacy: false },
    ]);
    expect(c.s3).to.include({ bucket: 't01logs', region: 'cn-north-1', profile: 'china', endpoint: null, forcePathStyle: false });
    expect(c.upload.schedule).to.deep.equal({ mode: 'interval', intervalMinutes: 150 });
    expect(c.upload.operationalHours).to.deep.equal({ enabled: true, start: 540, end: 1080 });
    expect(c.upload.batchUpload.enabled).to.equal(true);
    expect(c.upload.scanExistingFiles).to.deep.equal({ enabled: true, maxAgeDays: 3 });
    expect(c.upload.processedFilesRegistry).to.deep.equal({ registryFile: '/var/lib/tvm-upload/processed_files.json', retentionDays: 30 });
    expect(c.deletion).to.deep.equal({
      afterUpload: { enabled: true, keepDays: 7 },
      ageBased: { enabled: true, maxAgeDays: 14, scheduleTime: 120, includeNotUploaded: false },
      emergency: { enabled: true },
    });
    expect(c.disk).to.deep.equal({ reservedGb: 70, warningThreshold: 0.9, criticalThreshold: 0.95, checkIntervalSeconds: 60 });
    expect(c.monitoring).to.deep.include({ cloudwatchEnabled: true, publishIntervalSeconds: 3600 });
    expect(c.s3Lifecycle.retentionDays).to.equal(14);
    expect(c.sourceFile).to.equal(fixture('reference.yaml'));
  });

  it('warns about every reference key it accepts but ignores', () => {
    const c = loadConfig(fixture('reference.yaml'), TEST_OPTS);
    expect(c.warnings.map((w) => w.split(' ')[0])).to.deep.equal([
      's3.credentials_path',
      'upload.batch_upload.include_run_directory',
      'upload.directory_configs',
    ]);
  });

  it('loads the older layout: string directories with guessed sources, a "HH:MM" schedule and never-read keys', () => {
    const c = loadConfig(fixture('reference-legacy.yaml'), TEST_OPTS);
    expect(c.logDirectories.map((d) => [d.source, d.path, d.legacy])).to.deep.equal([
      ['terminal', '/home/tester/.parcel/log/terminal', true],
      ['ros', '/home/tester/.ros/log', true],
      ['syslog', '/var/log', true],
      ['tvm_test_logs', '/tmp/tvm-test-logs', true],
    ]);
    expect(c.upload.schedule).to.deep.equal({ mode: 'daily', dailyTime: 900 });
    expect(c.disk.warningThreshold).to.equal(0.9);
    expect(c.warnings).to.include('retry is accepted for compatibility but ignored: the reference never read it; use upload.retry.max_attempts');
    expect(c.warnings).to.include('disk.cleanup_threshold is accepted for compatibility but ignored: use disk.warning_threshold');
    expect(c.warnings).to.include('deletion.emergency.threshold is accepted for compatibility but ignored: emergency cleanup starts at disk.warning_threshold (uploaded files) and disk.critical_threshold (files not uploaded)');
    expect(c.warnings).to.include('log_directories[3]: legacy string form, source guessed as "tvm_test_logs" (write {path, source} to choose it)');
  });

  it('accepts the reference production list whose two legacy entries both guess "syslog", with a warning', () => {
    const c = loadConfig(fixture('production-collision.yaml'), TEST_OPTS);
    expect(c.logDirectories.map((d) => d.source)).to.deep.equal(['syslog', 'syslog']);
    expect(c.warnings).to.include(
      'log_directories[1]: guessed source "syslog" is also used by log_directories[0]; both upload under syslog/ as the Python daemon did, and files with the same relative path and date become versions of one key (~0002, …) instead of separate folders (write {path, source} entries with distinct sources to avoid that)',
    );
  });

  it('resolves relative paths against the config file directory', () => {
    const c = loadConfig(fixture('relative-paths.yaml'), TEST_OPTS);
    expect(c.stateDir).to.equal(path.join(FIXTURES, 'var/demo/state'));
    expect(c.logDirectories[0]!.path).to.equal(path.join(FIXTURES, 'var/demo/logs'));
    expect(c.upload.queueFile).to.equal(path.join(FIXTURES, 'var/demo/queue.json'));
    expect(c.upload.processedFilesRegistry.registryFile).to.equal(path.resolve(FIXTURES, '../demo-registry.json'));
    expect(c.s3).to.include({ endpoint: 'http://127.0.0.1:4568', forcePathStyle: true });
  });
});
