/** The status endpoint served by a running daemon (monitoring.http), against s3rver. */
import { expect } from 'chai';
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from '../../../src/config/load.js';
import { Daemon } from '../../../src/daemon.js';
import { Telemetry } from '../../../src/telemetry/events.js';
import { silentLogger } from '../../../src/telemetry/logger.js';
import { startS3rver, type S3TestServer } from '../../support/s3-servers.js';

describe('daemon status endpoint (monitoring.http)', function () {
  this.timeout(60_000);
  let server: S3TestServer;
  let root: string;
  before(async () => {
    server = await startS3rver();
    await server.bucket('tvm-http');
  });
  after(() => server.stop());
  beforeEach(() => (root = mkdtempSync(join(tmpdir(), 'tvm-http-'))));
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('serves metrics that count uploads, and the queue status', async () => {
    const config = parseConfig(
      `vehicle_id: http-test
log_directories: [{path: ${root}/logs, source: ros}]
s3: {bucket: tvm-http, region: us-east-1, endpoint: "${server.endpoint}"}
upload: {schedule: "02:00", file_stable_seconds: 0}
disk: {reserved_gb: 1}
deletion: {after_upload: {enabled: false}, age_based: {enabled: false}}
monitoring: {cloudwatch_enabled: false, http: {enabled: true, listen: "127.0.0.1:0"}}
state_dir: ${root}/state
`,
      { env: {} },
    );
    const telemetry = new Telemetry(silentLogger());
    let uploaded = 0;
    telemetry.on((e) => void (e.type === 'file.uploaded' && uploaded++));
    const lines: string[] = [];
    const logger = silentLogger();
    const origInfo = logger.info.bind(logger);
    logger.info = ((obj: unknown, msg?: string) => {
      if (msg && obj && typeof obj === 'object' && 'url' in obj) lines.push(String((obj as { url: string }).url));
      return origInfo(obj as object, msg);
    }) as typeof logger.info;
    const daemon = await Daemon.start({ config, logger, s3Credentials: server.credentials, telemetry });
    try {
      const url = lines[0]!;
      mkdirSync(join(root, 'logs'), { recursive: true });
      writeFileSync(join(root, 'logs', 'a.log'), 'line\n'.repeat(1000));
      for (let i = 0; i < 400 && uploaded === 0; i++) await new Promise((r) => setTimeout(r, 50));
      const metrics = await (await fetch(`${url}/metrics`)).text();
      expect(metrics).to.match(/tvm_upload_files_uploaded_total\{source="ros",codec="gzip"\} 1/);
      const status = (await (await fetch(`${url}/status`)).json()) as { uploaded: number; queued: number };
      expect(status.uploaded).to.equal(1);
      expect(status.queued).to.equal(0);
    } finally {
      await daemon.close(5000);
    }
  });
});
