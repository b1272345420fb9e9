/**
 * A seeded fault-injecting HTTP/1.1 proxy for chaos tests: the daemon talks to a real loopback S3
 * server through it, and a seeded PRNG decides, per request, whether to pass it through or to
 * misbehave (500, 503 SlowDown, reset before or after the target saw the body, stall, truncated
 * response). Same seed + same request order = same faults, so a failing run can be replayed.
 *
 * It is a transparent reverse proxy, not a forward proxy: clients use its URL as their endpoint
 * and it forwards method, path+query, headers (Host unchanged, because SigV4 signs it) and bodies
 * streamed both ways with backpressure. Only hop-by-hop headers are dropped. It is NOT responsible
 * for HTTP trailers, TLS, upgrades or HTTP/2; S3 clients need none of them.
 *
 *   client ──► proxy ──decide(seed)──► pass ─────────────► target
 *                                └──► fault (maybe after forwarding)
 */
import { Agent, createServer, request as httpRequest, type ClientRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { seededRandom } from './seeded-random.js';

export const FAULT_KINDS = ['http500', 'slowDown503', 'resetBeforeBody', 'resetAfterBody', 'stall', 'truncatedResponse'] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

export interface FaultProxyOptions {
  /** Base URL of the real server, e.g. `http://127.0.0.1:4568`. */
  target: string;
  seed: number;
  /** Probability in [0, 1] that an eligible request gets a fault. */
  faultRate: number;
  /** Kinds to choose from, uniformly (default: all). */
  faults?: readonly FaultKind[];
  /** How long `stall` holds a request before forwarding it (default 3000). */
  stallMs?: number;
  /** Interface to listen on (default 127.0.0.1). */
  host?: string;
  /** Requests for which this returns false always pass (and draw nothing from the PRNG). */
  shouldFault?: (req: IncomingMessage) => boolean;
}

export interface FaultDecision {
  index: number;
  method: string;
  path: string;
  fault: FaultKind | null;
}

export interface FaultProxyStats {
  /** Every request received. */
  requests: number;
  /** Requests forwarded without a fault (including those `shouldFault` excluded). */
  passed: number;
  /** Requests given a fault; equals the sum of `byKind`. */
  faulted: number;
  byKind: Record<FaultKind, number>;
  /** Requests whose client went away before the proxy finished with them. */
  aborted: number;
  /** Target failures the proxy turned into a 502 (or a cut connection once headers were sent). */
  upstreamErrors: number;
}

/** What is still open, for leak checks in tests. */
export interface FaultProxyHandles {
  listening: boolean;
  clientSockets: number;
  upstreamSockets: number;
  pendingStalls: number;
}

export interface FaultProxy {
  readonly url: string;
  readonly port: number;
  stats(): FaultProxyStats;
  /** The most recent decisions (at most 10,000), oldest first. */
  decisions(): readonly FaultDecision[];
  setFaultRate(rate: number): void;
  handles(): FaultProxyHandles;
  /** Stops listening, destroys every socket and pending stall; resolves once all are closed. Idempotent. */
  close(): Promise<void>;
}

/** One request's journey through the proxy. */
interface Exchange {
  index: number;
  req: IncomingMessage;
  res: ServerResponse;
  /** The client sent `Expect: 100-continue` and has not been told to continue yet. */
  awaitingContinue: boolean;
  /** The proxy cut the client connection on purpose (not an abort). */
  cut: boolean;
  upstream: ClientRequest | null;
  timer: NodeJS.Timeout | null;
}

const DECISION_LOG_CAP = 10_000;
// Hop-by-hop headers describe one connection, not the message (RFC 9110 §7.6.1). `expect` is
// answered by the proxy itself. None of them is ever signed by SigV4.
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'te', 'upgrade', 'expect']);

function checkRate(rate: number): number {
  if (typeof rate !== 'number' || !(rate >= 0 && rate <= 1)) throw new RangeError(`faultRate must be in [0, 1], got ${rate}`);
  return rate;
}

