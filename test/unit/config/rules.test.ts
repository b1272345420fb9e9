// One behaviour per `it`: what a valid configuration turns into (defaults, conversions,
// normalisation, warnings). Malformed inputs live in malformed.test.ts.
import { expect } from 'chai';
import { parse, yamlOf, withPatch } from './helpers.js';
import { ConfigError } from '../../../src/errors.js';

describe('config rules', () => {
  describe('defaults', () => {
    it('applies the reference defaults to every optional reference key', () => {
      const c = parse({});
      expect(c.upload.fileStableSeconds).to.equal(60);
      expect(c.upload.operationalHours).to.deep.equal({ enabled: false, start: 0, end: 0 });
      expect(c.upload.batchUpload.enabled).to.equal(true);
      expect(c.upload.uploadOnStart).to.equal(true);
      expect(c.upload.queueFile).to.equal('/var/lib/tvm-upload/queue.json');
      expect(c.upload.scanExistingFiles).to.deep.equal({ enabled: true, maxAgeDays: 3 });
      expect(c.upload.processedFilesRegistry).to.deep.equal({ registryFile: '/var/lib/tvm-upload/processed_files.json', retentionDays: 30 });
      expect(c.deletion).to.deep.equal({
        afterUpload: { enabled: true, keepDays: 14 },
        ageBased: { enabled: true, maxAgeDays: 7, scheduleTime: 120, includeNotUploaded: false },
        emergency: { enabled: false },
      });
      expect(c.disk).to.deep.equal({ reservedGb: 5, warningThreshold: 0.9, criticalThreshold: 0.95, checkIntervalSeconds: 60 });
      expect(c.monitoring.cloudwatchEnabled).to.equal(true);
      expect(c.s3Lifecycle.retentionDays).to.equal(14);
      expect(c.s3.profile).to.equal(null);
    });

    it('applies our defaults to every new key', () => {
      const c = parse({});
      expect(c.stateDir).to.equal('/var/lib/tvm-upload');
      expect(c.s3).to.deep.equal({
        bucket: 'tvm-logs', region: 'us-east-1', profile: null, endpoint: null, forcePathStyle: false, conditionalWrites: true,
        storageClass: null, serverSideEncryption: null, kmsKeyId: null,
      });
      expect(c.upload).to.deep.include({ concurrency: 4, partSizeMb: 8, partConcurrency: 2, workers: 3, rescanIntervalSeconds: 600 });
      expect(c.upload.compression).to.deep.equal({
        codec: 'gzip', level: 6, maxLevel: 9, cpuBudgetPercent: 50,
        skipExtensions: ['.mcap', '.bag', '.db3', '.gz', '.zst', '.bz2', '.xz', '.lz4', '.zip', '.7z', '.jpg', '.png', '.mp4'],
      });
      expect(c.upload.retry).to.deep.equal({ maxAttempts: 10, baseSeconds: 1, maxSeconds: 600 });
      expect(c.upload.bandwidth).to.deep.equal({ maxBytesPerSecond: null });
      expect(c.monitoring).to.deep.equal({
        cloudwatchEnabled: true, namespace: 'TVM/Upload', publishIntervalSeconds: 60, http: { enabled: true, listen: '127.0.0.1:9464' },
        alarms: { lowUploadThresholdMb: 100, evaluationPeriods: 3, uploadFailuresThreshold: 10, backlogThresholdHours: 24 },
      });
    });

    it('treats an empty section heading as "all defaults"', () => {
      const c = parse('vehicle_id: v\nlog_directories: [/logs/x]\ns3: {bucket: tvm-logs, region: r}\nupload:\n  schedule: "01:00"\n  retry:\ndeletion:\nmonitoring:\n  http:\ndisk: {reserved_gb: 1}\n');
      expect(c.upload.retry.maxAttempts).to.equal(10);
      expect(c.deletion.ageBased.enabled).to.equal(true);
      expect(c.monitoring.http.enabled).to.equal(true);
    });

    it('defaults workers to one less than the CPU count, at least 1 and at most 64', () => {
      expect(parse({}, { cpuCount: 1 }).upload.workers).to.equal(1);
      expect(parse({}, { cpuCount: 2 }).upload.workers).to.equal(1);
      expect(parse({}, { cpuCount: 8 }).upload.workers).to.equal(7);
      expect(parse({}, { cpuCount: 200 }).upload.workers).to.equal(64);
      expect(parse({ upload: { workers: 5 } }, { cpuCount: 2 }).upload.workers).to.equal(5);
    });
  });

  describe('log_directories', () => {
    it('guesses the source of legacy string entries like the reference and marks them legacy', () => {
      const c = parse({ log_directories: ['~/.parcel/log/terminal', '~/.ros/log', '~/ros2_ws/log', '/var/log', '/data/my-bags'] });
      expect(c.logDirectories.map((d) => d.source)).to.deep.equal(['terminal', 'ros', 'ros2', 'syslog', 'my_bags']);
      expect(c.logDirectories.every((d) => d.legacy && d.recursive && d.allowDeletion && d.pattern === null)).to.equal(true);
    });

    it('defaults recursive and allow_deletion to true and pattern to every file', () => {
      const [d] = parse({}).logDirectories;
      expect(d).to.deep.equal({ path: '/logs/ros', source: 'ros', recursive: true, pattern: null, allowDeletion: true, legacy: false });
    });

    it('keeps pattern, recursive and allow_deletion as written', () => {
      const [d] = parse({ log_directories: [{ path: '/var/log', source: 'syslog', pattern: 'syslog.[1-9]*', recursive: false, allow_deletion: false }] }).logDirectories;
      expect(d).to.include({ pattern: 'syslog.[1-9]*', recursive: false, allowDeletion: false });
    });

    it('accepts legacy and mapping entries mixed in one list (the reference crashed)', () => {
      const c = parse({ log_directories: ['/home/u/.ros/log', { path: '/var/log', source: 'system', recursive: false }] });
      expect(c.logDirectories.map((d) => [d.source, d.legacy])).to.deep.equal([['ros', true], ['system', false]]);
    });

    it('normalises trailing slashes and doubled separators', () => {
      expect(parse({ log_directories: [{ path: '/logs//ros/', source: 'ros' }] }).logDirectories[0]!.path).to.equal('/logs/ros');
    });

    it('accepts a directory inside a non-recursive one', () => {
      const c = parse({ log_directories: [{ path: '/var/log', source: 'syslog', recursive: false }, { path: '/var/log/app', source: 'app' }] });
      expect(c.logDirectories).to.have.length(2);
    });

    it('accepts an explicit null pattern as "every file"', () => {
      expect(parse({ log_directories: [{ path: '/a', source: 'a', pattern: null }] }).logDirectories[0]!.pattern).to.equal(null);
    });
  });

  describe('s3', () => {
    it('keeps profile, storage class and encryption as written', () => {
      const c = parse({ s3: { profile: 'china', storage_class: 'STANDARD_IA', server_side_encryption: 'aws:kms', kms_key_id: 'alias/logs' } });
      expect(c.s3).to.include({ profile: 'china', storageClass: 'STANDARD_IA', serverSideEncryption: 'aws:kms', kmsKeyId: 'alias/logs' });
    });

    it('defaults force_path_style to true when an endpoint is set', () => {
      expect(parse({ s3: { endpoint: 'http://127.0.0.1:9000' } }).s3).to.include({ endpoint: 'http://127.0.0.1:9000', forcePathStyle: true });
    });

    it('keeps an explicit force_path_style over the endpoint default', () => {
      expect(parse({ s3: { endpoint: 'https://minio.local', force_path_style: false } }).s3.forcePathStyle).to.equal(false);
      expect(parse({ s3: { force_path_style: true } }).s3.forcePathStyle).to.equal(true);
    });

    it('turns conditional writes on for AWS and off for a custom endpoint unless written', () => {
      expect(parse({}).s3.conditionalWrites).to.equal(true);
      expect(parse({ s3: { endpoint: 'http://127.0.0.1:9000' } }).s3.conditionalWrites).to.equal(false);
      expect(parse({ s3: { endpoint: 'http://127.0.0.1:9000', conditional_writes: true } }).s3.conditionalWrites).to.equal(true);
      expect(parse({ s3: { conditional_writes: false } }).s3.conditionalWrites).to.equal(false);
    });

    it('expands ${VAR} in the endpoint', () => {
      expect(parse({ s3: { endpoint: 'http://${S3_HOST}:9000' } }, { env: { S3_HOST: 'minio' } }).s3.endpoint).to.equal('http://minio:9000');
    });

    it('treats null optional keys as not set', () => {
      const c = parse({ s3: { profile: null, endpoint: null, storage_class: null, server_side_encryption: null, kms_key_id: null } });
      expect(c.s3).to.include({ profile: null, endpoint: null, forcePathStyle: false, storageClass: null, serverSideEncryption: null, kmsKeyId: null });
    });

    it('accepts credentials_path with a deprecation warning', () => {
      const c = parse({ s3: { credentials_path: '${HOME}/.aws' } });
      expect(c.warnings).to.deep.equal([
        's3.credentials_path is accepted for compatibility but ignored: credentials come from the AWS SDK chain (environment, shared files selected by s3.profile or AWS_SHARED_CREDENTIALS_FILE, instance role)',
        'deletion.age_based.max_age_days (7) is not above deletion.after_upload.keep_days (14): age-based cleanup removes files before keep_days has passed',
      ]);
    });
  });

  describe('upload.schedule', () => {
    it('reads a plain "HH:MM" string as the legacy daily schedule', () => {
      expect(parse({ upload: { schedule: '15:00' } }).upload.schedule).to.deep.equal({ mode: 'daily', dailyTime: 900 });
    });

    it('keeps an unquoted 15:00 as a time (YAML 1.2, not base-60)', () => {
      const c = parse('vehicle_id: v\nlog_directories: [/logs/x]\ns3: {bucket: tvm-logs, region: r}\nupload:\n  schedule: 15:00\ndisk: {reserved_gb: 1}\n');
      expect(c.upload.schedule).to.deep.equal({ mode: 'daily', dailyTime: 900 });
    });

    it('stays on the YAML 1.2 core schema even under a %YAML 1.1 directive', () => {
      const c = parse('%YAML 1.1\n---\nvehicle_id: v\nlog_directories: [/logs/x]\ns3: {bucket: tvm-logs, region: r}\nupload:\n  schedule: 15:00\ndisk: {reserved_gb: 1}\n');
      expect(c.upload.schedule).to.deep.equal({ mode: 'daily', dailyTime: 900 });
    });

    it('reads the daily mapping form', () => {
      expect(parse({ upload: { schedule: { mode: 'daily', daily_time: '9:30' } } }).upload.schedule).to.deep.equal({ mode: 'daily', dailyTime: 570 });
    });

    it('adds interval hours and minutes, fractions allowed, ignoring daily_time', () => {
      const s = parse({ upload: { schedule: { mode: 'interval', daily_time: '15:00', interval_hours: 0.5, interval_minutes: 2.5 } } }).upload.schedule;
      expect(s).to.deep.equal({ mode: 'interval', intervalMinutes: 32.5 });
    });

    it('accepts the interval bounds 5 minutes and 24 hours', () => {
      expect(parse({ upload: { schedule: { mode: 'interval', interval_minutes: 5 } } }).upload.schedule).to.deep.equal({ mode: 'interval', intervalMinutes: 5 });
      expect(parse({ upload: { schedule: { mode: 'interval', interval_hours: 24 } } }).upload.schedule).to.deep.equal({ mode: 'interval', intervalMinutes: 1440 });
    });
  });

  describe('other upload keys', () => {
    it('accepts a fractional or zero file_stable_seconds', () => {
      expect(parse({ upload: { file_stable_seconds: 2.5 } }).upload.fileStableSeconds).to.equal(2.5);
      expect(parse({ upload: { file_stable_seconds: 0 } }).upload.fileStableSeconds).to.equal(0);
    });

    it('stores operational hours as minutes and accepts an overnight window', () => {
      const oh = parse({ upload: { operational_hours: { enabled: true, start: '22:00', end: '06:00' } } }).upload.operationalHours;
      expect(oh).to.deep.equal({ enabled: true, start: 1320, end: 360 });
    });

    it('accepts start equal to end while operational hours are disabled', () => {
      expect(parse({ upload: { operational_hours: { enabled: false, start: '09:00', end: '09:00' } } }).upload.operationalHours.enabled).to.equal(false);
    });

    it('accepts include_run_directory and directory_configs with deprecation warnings, contents unchecked', () => {
      const c = parse({ upload: { batch_upload: { enabled: false, include_run_directory: true }, directory_configs: [{ anything: 1 }, 'x'] } });
      expect(c.upload.batchUpload.enabled).to.equal(false);
      expect(c.warnings.slice(0, 2)).to.deep.equal([
        'upload.batch_upload.include_run_directory is accepted for compatibility but ignored: the reference validated it but never used it',
        'upload.directory_configs is accepted for compatibility but ignored: the reference validated it but never used it; per-directory settings belong in log_directories',
      ]);
    });

    it('accepts max_age_days 0 for the start-up scan (no age limit)', () => {
      expect(parse({ upload: { scan_existing_files: { enabled: false, max_age_days: 0 } } }).upload.scanExistingFiles).to.deep.equal({ enabled: false, maxAgeDays: 0 });
    });

    it('accepts a rescan interval of 0 (off) and the bounds 10 and 86400', () => {
      for (const v of [0, 10, 86400]) expect(parse({ upload: { rescan_interval_seconds: v } }).upload.rescanIntervalSeconds).to.equal(v);
    });

    it('accepts the transfer bounds', () => {
      const c = parse({ upload: { concurrency: 64, part_size_mb: 5120, part_concurrency: 16, workers: 64 } });
      expect(c.upload).to.deep.include({ concurrency: 64, partSizeMb: 5120, partConcurrency: 16, workers: 64 });
      expect(parse({ upload: { part_size_mb: 5 } }).upload.partSizeMb).to.equal(5);
    });

    it('defaults the compression level per codec and stores 0 for none', () => {
      expect(parse({ upload: { compression: { codec: 'zstd' } } }).upload.compression.level).to.equal(3);
      expect(parse({ upload: { compression: { codec: 'zstd', level: 19 } } }).upload.compression.level).to.equal(19);
      expect(parse({ upload: { compression: { codec: 'gzip', level: 1 } } }).upload.compression.level).to.equal(1);
      expect(parse({ upload: { compression: { codec: 'none', level: 42 } } }).upload.compression).to.include({ codec: 'none', level: 0 });
    });

    it('defaults max_level to 9 for both codecs, never below level, and 0 for none', () => {
      expect(parse({ upload: { compression: { codec: 'zstd' } } }).upload.compression).to.include({ level: 3, maxLevel: 9 });
      expect(parse({ upload: { compression: { codec: 'zstd', level: 12 } } }).upload.compression).to.include({ level: 12, maxLevel: 12 });
      expect(parse({ upload: { compression: { codec: 'zstd', max_level: 19 } } }).upload.compression).to.include({ level: 3, maxLevel: 19 });
      expect(parse({ upload: { compression: { level: 4, max_level: 4 } } }).upload.compression).to.include({ level: 4, maxLevel: 4 });
      expect(parse({ upload: { compression: { codec: 'none', max_level: 3 } } }).upload.compression).to.include({ level: 0, maxLevel: 0 });
      expect(parse({ upload: { compression: { cpu_budget_percent: 150 } } }).upload.compression.cpuBudgetPercent).to.equal(150);
    });

    it('lower-cases and de-duplicates skip_extensions, and allows an empty list', () => {
      expect(parse({ upload: { compression: { skip_extensions: ['.MCAP', '.mcap', '.Bag'] } } }).upload.compression.skipExtensions).to.deep.equal(['.mcap', '.bag']);
      expect(parse({ upload: { compression: { skip_extensions: [] } } }).upload.compression.skipExtensions).to.deep.equal([]);
    });

    it('accepts retry settings with max_seconds equal to base_seconds', () => {
      expect(parse({ upload: { retry: { max_attempts: 1000, base_seconds: 0.5, max_seconds: 0.5 } } }).upload.retry).to.deep.equal({ maxAttempts: 1000, baseSeconds: 0.5, maxSeconds: 0.5 });
    });

    it('converts bandwidth.max_mbps (megabits) to bytes per second; null means unlimited', () => {
      expect(parse({ upload: { bandwidth: { max_mbps: 8 } } }).upload.bandwidth.maxBytesPerSecond).to.equal(1_000_000);
      expect(parse({ upload: { bandwidth: { max_mbps: 0.5 } } }).upload.bandwidth.maxBytesPerSecond).to.equal(62_500);
      expect(parse({ upload: { bandwidth: { max_mbps: null } } }).upload.bandwidth.maxBytesPerSecond).to.equal(null);
    });
  });

  describe('deletion, disk, monitoring', () => {
    it('stores the age-based schedule time in minutes', () => {
      expect(parse({ deletion: { age_based: { schedule_time: '3:15' } } }).deletion.ageBased.scheduleTime).to.equal(195);
    });

    it('accepts thresholds strictly between 0 and 1 with warning below critical', () => {
      expect(parse({ disk: { reserved_gb: 0.5, warning_threshold: 0.01, critical_threshold: 0.99 } }).disk).to.deep.equal({ reservedGb: 0.5, warningThreshold: 0.01, criticalThreshold: 0.99, checkIntervalSeconds: 60 });
    });

    it('keeps monitoring settings, including the reference\'s alarm keys, without warnings', () => {
      const c = parse({
        monitoring: {
          cloudwatch_enabled: false, namespace: 'Fleet/Logs', publish_interval_seconds: 3600, http: { enabled: true, listen: '[::1]:9000' },
          low_upload_threshold_mb: 250, alarm_evaluation_periods: 2, upload_failures_alarm_threshold: 5, backlog_alarm_threshold_hours: 6,
        },
      });
      expect(c.monitoring).to.deep.equal({
        cloudwatchEnabled: false, namespace: 'Fleet/Logs', publishIntervalSeconds: 3600, http: { enabled: true, listen: '[::1]:9000' },
        alarms: { lowUploadThresholdMb: 250, evaluationPeriods: 2, uploadFailuresThreshold: 5, backlogThresholdHours: 6 },
      });
      expect(c.warnings.filter((w) => w.startsWith('monitoring.'))).to.have.length(0);
    });

    it('rejects alarm settings CloudWatch cannot take, naming the key', () => {
      for (const [key, value] of [['low_upload_threshold_mb', 0], ['alarm_evaluation_periods', 8], ['alarm_evaluation_periods', 1.5], ['upload_failures_alarm_threshold', 0], ['backlog_alarm_threshold_hours', -1]] as const) {
        expect(() => parse({ monitoring: { [key]: value } }), key).to.throw(ConfigError, `monitoring.${key}`);
      }
    });

    it('warns when the metrics listener is reachable from the network', () => {
      const c = parse({ monitoring: { http: { enabled: true, listen: '0.0.0.0:9464' } } });
      expect(c.warnings).to.include('monitoring.http.listen (0.0.0.0:9464) is not a loopback address: /metrics and /status are reachable from the network');
    });

    it('warns when age-based cleanup would run before keep_days, and not otherwise', () => {
      const warn = 'deletion.age_based.max_age_days (7) is not above deletion.after_upload.keep_days (14): age-based cleanup removes files before keep_days has passed';
      expect(parse({}).warnings).to.deep.equal([warn]);
      expect(parse({ deletion: { age_based: { max_age_days: 30 } } }).warnings).to.deep.equal([]);
      expect(parse({ deletion: { age_based: { enabled: false } } }).warnings).to.deep.equal([]);
      expect(parse({ deletion: { after_upload: { enabled: false } } }).warnings).to.deep.equal([]);
    });
  });

  describe('paths and environment', () => {
    it('expands ~, $VAR and ${VAR} in every path-like key', () => {
      const c = parse({
        state_dir: '~/state',
        log_directories: [{ path: '$LOGS/ros', source: 'ros' }, { path: '${LOGS}/ros2', source: 'ros2' }],
        upload: { queue_file: '${HOME}/q.json', processed_files_registry: { registry_file: '$HOME/r.json' } },
      });
      expect(c.stateDir).to.equal('/home/tester/state');
      expect(c.logDirectories.map((d) => d.path)).to.deep.equal(['/data/logs/ros', '/data/logs/ros2']);
      expect(c.upload.queueFile).to.equal('/home/tester/q.json');
      expect(c.upload.processedFilesRegistry.registryFile).to.equal('/home/tester/r.json');
    });

    it('reads $$ as a literal dollar in paths', () => {
      expect(parse({ state_dir: '/srv/$$cache' }).stateDir).to.equal('/srv/$cache');
    });

    it('does not expand variables outside path-like keys', () => {
      expect(parse({ s3: { profile: '$PROFILE' } }).s3.profile).to.equal('$PROFILE');
    });

    it('resolves relative paths against the source file directory when there is one', () => {
      const c = parse({ state_dir: './var/demo', log_directories: ['logs/app'] }, { sourceFile: '/etc/tvm/config.yaml' });
      expect(c.stateDir).to.equal('/etc/tvm/var/demo');
      expect(c.logDirectories[0]!.path).to.equal('/etc/tvm/logs/app');
    });
  });

  it('accepts the older keys that appeared in reference example files, with warnings', () => {
    const text = yamlOf(withPatch({ retry: { max_attempts: 3 }, disk: { cleanup_threshold: 0.9 }, deletion: { emergency: { threshold: 0.95 } } }));
    expect(parse(text).warnings.map((w) => w.split(' ')[0])).to.deep.equal(['retry', 'disk.cleanup_threshold', 'deletion.emergency.threshold', 'deletion.age_based.max_age_days']);
  });
});
