/**
 * Reads the endpoint's clock. Every S3 answer, success or error, carries an HTTP `Date` header;
 * a small middleware on the doctor's own S3 client records it with the local times the request
 * left and the answer arrived, so the clock-skew step compares against the midpoint. Requests
 * are signed with the local time, and AWS refuses a signature more than 15 minutes off; object
 * keys are dated with it too.
 */
import type { S3Client } from '@aws-sdk/client-s3';

export interface ServerDate {
  /** The endpoint's Date header, ms since the epoch (whole seconds). */
  readonly serverMs: number;
  readonly sentMs: number;
  readonly receivedMs: number;
}

export interface ServerDates {
  /** The most recent answer's date, or null when no answer carried one. */
  last(): ServerDate | null;
}

/** A recorder fed by hand (tests) or by `recordServerDates`. */
export class ServerDateLog implements ServerDates {
  #last: ServerDate | null = null;

  record(header: unknown, sentMs: number, receivedMs: number): void {
    if (typeof header !== 'string') return;
    const serverMs = Date.parse(header);
    if (Number.isFinite(serverMs)) this.#last = { serverMs, sentMs, receivedMs };
  }

  last(): ServerDate | null {
    return this.#last;
  }
}

interface WithHeaders {
  readonly headers?: Record<string, string | undefined>;
}

/** Adds the recording middleware to `client` (the doctor's own client, never the daemon's). */
export function recordServerDates(client: Pick<S3Client, 'middlewareStack'>, now: () => number): ServerDateLog {
  const log = new ServerDateLog();
  client.middlewareStack.add(
    (next) => async (args) => {
      const sentMs = now();
      try {
        const out = await next(args);
        log.record((out.response as WithHeaders | undefined)?.headers?.date, sentMs, now());
        return out;
      } catch (err) {
        log.record((err as { $response?: WithHeaders } | null)?.$response?.headers?.date, sentMs, now());
        throw err;
      }
    },
    { step: 'deserialize', name: 'tvmDoctorServerDate' },
  );
  return log;
}
