/**
 * The status page (`/`) in a real headless Chromium (Debian's `chromium` package) driven by
 * playwright-core: it loads, shows the queue count that `status --json` reports, and updates by
 * itself after an upload. Skipped with a printed reason when Chromium is absent, unless
 * TVM_REQUIRE_TOOLS=1 (CI), where its absence fails.
 */
import { expect } from 'chai';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { parseConfig } from '../../../src/config/load.js';
import { Daemon } from '../../../src/daemon.js';
import { silentLogger } from '../../../src/telemetry/logger.js';
import { runCli } from '../../../src/cli/program.js';
import { startS3rver, type S3TestServer } from '../../support/s3-servers.js';
import { heldConfigYaml } from '../../support/held-config.js';

const CHROMIUM = '/usr/bin/chromium';
const HOSTILE = '<img src=x onerror=alert(1)>.log';
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

describe('status page in headless Chromium', function () {
  this.timeout(120_000);
  let server: S3TestServer;
  let browser: Browser;
  let root: string;

  before(async function () {
    if (!existsSync(CHROMIUM)) {
      if (process.env.TVM_REQUIRE_TOOLS === '1') throw new Error(`${CHROMIUM} is missing (apt-get install chromium) and TVM_REQUIRE_TOOLS=1`);
      console.log(`      skipped: ${CHROMIUM} not installed (apt-get install chromium)`);
      this.skip();
    }
    browser = await chromium.launch({ executablePath: CHROMIUM, args: FLAGS, headless: true });
    server = await startS3rver();
    await server.bucket('tvm-page');
  });
  after(async () => {
    await browser?.close();
    await server?.stop();
  });
  beforeEach(() => (root = mkdtempSync(join(tmpdir(), 'tvm-page-'))));
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('loads, shows the queue count status --json reports, and updates after an upload', async () => {
    const yaml = heldConfigYaml({ vehicleId: 'page-test', dir: root, bucket: 'tvm-page', endpoint: server.endpoint });
    writeFileSync(join(root, 'config.yaml'), yaml);
    mkdirSync(join(root, 'logs'), { recursive: true });
    // The third name is hostile markup: the page must show it as text, never as an element.
    for (const n of ['a.log', 'b.log', HOSTILE]) writeFileSync(join(root, 'logs', n), 'held outside operational hours\n');
    const urls: string[] = [];
    const logger = silentLogger();
    const info = logger.info.bind(logger);
    logger.info = ((obj: unknown, msg?: string) => {
      if (obj && typeof obj === 'object' && 'url' in obj) urls.push(String((obj as { url: string }).url));
      return info(obj as object, msg);
    }) as typeof logger.info;
    const daemon = await Daemon.start({ config: parseConfig(yaml, { env: {} }), logger, s3Credentials: server.credentials });
    const page = await browser.newPage();
    try {
      for (let i = 0; i < 200 && daemon.status().queued < 3; i++) await new Promise((r) => setTimeout(r, 50));
      const out: string[] = [];
      expect(await runCli(['status', '--config', join(root, 'config.yaml'), '--json'], { out: (t) => void out.push(t), err: () => undefined, env: {} })).to.equal(0);
      const reported = (JSON.parse(out.join('')) as { queued: number }).queued;
      expect(reported).to.equal(3);

      await page.goto(`${urls[0]}/`);
      expect(await page.title()).to.equal('tvm-upload status');
      // Expressions are evaluated in the page (this file is type-checked without the DOM library).
      await page.waitForFunction(`document.getElementById('queued')?.textContent === '${reported}'`, undefined, { timeout: 30_000 });
      expect(await page.textContent('#vehicle')).to.equal('page-test');
      expect(await page.textContent('#health')).to.equal('ok');
      const queueText = (await page.textContent('#queue')) ?? '';
      for (const n of ['a.log', 'b.log', HOSTILE]) expect(queueText).to.include(join(root, 'logs', n));
      expect(await page.$('img')).to.equal(null);

      await daemon.uploadNow();
      await page.waitForFunction(`document.getElementById('queued')?.textContent === '0' && document.getElementById('uploads24')?.textContent === '3'`, undefined, { timeout: 30_000 });
    } finally {
      await page.close();
      await daemon.close(5000);
    }
  });
});
