// Malformed configurations, one row each: the exact problem lines a user sees. Every row starts
// from the minimal valid document (helpers.ts) and changes one thing, so the listed lines must be
// the only ones.
import { expect } from 'chai';
import { minimal, problemsOf, withPatch, yamlOf } from './helpers.js';

type Row = [name: string, input: Record<string, unknown> | string, expected: string | string[]];

const dir = (extra: Record<string, unknown>): Record<string, unknown> => ({
  log_directories: [{ path: '/logs/ros', source: 'ros', ...extra }],
});
const schedule = (s: unknown): Record<string, unknown> => ({ upload: { schedule: s } });
const up = (u: Record<string, unknown>): Record<string, unknown> => ({ upload: u });
const without = (key: string): string => {
  const data = minimal();
  delete data[key];
  return yamlOf(data);
};

const rows: Row[] = [
  // identity
  ['vehicle_id missing', without('vehicle_id'), 'vehicle_id: is required'],
  ['vehicle_id empty', { vehicle_id: '' }, 'vehicle_id: "" must not be empty'],
  ['vehicle_id with a slash', { vehicle_id: 'fleet/car-1' },
    'vehicle_id: "fleet/car-1" may contain only letters, digits, ".", "_" and "-" (it becomes a level of every S3 key)'],
  ['vehicle_id with a space', { vehicle_id: 'car 1' },
    'vehicle_id: "car 1" may contain only letters, digits, ".", "_" and "-" (it becomes a level of every S3 key)'],
  ['vehicle_id with a control character', { vehicle_id: 'car\t1' },
    'vehicle_id: "car\\t1" may contain only letters, digits, ".", "_" and "-" (it becomes a level of every S3 key)'],
  ['vehicle_id with a variable', { vehicle_id: '${VEHICLE}' },
    'vehicle_id: "${VEHICLE}" may contain only letters, digits, ".", "_" and "-" (it becomes a level of every S3 key); environment variables are not expanded here'],
  ['vehicle_id ".."', { vehicle_id: '..' }, 'vehicle_id: ".." cannot be "." or ".." (it becomes a level of every S3 key)'],
  ['vehicle_id too long', { vehicle_id: 'v'.repeat(129) }, `vehicle_id: "${'v'.repeat(56)}... is longer than 128 characters`],
  ['vehicle_id a number', 'vehicle_id: 17\nlog_directories: [/logs]\ns3: {bucket: tvm-logs, region: r}\nupload: {schedule: "15:00"}\ndisk: {reserved_gb: 1}\n',
    'vehicle_id: 17 is not a string (put it in quotes)'],
  ['unknown top-level key with a hint', { vehicle: 'x' }, 'vehicle: unknown key (did you mean "vehicle_id"?)'],
  ['unknown top-level key without a hint', { colour: 'red' }, 'colour: unknown key'],

  // log_directories
  ['log_directories missing', without('log_directories'), 'log_directories: is required'],
  ['log_directories empty', { log_directories: [] }, 'log_directories: is empty; list at least one directory'],
  ['log_directories null', { log_directories: null }, 'log_directories: is empty; list at least one directory'],
  ['log_directories a string', { log_directories: '/logs' }, 'log_directories: "/logs" is not a list'],
  ['log_directories item a number', { log_directories: [5] },
    'log_directories[0]: 5 is neither a path string nor a mapping with path and source'],
  ['log_directories item without source', { log_directories: [{ path: '/logs' }] }, 'log_directories[0].source: is required'],
  ['log_directories item without path', { log_directories: [{ source: 'ros' }] }, 'log_directories[0].path: is required'],
  ['log_directories source with a dash', dir({ source: 'ros-1' }), 'log_directories[0].source: "ros-1" may contain only letters, digits and "_"'],
  ['log_directories recursive "yes"', dir({ recursive: 'yes' }),
    'log_directories[0].recursive: "yes" is not a boolean (write true or false, without quotes)'],
  ['log_directories allow_deletion 1', dir({ allow_deletion: 1 }),
    'log_directories[0].allow_deletion: 1 is not a boolean (write true or false, without quotes)'],
  ['log_directories empty pattern', dir({ pattern: '' }), 'log_directories[0].pattern: "" must not be empty'],
  ['log_directories misspelt key', dir({ recursiv: false }), 'log_directories[0].recursiv: unknown key (did you mean "recursive"?)'],
  ['log_directories undefined variable', { log_directories: [{ path: '$FOO/logs', source: 'ros' }] },
    'log_directories[0].path: undefined environment variable $FOO in "$FOO/logs"'],
  ['log_directories relative path without a file', { log_directories: ['logs'] },
    'log_directories[0]: "logs" is not an absolute path (relative paths are only allowed in a config file, relative to its directory)'],
  ['log_directories ~user', { log_directories: ['~bob/logs'] },
    'log_directories[0]: "~bob/logs" starts with ~user, which is not supported (only ~ or ~/ for the daemon\'s home)'],
  ['log_directories same directory twice', { log_directories: [{ path: '/logs', source: 'a' }, { path: '/logs/', source: 'b' }] },
    'log_directories[1].path: "/logs" is the same directory as log_directories[0]'],
  ['log_directories nested in a recursive entry', { log_directories: [{ path: '/logs', source: 'all' }, { path: '/logs/ros', source: 'ros' }] },
    'log_directories[1].path: "/logs/ros" is inside log_directories[0] ("/logs"), which is recursive, so its files would belong to two sources; set recursive: false on log_directories[0] or remove one entry'],
  ['log_directories duplicate source', { log_directories: [{ path: '/a', source: 'ros' }, { path: '/b', source: 'ros' }] },
    'log_directories[1].source: "ros" is already used by log_directories[0]'],
  ['log_directories legacy root', { log_directories: ['/'] }, 'log_directories[0]: cannot guess a source for "/"; write this entry as {path, source}'],

  // s3
  ['s3 missing', without('s3'), 's3: is required'],
  ['s3 empty heading', { s3: null }, ['s3.bucket: is required', 's3.region: is required']],
  ['s3 not a mapping', { s3: 'tvm-logs' }, 's3: "tvm-logs" is not a mapping'],
  ['s3.bucket with upper case', { s3: { bucket: 'TVM_Logs' } },
    's3.bucket: "TVM_Logs" is not a valid bucket name (only lower-case letters, digits, "." and "-")'],
  ['s3.bucket too short', { s3: { bucket: 'ab' } }, 's3.bucket: "ab" is not a valid bucket name (3 to 63 characters)'],
  ['s3.bucket an IP address', { s3: { bucket: '10.0.0.1' } }, 's3.bucket: "10.0.0.1" is not a valid bucket name (formatted as an IP address)'],
  ['s3.region empty', { s3: { region: '' } }, 's3.region: "" must not be empty'],
  ['s3.region with a space', { s3: { region: 'us east 1' } }, 's3.region: "us east 1" must not contain spaces'],
  ['s3.profile a number', { s3: { profile: 7 } }, 's3.profile: 7 is not a string (put it in quotes)'],
  ['s3.endpoint ftp', { s3: { endpoint: 'ftp://minio:9000' } }, 's3.endpoint: "ftp://minio:9000" must be an http:// or https:// URL'],
  ['s3.endpoint not a URL', { s3: { endpoint: 'not a url' } }, 's3.endpoint: "not a url" is not a URL (e.g. "http://127.0.0.1:9000")'],
  ['s3.endpoint with credentials', { s3: { endpoint: 'http://key:secret@minio:9000' } },
    's3.endpoint: "http://key:secret@minio:9000" must not contain credentials'],
  ['s3.endpoint undefined variable', { s3: { endpoint: 'http://${S3_HOST}:9000' } },
    's3.endpoint: undefined environment variable ${S3_HOST} in "http://${S3_HOST}:9000"'],
  ['s3.endpoint a number', { s3: { endpoint: 9000 } }, 's3.endpoint: 9000 is not a URL string'],
  ['s3.force_path_style a string', { s3: { force_path_style: 'true' } },
    's3.force_path_style: "true" is not a boolean (write true or false, without quotes)'],
  ['s3.storage_class unknown', { s3: { storage_class: 'COLD' } },
    's3.storage_class: "COLD" must be one of "STANDARD", "STANDARD_IA", "ONEZONE_IA", "INTELLIGENT_TIERING", "GLACIER", "GLACIER_IR", "DEEP_ARCHIVE", "REDUCED_REDUNDANCY"'],
  ['s3.server_side_encryption unknown', { s3: { server_side_encryption: 'aes' } },
    's3.server_side_encryption: "aes" must be one of "AES256", "aws:kms"'],
  ['s3.kms_key_id without aws:kms', { s3: { server_side_encryption: 'AES256', kms_key_id: 'alias/logs' } },
    's3.kms_key_id: "alias/logs" is only allowed with server_side_encryption: aws:kms'],
  ['s3 misspelt key', { s3: { endpoint_url: 'http://x' } }, 's3.endpoint_url: unknown key (did you mean "endpoint"?)'],

  // schedule
  ['upload missing', without('upload'), 'upload: is required'],
  ['upload.schedule missing', { upload: { schedule: undefined } }, 'upload.schedule: is required'],
  ['upload.schedule hour 25', schedule('25:00'), 'upload.schedule: "25:00" is not a time of day HH:MM'],
  ['upload.schedule an integer', schedule(900),
    'upload.schedule: 900 is neither a time of day HH:MM (write it in quotes, e.g. "15:00") nor a mapping with mode'],
  ['upload.schedule a list', schedule(['15:00']), 'upload.schedule: ["15:00"] is neither a time of day HH:MM nor a mapping with mode'],
  ['upload.schedule with a leading space', schedule(' 09:00'), 'upload.schedule: " 09:00" is not a time of day HH:MM'],
  ['upload.schedule single-digit minute', schedule('9:5'), 'upload.schedule: "9:5" is not a time of day HH:MM'],
  ['upload.schedule.daily_time hour 25', schedule({ mode: 'daily', daily_time: '25:00' }),
    'upload.schedule.daily_time: "25:00" is not a time of day HH:MM'],
  ['upload.schedule.daily_time missing', schedule({ mode: 'daily' }), 'upload.schedule.daily_time: is required when mode is "daily"'],
  ['upload.schedule.mode missing', schedule({ daily_time: '15:00' }), 'upload.schedule.mode: is required'],
  ['upload.schedule.mode unknown', schedule({ mode: 'weekly' }), 'upload.schedule.mode: "weekly" must be one of "daily", "interval"'],
  ['upload.schedule interval of zero', schedule({ mode: 'interval', interval_hours: 0, interval_minutes: 0 }),
    'upload.schedule: interval_hours and interval_minutes are both 0; at least one must be > 0'],
  ['upload.schedule interval omitted entirely', schedule({ mode: 'interval' }),
    'upload.schedule: interval_hours and interval_minutes are both 0; at least one must be > 0'],
  ['upload.schedule interval below 5 minutes', schedule({ mode: 'interval', interval_minutes: 4 }),
    'upload.schedule: an interval of 4 minutes (interval_hours 0, interval_minutes 4) is out of range 5..1440 minutes'],
  ['upload.schedule interval above 24 hours', schedule({ mode: 'interval', interval_hours: 24, interval_minutes: 1 }),
    'upload.schedule: an interval of 1441 minutes (interval_hours 24, interval_minutes 1) is out of range 5..1440 minutes'],
  ['upload.schedule negative interval', schedule({ mode: 'interval', interval_hours: -1, interval_minutes: 30 }),
    'upload.schedule.interval_hours: -1 must be >= 0'],
  ['upload.schedule interval as a string', schedule({ mode: 'interval', interval_hours: '2' }),
    'upload.schedule.interval_hours: "2" is a string, but a number was expected (remove the quotes)'],
  ['upload.schedule.time (the reference docs\' name)', schedule({ mode: 'daily', daily_time: '02:00', time: '02:00' }),
    'upload.schedule.time: unknown key (did you mean "daily_time"?)'],

  // other upload keys
  ['upload.file_stable_seconds quoted', up({ file_stable_seconds: '5' }),
    'upload.file_stable_seconds: "5" is a string, but a number was expected (remove the quotes)'],
  ['upload.file_stable_seconds a word', up({ file_stable_seconds: 'soon' }), 'upload.file_stable_seconds: "soon" is not a number'],
  ['upload.file_stable_seconds true', up({ file_stable_seconds: true }), 'upload.file_stable_seconds: true is not a number'],
  ['upload.file_stable_seconds negative', up({ file_stable_seconds: -1 }), 'upload.file_stable_seconds: -1 must be >= 0'],
  ['upload.file_stable_seconds null', up({ file_stable_seconds: null }), 'upload.file_stable_seconds: null is not a number'],
  ['upload.file_stable_seconds infinite', 'vehicle_id: v\nlog_directories: [/logs]\ns3: {bucket: tvm-logs, region: r}\nupload: {schedule: "15:00", file_stable_seconds: .inf}\ndisk: {reserved_gb: 1}\n',
    'upload.file_stable_seconds: Infinity is not a finite number'],
  ['upload misspelt key', up({ file_stabel_seconds: 5 }), 'upload.file_stabel_seconds: unknown key (did you mean "file_stable_seconds"?)'],
  ['upload.operational_hours enabled without times', up({ operational_hours: { enabled: true } }),
    ['upload.operational_hours.start: is required when enabled is true', 'upload.operational_hours.end: is required when enabled is true']],
  ['upload.operational_hours start equals end', up({ operational_hours: { enabled: true, start: '09:00', end: '9:00' } }),
    'upload.operational_hours: start and end are both "09:00", an empty window (set enabled: false to upload at any time)'],
  ['upload.operational_hours enabled "yes"', up({ operational_hours: { enabled: 'yes' } }),
    'upload.operational_hours.enabled: "yes" is not a boolean (write true or false, without quotes)'],
  ['upload.operational_hours bad end', up({ operational_hours: { enabled: true, start: '09:00', end: '18:00 ' } }),
    'upload.operational_hours.end: "18:00 " is not a time of day HH:MM'],
  ['upload.batch_upload.enabled a number', up({ batch_upload: { enabled: 1 } }),
    'upload.batch_upload.enabled: 1 is not a boolean (write true or false, without quotes)'],
  ['upload.directory_configs not a list', up({ directory_configs: 'ros' }), 'upload.directory_configs: "ros" is not a list'],
  ['upload.upload_on_start "no"', up({ upload_on_start: 'no' }),
    'upload.upload_on_start: "no" is not a boolean (write true or false, without quotes)'],
  ['upload.queue_file a number', up({ queue_file: 5 }), 'upload.queue_file: 5 is not a path string'],
  ['upload.scan_existing_files.max_age_days negative', up({ scan_existing_files: { max_age_days: -3 } }),
    'upload.scan_existing_files.max_age_days: -3 must be >= 0'],
  ['upload.processed_files_registry.retention_days zero', up({ processed_files_registry: { retention_days: 0 } }),
    'upload.processed_files_registry.retention_days: 0 must be > 0'],
  ['upload.concurrency zero', up({ concurrency: 0 }), 'upload.concurrency: 0 is out of range 1..64'],
  ['upload.concurrency fractional', up({ concurrency: 2.5 }), 'upload.concurrency: 2.5 is not a whole number'],
  ['upload.part_size_mb below the S3 minimum', up({ part_size_mb: 4 }), 'upload.part_size_mb: 4 is out of range 5..5120'],
  ['upload.part_concurrency too high', up({ part_concurrency: 17 }), 'upload.part_concurrency: 17 is out of range 1..16'],
  ['upload.workers zero', up({ workers: 0 }), 'upload.workers: 0 is out of range 1..64'],
  ['upload.rescan_interval_seconds below 10', up({ rescan_interval_seconds: 5 }),
    'upload.rescan_interval_seconds: 5 must be 0 (off) or in 10..86400'],
  ['upload.compression.codec unknown', up({ compression: { codec: 'brotli' } }),
    'upload.compression.codec: "brotli" must be one of "gzip", "zstd", "none"'],
  ['upload.compression.level out of range for gzip', up({ compression: { level: 15 } }),
    'upload.compression.level: 15 is out of range for codec "gzip" (1..9)'],
  ['upload.compression.level out of range for zstd', up({ compression: { codec: 'zstd', level: 20 } }),
    'upload.compression.level: 20 is out of range for codec "zstd" (1..19)'],
  ['upload.compression.level fractional', up({ compression: { level: 5.5 } }), 'upload.compression.level: 5.5 is not a whole number'],
  ['upload.compression.skip_extensions without a dot', up({ compression: { skip_extensions: ['.bag', 'mcap'] } }),
    'upload.compression.skip_extensions[1]: "mcap" must start with a dot, e.g. ".mcap"'],
  ['upload.compression.skip_extensions double extension', up({ compression: { skip_extensions: ['.tar.gz'] } }),
    'upload.compression.skip_extensions[0]: ".tar.gz" is not a file extension like ".mcap"'],
  ['upload.compression.skip_extensions a string', up({ compression: { skip_extensions: '.mcap' } }),
    'upload.compression.skip_extensions: ".mcap" is not a list'],
  ['upload.compression.skip_extensions item a number', up({ compression: { skip_extensions: [3] } }),
    'upload.compression.skip_extensions[0]: 3 is not a string'],
  ['upload.retry.max_attempts zero', up({ retry: { max_attempts: 0 } }), 'upload.retry.max_attempts: 0 is out of range 1..1000'],
  ['upload.retry.base_seconds zero', up({ retry: { base_seconds: 0 } }), 'upload.retry.base_seconds: 0 must be > 0'],
  ['upload.retry.max_seconds too high', up({ retry: { max_seconds: 100000 } }), 'upload.retry.max_seconds: 100000 must be <= 86400'],
  ['upload.retry.max_seconds below base', up({ retry: { base_seconds: 30, max_seconds: 10 } }),
    'upload.retry.max_seconds: 10 must be >= base_seconds (30)'],
  ['upload.bandwidth.max_mbps zero', up({ bandwidth: { max_mbps: 0 } }), 'upload.bandwidth.max_mbps: 0 must be > 0'],
  ['upload.bandwidth.max_mbps quoted', up({ bandwidth: { max_mbps: '10' } }),
    'upload.bandwidth.max_mbps: "10" is a string, but a number was expected (remove the quotes)'],

  // deletion
  ['deletion.after_upload.keep_days negative', { deletion: { after_upload: { keep_days: -1 } } },
    'deletion.after_upload.keep_days: -1 must be >= 0'],
  ['deletion.age_based.schedule_time integer', { deletion: { age_based: { schedule_time: 200 } } },
    'deletion.age_based.schedule_time: 200 is not a time of day HH:MM (write it in quotes, e.g. "15:00")'],
  ['deletion.age_based.schedule_time with am', { deletion: { age_based: { schedule_time: '2:00am' } } },
    'deletion.age_based.schedule_time: "2:00am" is not a time of day HH:MM'],
  ['deletion.age_based.schedule_time a list', { deletion: { age_based: { schedule_time: ['02:00'] } } },
    'deletion.age_based.schedule_time: ["02:00"] is not a time of day HH:MM'],
  ['deletion.emergency.enabled quoted', { deletion: { emergency: { enabled: 'false' } } },
    'deletion.emergency.enabled: "false" is not a boolean (write true or false, without quotes)'],
  ['deletion misspelt section', { deletion: { age_base: {} } }, 'deletion.age_base: unknown key (did you mean "age_based"?)'],

  // disk
  ['disk missing', without('disk'), 'disk: is required'],
  ['disk.reserved_gb missing', { disk: { reserved_gb: undefined } }, 'disk.reserved_gb: is required'],
  ['disk.reserved_gb zero', { disk: { reserved_gb: 0 } }, 'disk.reserved_gb: 0 must be > 0'],
  ['disk.reserved_gb true', { disk: { reserved_gb: true } }, 'disk.reserved_gb: true is not a number'],
  ['disk.warning_threshold 1', { disk: { warning_threshold: 1 } }, 'disk.warning_threshold: 1 must be strictly between 0 and 1'],
  ['disk.critical_threshold 0', { disk: { critical_threshold: 0 } }, 'disk.critical_threshold: 0 must be strictly between 0 and 1'],
  ['disk.warning_threshold quoted', { disk: { warning_threshold: '0.9' } },
    'disk.warning_threshold: "0.9" is a string, but a number was expected (remove the quotes)'],
  ['disk warning not below critical', { disk: { warning_threshold: 0.95, critical_threshold: 0.9 } },
    'disk.warning_threshold: 0.95 must be below critical_threshold (0.9)'],

  // monitoring, lifecycle, state
  ['monitoring.cloudwatch_enabled quoted', { monitoring: { cloudwatch_enabled: 'true' } },
    'monitoring.cloudwatch_enabled: "true" is not a boolean (write true or false, without quotes)'],
  ['monitoring.publish_interval_seconds too short', { monitoring: { publish_interval_seconds: 5 } },
    'monitoring.publish_interval_seconds: 5 is out of range 10..86400'],
  ['monitoring.namespace reserved', { monitoring: { namespace: 'AWS/Upload' } },
    'monitoring.namespace: "AWS/Upload" is not a valid CloudWatch namespace ("AWS/" is reserved for AWS services)'],
  ['monitoring.http.listen without a port', { monitoring: { http: { listen: 'localhost' } } },
    'monitoring.http.listen: "localhost" is not host:port (e.g. "127.0.0.1:9464")'],
  ['monitoring.http.enabled a number', { monitoring: { http: { enabled: 1 } } },
    'monitoring.http.enabled: 1 is not a boolean (write true or false, without quotes)'],
  ['s3_lifecycle.retention_days zero', { s3_lifecycle: { retention_days: 0 } }, 's3_lifecycle.retention_days: 0 must be > 0'],
  ['state_dir undefined variable', { state_dir: '$STATE/tvm' }, 'state_dir: undefined environment variable $STATE in "$STATE/tvm"'],
  ['state_dir malformed variable', { state_dir: '${STATE' },
    'state_dir: "${STATE" has a malformed ${…} reference (write ${NAME} with letters, digits and _, or $$ for a literal $)'],
  ['state_dir empty after expansion', { state_dir: '$EMPTY' }, 'state_dir: "$EMPTY" is empty after expansion'],
];

