import { expect } from 'chai';
import { summarizeConfig } from '../../../src/config/summary.js';
import { parse, problemsOf } from './helpers.js';

describe('config: upload.links, upload.bandwidth.schedule, upload.stall_timeout_seconds', () => {
  it('leaves links and schedule out and stalls at 120 s when nothing is written', () => {
    const c = parse({});
    expect(c.upload).to.not.have.property('links');
    expect(c.upload.bandwidth).to.not.have.property('schedule');
    expect(c.upload.stallTimeoutSeconds).to.equal(120);
  });

  it('resolves a fleet policy: defaults, megabits or rclone caps, MB budget', () => {
    const c = parse({
      upload: {
        stall_timeout_seconds: 0,
        links: {
          interfaces: { 'tun*': 'cellular', 'br-depot': 'wifi' },
          policy: { cellular: { min_priority: 'high', bandwidth: 2 }, wired: { bandwidth: '4M' } },
          cellular_budget_mb_per_month: 500,
        },
      },
    });
    expect(c.upload.stallTimeoutSeconds).to.equal(0);
    expect(c.upload.links).to.deep.equal({
      routeFile: '/proc/net/route',
      probeCommand: null,
      probeIntervalSeconds: 10,
      interfaces: [{ pattern: 'tun*', link: 'cellular' }, { pattern: 'br-depot', link: 'wifi' }],
      policy: {
        wifi: { minPriority: 'low', bytesPerSecond: null },
        cellular: { minPriority: 'high', bytesPerSecond: 250_000 },
        wired: { minPriority: 'low', bytesPerSecond: 4 * 1024 * 1024 },
      },
      cellularBudgetBytesPerMonth: 500e6,
    });
  });

  it('turns an empty links: heading into probing with every default', () => {
    expect(parse('vehicle_id: v\nlog_directories: [{path: /l, source: l}]\ns3: {bucket: tvm-logs, region: r}\nupload: {schedule: "15:00", links: }\ndisk: {reserved_gb: 1}\n').upload.links)
      .to.deep.include({ routeFile: '/proc/net/route', probeIntervalSeconds: 10, cellularBudgetBytesPerMonth: null });
  });

  it('keeps the timetable entries in order with their rates', () => {
    const s = parse({ upload: { bandwidth: { schedule: ['08:00,512k', '23:00,off'] } } }).upload.bandwidth.schedule!;
    expect(s.map((e) => [e.minute, e.bytesPerSecond])).to.deep.equal([[480, 512 * 1024], [1380, null]]);
  });

  it('names each wrong key with what was expected', () => {
    const problems = problemsOf({
      upload: {
        stall_timeout_seconds: 2,
        bandwidth: { schedule: ['8am,1M', '09:00,fast'] },
        links: {
          probe_interval_seconds: 0,
          interfaces: { 'wl*': 'satellite' },
          policy: { cellular: { min_priority: 'urgent', bandwidth: 0 }, lte: {} },
          cellular_budget_mb_per_month: -1,
        },
      },
    }).join('\n');
    for (const key of [
      'upload.stall_timeout_seconds', 'upload.bandwidth.schedule[0]', 'upload.bandwidth.schedule[1]',
      'upload.links.probe_interval_seconds', 'upload.links.interfaces', 'upload.links.policy.cellular.min_priority',
      'upload.links.policy.cellular.bandwidth', 'upload.links.policy', 'upload.links.cellular_budget_mb_per_month',
    ]) expect(problems).to.contain(key);
    expect(problems).to.contain('lte');
  });

  it('refuses a timetable mixing weekday and daily entries', () => {
    expect(problemsOf({ upload: { bandwidth: { schedule: ['08:00,1M', 'Mon-09:00,2M'] } } }).join('\n')).to.contain('upload.bandwidth.schedule').and.contain('mixes');
  });

  it('resolves upload.markers with default windows and names a bad duration', () => {
    expect(parse({ upload: { markers: { pattern: '*.incident' } } }).upload.markers).to.deep.equal({ pattern: '*.incident', beforeMs: 600_000, afterMs: 300_000 });
    expect(parse({}).upload).to.not.have.property('markers');
    expect(problemsOf({ upload: { markers: { pattern: '*.incident', before: 'ten' } } }).join('\n')).to.contain('upload.markers.before');
  });
});

describe('config summary of the link keys', () => {
  it('lists the link policy, timetable, stall timeout and marker files only when set', async () => {
    expect(summarizeConfig(parse({}))).to.not.contain('link probe').and.not.contain('stall timeout');
    const text = summarizeConfig(parse({
      upload: {
        stall_timeout_seconds: 0,
        bandwidth: { schedule: ['08:00,512k', '23:00,off'] },
        links: { policy: { cellular: { min_priority: 'high', bandwidth: 2 } }, cellular_budget_mb_per_month: 500 },
        markers: { pattern: '*.incident' },
      },
    }));
    expect(text).to.contain('08:00,512k 23:00,off').and.contain('stall timeout').and.contain('off');
    expect(text).to.contain('/proc/net/route, every 10 s').and.contain('cellular: high and above, 250000 bytes/s').and.contain('cellular budget 500 MB');
    expect(text).to.contain('*.incident (window −600 s … +300 s)');
  });
});
