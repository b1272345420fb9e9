import { expect } from 'chai';
import { summarizeConfig } from '../../../src/config/summary.js';
import { parse } from './helpers.js';

describe('config/summary', () => {
  it('summarises the minimal configuration line by line', () => {
    const text = summarizeConfig(parse({}));
    expect(text.split('\n')).to.deep.equal([
      'tvm-upload configuration',
      'vehicle id:        vehicle-001',
      's3:                s3://tvm-logs/vehicle-001/ in us-east-1',
      '                   endpoint AWS (or AWS_ENDPOINT_URL), virtual-hosted addressing, default credential chain',
      '                   storage class bucket default, encryption bucket default',
      'log directories:   1 directory',
      '  [0] ros <- /logs/ros (recursive, all files, deletion allowed)',
      'schedule:          daily at 15:00',
      'operational hours: off (files are uploaded as soon as they are stable, at any time)',
      'batch upload:      on (inside the window the whole queue drains)',
      'stability:         60 s without change',
      'start-up:          scan files up to 3 days old; upload at start',
      'rescan:            every 600 s',
      'shutdown:          in-flight uploads get 30 s, then resume at the next start',
      'concurrency:       4 files at once, 3 compression workers',
      '                   multipart parts of 8 MiB, 2 per file (at most 8 parts in flight)',
      'compression:       gzip level 6 (up to 9 while the upload is capped, within 50 % of a core); stored as-is: .mcap .bag .db3 .gz .zst .bz2 .xz .lz4 .zip .7z .jpg .png .mp4',
      'retry:             10 attempts, backoff 1 s up to 600 s',
      'bandwidth:         unlimited',
      'delete uploaded:   14 days after upload',
      'age-based cleanup: files older than 7 days, daily at 02:00',
      'emergency cleanup: off',
      'disk:              keep 5 GB free; warning at 90 %, critical at 95 %',
      'cloudwatch:        on, namespace TVM/Upload, every 60 s',
      'alarms:            low upload < 100 MB/day for 3 days; ≥ 10 failures/hour; backlog older than 24 h',
      'http status:       on at 127.0.0.1:9464',
      'state dir:         /var/lib/tvm-upload',
      'legacy import:     queue /var/lib/tvm-upload/queue.json, registry /var/lib/tvm-upload/processed_files.json (entries kept 30 days)',
      's3 lifecycle:      14 days (informational; set the bucket rule in S3)',
      'warnings (1):',
      '  - deletion.age_based.max_age_days (7) is not above deletion.after_upload.keep_days (14): age-based cleanup removes files before keep_days has passed',
    ]);
  });

  it('shows each directory with source, scope, pattern, deletion and legacy origin', () => {
    const text = summarizeConfig(parse({
      log_directories: ['/home/u/.ros/log', { path: '/var/log', source: 'syslog', pattern: 'syslog.[1-9]*', recursive: false, allow_deletion: false }],
    }));
    expect(text).to.include('log directories:   2 directories');
    expect(text).to.include('  [0] ros <- /home/u/.ros/log (recursive, all files, deletion allowed, source guessed (legacy entry))');
    expect(text).to.include('  [1] syslog <- /var/log (top level only, pattern "syslog.[1-9]*", never deleted)');
  });

  it('notes an overnight operational window', () => {
    const text = summarizeConfig(parse({ upload: { operational_hours: { enabled: true, start: '22:00', end: '6:00' } } }));
    expect(text).to.include('operational hours: 22:00-06:00 (overnight window, crosses midnight); immediate uploads only inside this window');
    const day = summarizeConfig(parse({ upload: { operational_hours: { enabled: true, start: '09:00', end: '18:00' } } }));
    expect(day).to.include('operational hours: 09:00-18:00; immediate uploads only inside this window');
    const single = summarizeConfig(parse({ upload: { batch_upload: { enabled: false } } }));
    expect(single).to.include('batch upload:      off (inside the window only files that became ready there upload; the rest wait for a pass)');
  });

  it('describes interval schedules in hours and minutes', () => {
    const at = (h: number, m: number): string =>
      summarizeConfig(parse({ upload: { schedule: { mode: 'interval', interval_hours: h, interval_minutes: m } } }));
    expect(at(2, 0)).to.include('schedule:          every 2 h\n');
    expect(at(0, 30)).to.include('schedule:          every 30 min\n');
    expect(at(1, 15)).to.include('schedule:          every 1 h 15 min\n');
  });

  it('shows custom endpoints, credentials profile, storage class and encryption', () => {
    const text = summarizeConfig(parse({
      s3: { endpoint: 'http://127.0.0.1:9000', profile: 'china', storage_class: 'GLACIER_IR', server_side_encryption: 'aws:kms', kms_key_id: 'alias/logs' },
    }));
    expect(text).to.include('endpoint http://127.0.0.1:9000, path-style addressing, profile china');
    expect(text).to.include('storage class GLACIER_IR, encryption aws:kms (key alias/logs)');
    expect(summarizeConfig(parse({ s3: { server_side_encryption: 'AES256' } }))).to.include('encryption AES256\n');
  });

  it('shows the non-default transfer, deletion and monitoring settings', () => {
    const text = summarizeConfig(parse({
      upload: {
        workers: 1, compression: { codec: 'none', skip_extensions: [] }, bandwidth: { max_mbps: 10 }, rescan_interval_seconds: 0,
        upload_on_start: false, scan_existing_files: { max_age_days: 0 },
      },
      deletion: { after_upload: { keep_days: 0 }, age_based: { enabled: false }, emergency: { enabled: true } },
      monitoring: { cloudwatch_enabled: false, http: { enabled: true } },
    }));
    expect(text).to.include('4 files at once, 1 compression worker\n');
    expect(text).to.include('compression:       no compression; stored as-is: nothing');
    expect(text).to.include('bandwidth:         10 Mbit/s (1250000 bytes/s)');
    expect(text).to.include('rescan:            off');
    expect(text).to.include('start-up:          scan files up to any age; wait for the schedule');
    expect(text).to.include('delete uploaded:   right after upload');
    expect(text).to.include('age-based cleanup: off');
    expect(text).to.include('emergency cleanup: on');
    expect(text).to.include('cloudwatch:        off');
    expect(text).to.include('http status:       on at 127.0.0.1:9464');
    expect(text.endsWith('warnings: none')).to.equal(true);
    expect(summarizeConfig(parse({ upload: { scan_existing_files: { enabled: false } }, deletion: { after_upload: { enabled: false } } })))
      .to.include('start-up:          no scan; upload at start')
      .and.to.include('delete uploaded:   off');
  });

  it('names the source file and uses singular units for one day', () => {
    const text = summarizeConfig(parse({ deletion: { after_upload: { keep_days: 1 }, age_based: { max_age_days: 1 } } }, { sourceFile: '/etc/tvm-upload/config.yaml' }));
    expect(text.split('\n')[0]).to.equal('tvm-upload configuration from /etc/tvm-upload/config.yaml');
    expect(text).to.include('delete uploaded:   1 day after upload');
    expect(text).to.include('files older than 1 day, daily at 02:00');
  });
});

