import { expect } from 'chai';
import perfHooks from 'node:perf_hooks';
import { Registry } from 'prom-client';
import sinon from 'sinon';
import { EVENT_LOOP_SAMPLE_MS, registerStatusGauges } from '../../../src/telemetry/status-gauges.js';

describe('telemetry/status-gauges', () => {
  afterEach(() => sinon.restore());

  const figures = {
    queue: () => ({ queued: 2, inFlight: 1, retrying: 0, failed: 0, uploaded: 5, bytesPending: 300, oldestPendingAt: null }) as never,
    disk: async () => [],
    degraded: () => [],
  };

  it('times the event loop once a second, not every 10 ms: an idle daemon is not woken 100 times a second', () => {
    const monitor = sinon.spy(perfHooks, 'monitorEventLoopDelay');
    registerStatusGauges(new Registry(), figures);
    expect(monitor.callCount).to.equal(1);
    expect(monitor.firstCall.args[0]).to.deep.equal({ resolution: EVENT_LOOP_SAMPLE_MS });
    expect(EVENT_LOOP_SAMPLE_MS).to.be.at.least(1000);
    monitor.returnValues[0]!.disable();
  });

  it('serves the queue figures and the process metrics under the tvm_upload_ prefix', async () => {
    const registry = new Registry();
    registerStatusGauges(registry, figures);
    const text = await registry.metrics();
    expect(text).to.match(/^tvm_upload_bytes_pending 300$/m);
    expect(text).to.match(/^tvm_upload_nodejs_eventloop_lag_p99_seconds /m);
    expect(text).to.match(/^tvm_upload_process_cpu_seconds_total /m);
  });
});
