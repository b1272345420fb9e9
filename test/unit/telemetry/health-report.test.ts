import { expect } from 'chai';
import { Registry } from 'prom-client';
import { Health } from '../../../src/telemetry/health.js';
import { healthzAnswer, reportHealth } from '../../../src/telemetry/health-report.js';

describe('telemetry/health-report', () => {
  it('logs each transition once and mirrors the reasons in the degraded and healthy gauges', async () => {
    const health = new Health(() => 1000);
    const registry = new Registry();
    const lines: Array<[string, Record<string, unknown>, string]> = [];
    const logger = {
      warn: (o: object, m: string) => void lines.push(['warn', o as Record<string, unknown>, m]),
      info: (o: object, m: string) => void lines.push(['info', o as Record<string, unknown>, m]),
    };
    const stop = reportHealth(health, logger as never, registry);
    expect(await registry.getSingleMetricAsString('tvm_upload_healthy')).to.match(/tvm_upload_healthy 1/);
    health.degrade('intake', 'state database full');
    health.degrade('intake', 'state database full');
    const text = await registry.metrics();
    expect(text).to.match(/tvm_upload_degraded\{reason="intake"\} 1/).and.match(/tvm_upload_healthy 0/);
    health.recover('intake');
    const after = await registry.metrics();
    expect(after).not.to.match(/reason="intake"/);
    expect(after).to.match(/tvm_upload_healthy 1/);
    expect(lines.map(([l, , m]) => [l, m.split(':')[0]])).to.deep.equal([['warn', 'degraded'], ['info', 'recovered']]);
    stop();
  });

  it('answers /healthz 200 ok, or 503 with every reason as JSON', () => {
    const health = new Health(() => Date.UTC(2026, 11, 7));
    expect(healthzAnswer(health)).to.deep.equal({ code: 200, type: 'text/plain', body: 'ok\n' });
    expect(healthzAnswer(undefined).code).to.equal(200);
    health.degrade('dispatch', 'queue unreadable');
    const a = healthzAnswer(health);
    expect(a.code).to.equal(503);
    expect(JSON.parse(a.body)).to.deep.equal({ status: 'degraded', reasons: [{ reason: 'dispatch', message: 'queue unreadable', since: '2026-12-07T00:00:00.000Z' }] });
  });
});
