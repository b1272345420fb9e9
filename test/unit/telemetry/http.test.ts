import { expect } from 'chai';
import { Registry, Counter } from 'prom-client';
import { startHttpEndpoint, parseListen } from '../../../src/telemetry/http.js';
import { TvmError } from '../../../src/errors.js';

describe('telemetry/http (monitoring.http endpoint)', () => {
  it('serves /metrics, /healthz and /status, and 404/405 otherwise', async () => {
    const registry = new Registry();
    new Counter({ name: 'tvm_test_total', help: 'x', registers: [registry] }).inc(3);
    const ep = await startHttpEndpoint('127.0.0.1:0', registry, { status: () => ({ queued: 7 }) });
    try {
      const metrics = await fetch(`${ep.url}/metrics`);
      expect(metrics.status).to.equal(200);
      expect(await metrics.text()).to.include('tvm_test_total 3');
      const health = await fetch(`${ep.url}/healthz`);
      expect(health.status).to.equal(200);
      expect(await health.json()).to.deep.equal({ status: 'ok' });
      expect(await (await fetch(`${ep.url}/status`)).json()).to.deep.equal({ queued: 7 });
      expect((await fetch(`${ep.url}/nope`)).status).to.equal(404);
      expect((await fetch(`${ep.url}/metrics`, { method: 'POST', body: 'x' })).status).to.equal(405);
    } finally {
      await ep.close();
    }
  });

  it('answers /healthz with 503 and the reasons as JSON while the source is unhealthy', async () => {
    const reasons = [{ key: 'state-store', message: 'the state store is not writable: disk full', since: 5 }];
    const ep = await startHttpEndpoint('127.0.0.1:0', new Registry(), { status: () => ({}), health: () => reasons });
    try {
      const res = await fetch(`${ep.url}/healthz`);
      expect(res.status).to.equal(503);
      expect(await res.json()).to.deep.equal({ status: 'unhealthy', reasons });
    } finally {
      await ep.close();
    }
  });

  it('serves an asynchronous status report, and 503 with the message when it cannot be built', async () => {
    let fail = false;
    const ep = await startHttpEndpoint('127.0.0.1:0', new Registry(), {
      status: async () => {
        if (fail) throw new Error('state database is locked');
        return { queued: 2 };
      },
    });
    try {
      expect(await (await fetch(`${ep.url}/status`)).json()).to.deep.equal({ queued: 2 });
      fail = true;
      const res = await fetch(`${ep.url}/status`);
      expect(res.status).to.equal(503);
      expect(await res.json()).to.deep.equal({ error: 'state database is locked' });
    } finally {
      await ep.close();
    }
  });

  it('serves the self-contained status page at /, with no external assets', async () => {
    const ep = await startHttpEndpoint('127.0.0.1:0', new Registry(), { status: () => ({}) });
    try {
      const res = await fetch(`${ep.url}/`);
      expect(res.status).to.equal(200);
      expect(res.headers.get('content-type')).to.include('text/html');
      const html = await res.text();
      expect(html).to.include("fetch('/status'");
      expect(html).not.to.match(/\s(src|href)=/);
    } finally {
      await ep.close();
    }
  });

  it('reports a port in use as a configuration error naming the key', async () => {
    const registry = new Registry();
    const first = await startHttpEndpoint('127.0.0.1:0', registry, { status: () => ({}) });
    const port = new URL(first.url).port;
    try {
      await startHttpEndpoint(`127.0.0.1:${port}`, registry, { status: () => ({}) });
      expect.fail('should not listen twice');
    } catch (err) {
      expect(err).to.be.instanceOf(TvmError);
      expect((err as TvmError).message).to.include('monitoring.http.listen');
      expect((err as TvmError).hint).to.include('another process');
    } finally {
      await first.close();
    }
  });

  it('parses host:port including IPv6', () => {
    expect(parseListen('127.0.0.1:9464')).to.deep.equal({ host: '127.0.0.1', port: 9464 });
    expect(parseListen('[::1]:9464')).to.deep.equal({ host: '::1', port: 9464 });
    expect(() => parseListen('nope')).to.throw(TvmError);
  });
});
