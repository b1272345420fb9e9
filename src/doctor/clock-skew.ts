/**
 * Doctor step: this machine's clock against the S3 endpoint's `Date` header (recorded by
 * server-date.ts during the bucket steps). The offset is measured against the midpoint of the
 * request, so it is only as precise as the header's whole seconds plus half the round trip.
 * More than 5 minutes fails: AWS refuses signatures 15 minutes off, and object keys carry the
 * local date, so a vehicle far off files its logs under the wrong day well before that.
 */
import { fail, pass, type DoctorStep } from './step.js';

export const MAX_SKEW_MS = 5 * 60_000;

export const clockSkewStep: DoctorStep = {
  id: 'clock-skew',
  title: 'clock skew',
  needs: ['credentials'],
   
  async run(ctx) {
    const d = ctx.serverDates.last();
    if (d === null) {
      return fail(`no answer from ${ctx.s3Where} carried a Date header to compare with`, 'fix the S3 steps above first (the endpoint must answer), then run doctor again');
    }
    const local = (d.sentMs + d.receivedMs) / 2;
    const skewMs = local - d.serverMs;
    // The header has whole seconds and the answer took time: below that, "in sync" is all we know.
    const precisionMs = 1000 + (d.receivedMs - d.sentMs) / 2;
    const words = Math.abs(skewMs) <= precisionMs ? 'in sync with' : `${(Math.abs(skewMs) / 1000).toFixed(1)} s ${skewMs > 0 ? 'ahead of' : 'behind'}`;
    const detail = `this clock is ${words} the clock of ${ctx.s3Where}`;
    if (Math.abs(skewMs) > MAX_SKEW_MS) {
      return fail(detail, 'synchronise the clock (systemd-timesyncd, chrony or ntpd; `timedatectl status` shows whether NTP is active)');
    }
    return pass(detail);
  },
};
