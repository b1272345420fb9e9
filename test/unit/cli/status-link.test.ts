import { expect } from 'chai';
import { linkStatusLines, rateText } from '../../../src/cli/status-link.js';
import type { LinkStatusFields } from '../../../src/link/status-fields.js';

const none: LinkStatusFields = { queueByPriority: null, link: null, cellularBudget: null, bandwidth: null };
const at = '2026-12-07T12:00:00.000Z';

describe('cli/status-link: the link policy lines of status', () => {
  it('prints nothing for what is not configured or not known yet', () => {
    expect(linkStatusLines(none, true)).to.deep.equal([]);
  });

  it('prints the queue by priority, the link with its last probe, the budget and the rate in force', () => {
    const lines = linkStatusLines(
      {
        queueByPriority: { high: { files: 2, bytes: 2048 }, normal: { files: 5, bytes: 10 }, low: { files: 0, bytes: 0 } },
        link: { link: 'cellular', iface: 'wwan0', restriction: 'cellular policy: high and above', lastProbeAt: at, lastProbeError: null, reportedAt: at },
        cellularBudget: { month: '2026-12', usedBytes: 850 * 1024 * 1024, limitBytes: 1000 * 1024 * 1024, leftBytes: 150 * 1024 * 1024, level: 'high-only' },
        bandwidth: { bytesPerSecond: 250_000 },
      },
      true,
    );
    expect(lines).to.deep.equal([
      'priority:  high 2 (2.0 KiB), normal 5 (10 B), low 0 (0 B) queued',
      `link:      cellular (wwan0), cellular policy: high and above; probed ${at}`,
      'cellular:  850.0 MiB used in 2026-12 of 1000.0 MiB, 150.0 MiB left (over 80 %: only high over cellular)',
      'bandwidth: 2.00 Mbit/s (244.1 KiB/s)',
    ]);
  });

  it('says when a stopped daemon reported the link, and what the last probe failed with', () => {
    const lines = linkStatusLines(
      {
        ...none,
        link: { link: 'wifi', iface: null, restriction: null, lastProbeAt: null, lastProbeError: 'upload.links.route_file /x: ENOENT', reportedAt: at },
        cellularBudget: { month: '2026-12', usedBytes: 5, limitBytes: null, leftBytes: null, level: 'ok' },
        bandwidth: { bytesPerSecond: null },
      },
      false,
    );
    expect(lines).to.deep.equal([
      `link:      wifi, every priority; not probed yet (daemon not running; as reported at ${at})`,
      'link:      last probe failed (link kept): upload.links.route_file /x: ENOENT',
      'cellular:  5 B used in 2026-12, no budget set (every priority may use cellular)',
      'bandwidth: unlimited (daemon not running: the rate it last applied)',
    ]);
  });

  it('names an exhausted budget', () => {
    const lines = linkStatusLines({ ...none, cellularBudget: { month: '2026-12', usedBytes: 10, limitBytes: 10, leftBytes: 0, level: 'exhausted' } }, true);
    expect(lines).to.deep.equal(['cellular:  10 B used in 2026-12 of 10 B, 0 B left (exhausted: nothing over cellular until the month ends)']);
    expect(rateText(1_000_000)).to.equal('8.00 Mbit/s (976.6 KiB/s)');
  });
});