describe('config/summary of every optional setting', () => {
  it('names each non-default choice in words', () => {
    const text = summarizeConfig(
      parse({
        log_directories: [
          { path: '/logs/ros', source: 'ros', recursive: false, pattern: '*.log', allow_deletion: false },
          { path: '/logs/cam', source: 'cam' },
        ],
        s3: { bucket: 'tvm-logs', region: 'eu-west-1', endpoint: 'http://127.0.0.1:9000', force_path_style: true, profile: 'fleet', server_side_encryption: 'aws:kms', kms_key_id: 'alias/logs', storage_class: 'STANDARD_IA' },
        upload: {
          schedule: { mode: 'interval', interval_hours: 1.5 },
          operational_hours: { enabled: true, start: '22:00', end: '06:00' },
          batch_upload: { enabled: false },
          upload_on_start: false,
          scan_existing_files: { enabled: false },
          rescan_interval_seconds: 0,
          compression: { codec: 'none', skip_extensions: [] },
          bandwidth: { max_mbps: 8, schedule: ['07:00,2M', '19:00,off'] },
          stall_timeout_seconds: 0,
          links: { probe_command: 'echo wifi', policy: { cellular: { min_priority: 'high', bandwidth: 2 } }, cellular_budget_mb_per_month: 2000 },
          markers: { pattern: '*.incident', before: '10m', after: '5m' },
        },
        deletion: { after_upload: { enabled: true, keep_days: 0 }, age_based: { enabled: true, max_age_days: 1, include_not_uploaded: true }, emergency: { enabled: true } },
        monitoring: { cloudwatch_enabled: false, http: { enabled: false } },
      }),
    ).split('\n');
    for (const expected of [
      '                   endpoint http://127.0.0.1:9000, path-style addressing, profile fleet',
      '                   storage class STANDARD_IA, encryption aws:kms (key alias/logs)',
      'log directories:   2 directories',
      '  [0] ros <- /logs/ros (top level only, pattern "*.log", never deleted)',
      'schedule:          every 1 h 30 min',
      'operational hours: 22:00-06:00 (overnight window, crosses midnight); immediate uploads only inside this window',
      'batch upload:      off (inside the window only files that became ready there upload; the rest wait for a pass)',
      'start-up:          no scan; wait for the schedule',
      'rescan:            off',
      'compression:       no compression; stored as-is: nothing',
      'bandwidth:         8 Mbit/s (1000000 bytes/s)',
      'bandwidth timetable: 07:00,2M 19:00,off',
      'stall timeout:     off',
      'link probe:        command echo wifi, every 10 s',
      '                   cellular: high and above, 250000 bytes/s',
      '                   cellular budget 2000 MB a month (80 %: high only)',
      'marker files:      *.incident (window −600 s … +300 s)',
      'delete uploaded:   right after upload',
      'age-based cleanup: files (uploaded or NOT) older than 1 day, daily at 02:00',
      'emergency cleanup: on',
      'cloudwatch:        off',
      'alarms:            off (cloudwatch off)',
      'http status:       off',
    ]) {
      expect(text, expected).to.include(expected);
    }
  });
});
