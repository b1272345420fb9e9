/**
 * The status page (`/`) in a real headless Chromium (Debian's `chromium` package) driven by
 * playwright-core: it loads, shows the queue count that `status --json` reports, and updates by
 * itself after an upload; with upload.links it shows the link, budget, bandwidth and queue by
 * priority, and follows a change of the default route. Skipped with a printed reason when Chromium is absent, unless
 * TVM_REQUIRE_TOOLS=1 (CI), where its absence fails.
 */
import { expect } from 'chai';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { runCli } from '../../../src/cli/program.js';
import { startS3rver, type S3TestServer } from '../../support/s3-servers.js';
import { heldConfigYaml } from '../../support/daemon-config.js';
import { startDaemonWithEndpoint } from '../../support/daemon-endpoint.js';

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

  const startDaemon = (yaml: string) => startDaemonWithEndpoint(yaml, { s3Credentials: server.credentials });

  it('loads, shows the queue count status --json reports, and updates after an upload', async () => {
    const yaml = heldConfigYaml({ root, endpoint: server.endpoint, bucket: 'tvm-page', vehicleId: 'page-test' });
    writeFileSync(join(root, 'config.yaml'), yaml);
    mkdirSync(join(root, 'logs'), { recursive: true });
    // The third name is hostile markup: the page must show it as text, never as an element.
    for (const n of ['a.log', 'b.log', HOSTILE]) writeFileSync(join(root, 'logs', n), 'held outside operational hours\n');
    const { daemon, urls } = await startDaemon(yaml);
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
      // The held config deletes nothing: the deletion line has the dry run's figures and no pass yet… or the start pass.
      await page.waitForFunction(`document.getElementById('deletion')?.textContent?.startsWith('deletable now 0 files, 0 B; last pass ')`, undefined, { timeout: 30_000 });

      await daemon.uploadNow();
      await page.waitForFunction(`document.getElementById('queued')?.textContent === '0' && document.getElementById('uploads24')?.textContent === '3'`, undefined, { timeout: 30_000 });
    } finally {
      await page.close();
      await daemon.close(5000);
    }
  });

  it('shows the link, its last probe, the cellular budget, the bandwidth in force and the queue by priority, and follows a link change', async () => {
    const routeFile = join(root, 'route');
    const route = (iface: string) => `Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n${iface}\t00000000\t0101A8C0\t0003\t0\t0\t600\t00000000\t0\t0\t0\n`;
    writeFileSync(routeFile, route('wlan0'));
    const links = { route_file: routeFile, probe_interval_seconds: 1, policy: { cellular: { min_priority: 'high', bandwidth: 2 } }, cellular_budget_mb_per_month: 500 };
    const yaml = heldConfigYaml({ root, endpoint: server.endpoint, bucket: 'tvm-page', vehicleId: 'page-links', overrides: { upload: { links } } });
    mkdirSync(join(root, 'logs'), { recursive: true });
    for (const n of ['a.log', 'b.log']) writeFileSync(join(root, 'logs', n), 'held outside operational hours\n');
    const { daemon, urls } = await startDaemon(yaml);
    const page = await browser.newPage();
    try {
      await page.goto(`${urls[0]}/`);
      const text = (id: string) => `document.getElementById('${id}')?.textContent`;
      await page.waitForFunction(`${text('link')} === 'wifi' && ${text('priorities')}?.includes('normal') && ${text('priorities')}?.includes('2')`, undefined, { timeout: 30_000 });
      expect(await page.isVisible('#linkpolicy')).to.equal(true);
      expect(await page.textContent('#linkIface')).to.equal('wlan0');
      expect(await page.textContent('#restriction')).to.equal('every priority');
      expect(await page.textContent('#bandwidth')).to.equal('unlimited');
      expect(await page.textContent('#cellUsed')).to.equal('0 B');
      expect(await page.textContent('#cellLimit')).to.equal('of 476.8 MiB');
      expect(await page.textContent('#cellLevel')).to.equal('ok');
      expect(await page.textContent('#probe')).to.match(/^\d{4}-\d\d-\d\dT/);
      const rows = await page.evaluate(`Array.from(document.querySelectorAll('#priorities tr')).map((tr) => Array.from(tr.children).map((c) => c.textContent))`);
      expect(rows).to.deep.equal([['priority', 'queued files', 'queued bytes'], ['high', '0', '0 B'], ['normal', '2', '62 B'], ['low', '0', '0 B']]);

      // The default route moves to LTE: the page follows within a probe interval and a refresh.
      writeFileSync(routeFile, route('wwan0'));
      await page.waitForFunction(`${text('link')} === 'cellular'`, undefined, { timeout: 30_000 });
      await page.waitForFunction(`${text('bandwidth')} === '2.00 Mbit/s'`, undefined, { timeout: 30_000 });
      expect(await page.textContent('#linkIface')).to.equal('wwan0');
      expect(await page.textContent('#restriction')).to.equal('cellular policy: high and above');
    } finally {
      await page.close();
      await daemon.close(5000);
    }
  });
});