/** Copies raw headers (order, case and duplicates kept) minus hop-by-hop ones. */
function endToEnd(raw: readonly string[]): string[] {
  const named = new Set(HOP_BY_HOP);
  for (let i = 0; i + 1 < raw.length; i += 2) {
    if (raw[i]!.toLowerCase() === 'connection') for (const t of raw[i + 1]!.split(',')) named.add(t.trim().toLowerCase());
  }
  const out: string[] = [];
  for (let i = 0; i + 1 < raw.length; i += 2) if (!named.has(raw[i]!.toLowerCase())) out.push(raw[i]!, raw[i + 1]!);
  return out;
}

function xmlEscape(s: string): string {
  return s.replace(/[<>&"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;' })[c] ?? c);
}

function s3ErrorXml(code: string, message: string, resource: string, index: number): string {
  return (
    '<?xml version="1.0" encoding="UTF-8"?>\n' +
    `<Error><Code>${code}</Code><Message>${xmlEscape(message)}</Message><Resource>${xmlEscape(resource)}</Resource>` +
    `<RequestId>fault-proxy-${index}</RequestId><HostId>fault-proxy</HostId></Error>`
  );
}

export async function startFaultProxy(options: FaultProxyOptions): Promise<FaultProxy> {
  const target = new URL(options.target);
  if (target.protocol !== 'http:') throw new RangeError(`target must be an http:// URL, got ${options.target}`);
  const targetHost = target.hostname.replace(/^\[(.*)\]$/, '$1');
  const targetPort = target.port === '' ? 80 : Number(target.port);
  const faults = [...(options.faults ?? FAULT_KINDS)];
  if (faults.length === 0) throw new RangeError('faults must list at least one kind');
  for (const f of faults) if (!FAULT_KINDS.includes(f)) throw new RangeError(`unknown fault kind ${String(f)}`);
  const stallMs = options.stallMs ?? 3000;
  if (!Number.isFinite(stallMs) || stallMs < 0) throw new RangeError(`stallMs must be ≥ 0, got ${stallMs}`);
  let faultRate = checkRate(options.faultRate);
  const rng = seededRandom(options.seed);

  const counts: FaultProxyStats = {
    requests: 0,
    passed: 0,
    faulted: 0,
    byKind: Object.fromEntries(FAULT_KINDS.map((k) => [k, 0])) as Record<FaultKind, number>,
    aborted: 0,
    upstreamErrors: 0,
  };
  const log: FaultDecision[] = [];
  const clientSockets = new Set<Socket>();
  const upstreamSockets = new Set<Socket>();
  const socketsClosed = new Set<Promise<void>>();
  const stalls = new Set<NodeJS.Timeout>();
  let closing: Promise<void> | null = null;
  // No keep-alive upstream: a pooled socket the target closes at its idle timeout races the next
  // request and would surface as a 502 nobody asked for. Loopback connects are cheap.
  const agent = new Agent({ keepAlive: false });

  const track = (set: Set<Socket>, socket: Socket): void => {
    if (set.has(socket)) return;
    set.add(socket);
    const closed = new Promise<void>((resolve) => {
      socket.once('close', () => {
        set.delete(socket);
        socketsClosed.delete(closed);
        resolve();
      });
    });
    socketsClosed.add(closed);
  };

  /** Two draws per eligible request, so the kinds chosen do not depend on the rate. */
  const decide = (req: IncomingMessage): FaultKind | null => {
    if (options.shouldFault !== undefined && !options.shouldFault(req)) return null;
    const roll = rng.next();
    const kind = rng.pick(faults);
    return roll < faultRate ? kind : null;
  };

  const cut = (ex: Exchange, mode: 'reset' | 'halfClose', partial?: string): void => {
    ex.cut = true;
    const sock = ex.req.socket;
    if (mode === 'reset') {
      sock.resetAndDestroy();
      return;
    }
    if (partial !== undefined) sock.write(partial);
    else if (!ex.res.headersSent) ex.res.flushHeaders();
    // end() flushes what was written (headers, partial body) before the FIN; then let go.
    sock.end(() => sock.destroy());
  };

  const replyError = (ex: Exchange, status: number, code: string, message: string): void => {
    const body = s3ErrorXml(code, message, ex.req.url ?? '/', ex.index);
    const send = (): void => {
      if (ex.res.destroyed || ex.res.headersSent) return;
      ex.res.writeHead(status, {
        'Content-Type': 'application/xml',
        'Content-Length': Buffer.byteLength(body),
        // A client waiting for 100-continue never sends its body; the connection cannot be reused.
        ...(ex.awaitingContinue ? { Connection: 'close' } : {}),
      });
      ex.res.end(body);
    };
    // Read the body first (as S3 does) so the client sees the answer, not a broken pipe.
    if (ex.awaitingContinue || ex.req.readableEnded) send();
    else {
      ex.req.once('end', send);
      ex.req.resume();
    }
  };

  const forward = (ex: Exchange, onResponse: (upRes: IncomingMessage) => void): void => {
    if (closing !== null || ex.res.destroyed) return;
    if (ex.awaitingContinue) {
      ex.res.writeContinue();
      ex.awaitingContinue = false;
    }
    const up = httpRequest({
      host: targetHost,
      port: targetPort,
      method: ex.req.method,
      path: ex.req.url,
      headers: endToEnd(ex.req.rawHeaders),
      agent,
    });
    ex.upstream = up;
    up.on('socket', (s) => track(upstreamSockets, s));
    up.on('error', (err) => {
      if (ex.cut || ex.res.destroyed || closing !== null) return;
      counts.upstreamErrors++;
      ex.req.unpipe(up);
      if (!ex.res.headersSent) replyError(ex, 502, 'BadGateway', `fault proxy could not reach the target: ${err.message}`);
      else cut(ex, 'reset');
    });
    up.on('response', (upRes) => {
      upRes.on('error', () => {
        if (ex.cut || ex.res.destroyed) return;
        counts.upstreamErrors++;
        cut(ex, 'reset');
      });
      if (closing !== null || ex.res.destroyed) upRes.resume();
      else onResponse(upRes);
    });
    ex.req.on('error', () => up.destroy());
    ex.req.pipe(up);
  };

  const relay = (ex: Exchange, upRes: IncomingMessage): void => {
    ex.res.writeHead(upRes.statusCode ?? 502, upRes.statusMessage || undefined, endToEnd(upRes.rawHeaders));
    upRes.pipe(ex.res);
  };

  /** Sends the headers and half the body (or half the head when there is no body to cut). */
  const truncate = (ex: Exchange, upRes: IncomingMessage): void => {
    const status = upRes.statusCode ?? 502;
    const lengthHeader = upRes.headers['content-length'];
    const declared = lengthHeader === undefined ? NaN : Number(lengthHeader);
    const bodyless = ex.req.method === 'HEAD' || status === 204 || status === 304 || declared < 2;
    if (bodyless) {
      upRes.resume();
      const head = `HTTP/1.1 ${status} ${upRes.statusMessage ?? ''}\r\n`;
      cut(ex, 'halfClose', head.slice(0, Math.ceil(head.length / 2)));
      return;
    }
    ex.res.writeHead(status, upRes.statusMessage || undefined, endToEnd(upRes.rawHeaders));
    // Unknown length (chunked): send half of the first chunk.
    let budget: number | null = Number.isFinite(declared) ? Math.floor(declared / 2) : null;
    upRes.on('data', (chunk: Buffer) => {
      if (ex.cut || ex.res.destroyed) return;
      const take = budget === null ? Math.floor(chunk.length / 2) : Math.min(budget, chunk.length);
      const flowing = take === 0 || ex.res.write(chunk.subarray(0, take));
      if (budget !== null) budget -= take;
      if (budget === null || budget === 0) {
        upRes.destroy();
        cut(ex, 'halfClose');
      } else if (!flowing) {
        upRes.pause();
        ex.res.once('drain', () => upRes.resume());
      }
    });
    upRes.on('end', () => {
      if (!ex.cut && !ex.res.destroyed) cut(ex, 'halfClose');
    });
  };

  const stall = (ex: Exchange): void => {
    const timer = setTimeout(() => {
      stalls.delete(timer);
      ex.timer = null;
      forward(ex, (upRes) => relay(ex, upRes));
    }, stallMs);
    ex.timer = timer;
    stalls.add(timer);
  };

  const onRequest = (req: IncomingMessage, res: ServerResponse, expectsContinue: boolean): void => {
    const ex: Exchange = { index: counts.requests++, req, res, awaitingContinue: expectsContinue, cut: false, upstream: null, timer: null };
    res.on('close', () => {
      if (res.writableFinished) return;
      if (!ex.cut) counts.aborted++;
      if (ex.timer !== null) {
        clearTimeout(ex.timer);
        stalls.delete(ex.timer);
        ex.timer = null;
      }
      ex.upstream?.destroy();
    });
    req.on('error', () => undefined);

    let fault: FaultKind | null;
    try {
      fault = decide(req);
    } catch (err) {
      // A broken predicate is a bug in the test; make it loud at the client instead of crashing mocha.
      replyError(ex, 500, 'FaultProxyPredicateError', err instanceof Error ? err.message : String(err));
      return;
    }
    log.push({ index: ex.index, method: req.method ?? '', path: req.url ?? '', fault });
    if (log.length > DECISION_LOG_CAP) log.shift();
    if (fault === null) counts.passed++;
    else {
      counts.faulted++;
      counts.byKind[fault]++;
    }

    switch (fault) {
      case null:
        return forward(ex, (upRes) => relay(ex, upRes));
      case 'http500':
        return replyError(ex, 500, 'InternalError', 'We encountered an internal error. Please try again.');
      case 'slowDown503':
        return replyError(ex, 503, 'SlowDown', 'Please reduce your request rate.');
      case 'resetBeforeBody':
        return cut(ex, 'reset');
      case 'resetAfterBody':
        return forward(ex, (upRes) => {
          upRes.resume();
          cut(ex, 'reset');
        });
      case 'stall':
        return stall(ex);
      case 'truncatedResponse':
        return forward(ex, (upRes) => truncate(ex, upRes));
    }
  };

  const server = createServer();
  server.on('connection', (s: Socket) => track(clientSockets, s));
  server.on('request', (req: IncomingMessage, res: ServerResponse) => onRequest(req, res, false));
  // Handling checkContinue ourselves lets faults that need no body answer before the client sends it.
  server.on('checkContinue', (req: IncomingMessage, res: ServerResponse) => onRequest(req, res, true));

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, options.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const addr = server.address();
  if (addr === null || typeof addr === 'string') throw new Error('fault proxy: could not determine its port');
  const urlHost = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;

  return {
    url: `http://${urlHost}:${addr.port}`,
    port: addr.port,
    stats: () => ({ ...counts, byKind: { ...counts.byKind } }),
    decisions: () => [...log],
    setFaultRate(rate: number) {
      faultRate = checkRate(rate);
    },
    handles: () => ({
      listening: server.listening,
      clientSockets: clientSockets.size,
      upstreamSockets: upstreamSockets.size,
      pendingStalls: stalls.size,
    }),
    close() {
      closing ??= (async () => {
        for (const t of stalls) clearTimeout(t);
        stalls.clear();
        const serverClosed = new Promise<void>((resolve) => server.close(() => resolve()));
        for (const s of [...clientSockets, ...upstreamSockets]) s.destroy();
        agent.destroy();
        await Promise.all([serverClosed, ...socketsClosed]);
      })();
      return closing;
    },
  };
}