describe('malformed configurations (exact problem lines)', () => {
  for (const [name, input, expected] of rows) {
    it(`rejects ${name}`, () => {
      const text = typeof input === 'string' ? input : yamlOf(withPatch(input));
      expect(problemsOf(text)).to.deep.equal(Array.isArray(expected) ? expected : [expected]);
    });
  }

  it('reports every problem at once, across sections, in file order', () => {
    const text = yamlOf(withPatch({
      vehicle_id: 'a/b',
      log_directories: [{ path: '/logs', source: 'x-y' }],
      upload: { schedule: { mode: 'daily', daily_time: '25:00' }, concurrency: 0 },
      disk: { reserved_gb: -1, warning_threshold: 0.99 },
      extra: true,
    }));
    expect(problemsOf(text)).to.deep.equal([
      'vehicle_id: "a/b" may contain only letters, digits, ".", "_" and "-" (it becomes a level of every S3 key)',
      'log_directories[0].source: "x-y" may contain only letters, digits and "_"',
      'upload.schedule.daily_time: "25:00" is not a time of day HH:MM',
      'upload.concurrency: 0 is out of range 1..64',
      'disk.reserved_gb: -1 must be > 0',
      'disk.warning_threshold: 0.99 must be below critical_threshold (0.95)',
      'extra: unknown key',
    ]);
  });
});
