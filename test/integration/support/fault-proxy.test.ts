/**
 * Tests of the chaos suite's own tools: the seeded PRNG and the fault-injecting proxy, against a
 * small node:http target started here, an independent SigV4 verifier, and a real s3rver.
 */
import { expect } from 'chai';
import { createHash, createHmac } from 'node:crypto';
import { Agent, createServer, request, type IncomingHttpHeaders, type IncomingMessage, type OutgoingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import { CreateBucketCommand, GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { createS3Client } from '../../../src/sinks/s3/client.js';
import { startFaultProxy, FAULT_KINDS, type FaultProxy, type FaultProxyOptions } from '../../support/fault-proxy.js';
import { seededRandom } from '../../support/seeded-random.js';
import { freePort, isListening } from '../../support/ports.js';
import { startS3rver } from '../../support/s3-servers.js';
import { until } from '../../support/crash-objects.js';

interface Hit { method: string; url: string; rawHeaders: string[]; bytes: number; complete: boolean }
type Custom = (req: IncomingMessage, res: ServerResponse, hit: Hit) => boolean;
interface Target { url: string; hits: Hit[]; close(): Promise<void> }

const blob = (n: number): Buffer => seededRandom(n).fill(Buffer.alloc(n));

/** A target that records every request: PUT/POST echo {bytes, sha256}, GET /blob/N, /chunked/N, /empty. */
async function startTarget(custom?: Custom): Promise<Target> {
  const hits: Hit[] = [];
  const server: Server = createServer((req, res) => {
    const hit: Hit = { method: req.method ?? '', url: req.url ?? '', rawHeaders: req.rawHeaders, bytes: 0, complete: false };
    hits.push(hit);
    if (custom?.(req, res, hit)) return;
    const hash = createHash('sha256');
    req.on('data', (c: Buffer) => {
      hit.bytes += c.length;
      hash.update(c);
    });
    req.on('end', () => {
      hit.complete = true;
      const [, route, n] = (req.url ?? '').split('/');
      if (route === 'empty') return void res.writeHead(200, { 'Content-Length': 0 }).end();
      if (route === 'blob') return void res.writeHead(200, { 'Content-Length': Number(n) }).end(blob(Number(n)));
      if (route === 'chunked') return void res.writeHead(200).end(blob(Number(n)));
      const body = JSON.stringify({ bytes: hit.bytes, sha256: hash.digest('hex') });
      res.writeHead(200, { 'Content-Type': 'application/json', 'X-Echo': 'a', 'x-echo': 'b' }).end(body);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    hits,
    close: () => {
      server.closeAllConnections();
      return new Promise((r) => server.close(() => r()));
    },
  };
}

interface Outcome { status?: number; headers?: IncomingHttpHeaders; body: Buffer; complete: boolean; error?: NodeJS.ErrnoException; sawContinue: boolean; ms: number }

/** One request on a fresh connection; always resolves, describing what the client saw. */
function send(base: string, path: string, opts: { method?: string; body?: Buffer | string; headers?: OutgoingHttpHeaders | string[] } = {}): Promise<Outcome> {
  const t0 = performance.now();
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let sawContinue = false;
    const done = (o: Omit<Outcome, 'body' | 'sawContinue' | 'ms'>): void => resolve({ ...o, body: Buffer.concat(chunks), sawContinue, ms: performance.now() - t0 });
    const req = request(`${base}${path}`, { method: opts.method ?? 'GET', headers: opts.headers, agent: false }, (res) => {
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', () => undefined);
      res.on('close', () => done({ status: res.statusCode, headers: res.headers, complete: res.complete }));
    });
    req.on('continue', () => {
      sawContinue = true;
      req.end(opts.body);
    });
    req.on('error', (error: NodeJS.ErrnoException) => done({ complete: false, error }));
    if (req.getHeader('expect') === undefined) req.end(opts.body);
  });
}

const isReset = (o: Outcome): boolean =>
  o.status === undefined && (o.error?.code === 'ECONNRESET' || o.error?.code === 'EPIPE' || o.error?.message === 'socket hang up');

describe('seededRandom', () => {
  it('repeats the same sequence for the same seed and another for a different seed', () => {
    const draw = (seed: number): number[] => Array.from({ length: 20 }, seededRandom(seed).next);
    expect(draw(1)).to.deep.equal(draw(1));
    expect(draw(1)).to.not.deep.equal(draw(2));
  });

  it('stays within [0, 1) and spreads evenly across ten buckets', () => {
    const rng = seededRandom(123);
    const buckets = new Array<number>(10).fill(0);
    for (let i = 0; i < 10_000; i++) {
      const x = rng.next();
      expect(x).to.be.at.least(0).and.below(1);
      buckets[Math.floor(x * 10)]!++;
    }
    for (const b of buckets) expect(b).to.be.within(900, 1100);
  });

  it('fills buffers of any length the same way for the same seed', () => {
    expect(seededRandom(5).fill(Buffer.alloc(7))).to.deep.equal(seededRandom(5).fill(Buffer.alloc(7)));
    expect(seededRandom(5).fill(Buffer.alloc(7)).equals(Buffer.alloc(7))).to.equal(false);
    expect(() => seededRandom(1).pick([])).to.throw(RangeError);
  });
});

describe('startFaultProxy', () => {
  let target: Target;
  const open: FaultProxy[] = [];
  const proxy = async (o: Partial<FaultProxyOptions> & { target?: string } = {}): Promise<FaultProxy> => {
    const p = await startFaultProxy({ target: target.url, seed: 1, faultRate: 0, ...o });
    open.push(p);
    return p;
  };

  beforeEach(async () => {
    target = await startTarget();
  });
  afterEach(async () => {
    await Promise.all(open.splice(0).map((p) => p.close()));
    await target.close();
  });

  it('passes every request through unchanged when faultRate is 0', async () => {
    const p = await proxy({ faultRate: 0 });
    const host = new URL(p.url).host;
    for (let i = 0; i < 10; i++) {
      const o = await send(p.url, `/obj/k${i}?x-id=PutObject&b=%2F`, {
        method: 'PUT',
        body: `body-${i}`,
        headers: ['Host', host, 'X-Dup', '1', 'x-dup', '2', 'Content-Type', 'text/plain', 'Content-Length', String(`body-${i}`.length)],
      });
      expect(o.status).to.equal(200);
      expect(o.headers?.['x-echo']).to.equal('a, b');
      expect(JSON.parse(o.body.toString())).to.deep.include({ bytes: `body-${i}`.length });
      const hit = target.hits[i]!;
      expect(hit.url).to.equal(`/obj/k${i}?x-id=PutObject&b=%2F`);
      expect(hit.rawHeaders).to.include.members(['Host', host, 'X-Dup', '1', 'x-dup', '2']);
      expect(hit.rawHeaders.filter((h) => h.toLowerCase() === 'host')).to.have.length(1);
    }
    expect((await send(p.url, '/blob/300', { method: 'GET' })).body).to.deep.equal(blob(300));
    expect(p.stats()).to.deep.include({ requests: 11, passed: 11, faulted: 0, aborted: 0 });
  });

  it('makes the same fault decisions for the same seed and request order', async () => {
    const run = async (seed: number): Promise<string[]> => {
      const p = await proxy({ seed, faultRate: 0.5, stallMs: 5 });
      const seen: string[] = [];
      for (let i = 0; i < 40; i++) {
        const o = await send(p.url, '/blob/100');
        seen.push(`${p.decisions()[i]!.fault}:${o.status ?? 'reset'}:${o.complete ? o.body.length : 'cut'}`);
      }
      return seen;
    };
    const first = await run(42);
    expect(await run(42)).to.deep.equal(first);
    expect(await run(43)).to.not.deep.equal(first);
    expect(new Set(first.map((s) => s.split(':')[0])).size).to.be.at.least(5);
  });

  it('answers http500 with an S3 InternalError body without contacting the target', async () => {
    const p = await proxy({ faultRate: 1, faults: ['http500'] });
    const o = await send(p.url, '/k', { method: 'PUT', body: 'data' });
    expect(o.status).to.equal(500);
    expect(o.body.toString()).to.match(/<Error><Code>InternalError<\/Code>/);
    expect(target.hits).to.have.length(0);
  });

  it('answers slowDown503 with an S3 SlowDown body without contacting the target', async () => {
    const p = await proxy({ faultRate: 1, faults: ['slowDown503'] });
    const o = await send(p.url, '/k');
    expect(o.status).to.equal(503);
    expect(o.body.toString()).to.contain('<Code>SlowDown</Code>');
    expect(target.hits).to.have.length(0);
  });

  it('answers a bodiless fault before an Expect: 100-continue client sends its body', async () => {
    const p = await proxy({ faultRate: 1, faults: ['http500'] });
    const o = await send(p.url, '/k', { method: 'PUT', body: 'data', headers: { Expect: '100-continue', 'Content-Length': 4 } });
    expect(o.status).to.equal(500);
    expect(o.sawContinue).to.equal(false);
    expect(target.hits).to.have.length(0);
  });

  it('resets the connection right after the headers for resetBeforeBody, never contacting the target', async () => {
    const p = await proxy({ faultRate: 1, faults: ['resetBeforeBody'] });
    const o = await send(p.url, '/k', { method: 'PUT', body: 'data' });
    expect(isReset(o), String(o.error)).to.equal(true);
    expect(target.hits).to.have.length(0);
  });

  it('delivers the whole request to the target, then resets the client, for resetAfterBody', async () => {
    const p = await proxy({ faultRate: 1, faults: ['resetAfterBody'] });
    const o = await send(p.url, '/k', { method: 'PUT', body: blob(50_000) });
    expect(isReset(o), String(o.error)).to.equal(true);
    expect(target.hits).to.have.length(1);
    expect(target.hits[0]).to.deep.include({ bytes: 50_000, complete: true });
  });

  it('holds a stalled request at least stallMs before forwarding it', async () => {
    const p = await proxy({ faultRate: 1, faults: ['stall'], stallMs: 150 });
    const o = await send(p.url, '/blob/10');
    expect(o.status).to.equal(200);
    expect(o.body).to.deep.equal(blob(10));
    // libuv timers count whole milliseconds from a cached loop time: allow 1 ms of truncation.
    expect(o.ms).to.be.at.least(149);
  });

  it('drops a stalled request without contacting the target when its client gives up', async () => {
    const p = await proxy({ faultRate: 1, faults: ['stall'], stallMs: 600_000 });
    const req = request(`${p.url}/k`, { agent: false });
    req.on('error', () => undefined);
    req.end();
    await until(() => p.stats().requests === 1, 'the proxy to receive the request', 10_000, 2);
    expect(p.handles().pendingStalls).to.equal(1);
    req.destroy();
    await until(() => p.stats().aborted === 1, 'the proxy to see the client leave', 10_000, 2);
    expect(p.handles().pendingStalls).to.equal(0);
    expect(target.hits).to.have.length(0);
  });

  it('sends the headers and exactly half the body for truncatedResponse', async () => {
    const p = await proxy({ faultRate: 1, faults: ['truncatedResponse'] });
    const o = await send(p.url, '/blob/1000');
    expect(o.status).to.equal(200);
    expect(o.headers?.['content-length']).to.equal('1000');
    expect(o.complete).to.equal(false);
    expect(o.body).to.deep.equal(blob(1000).subarray(0, 500));
  });

  it('truncates chunked responses and cuts the head of responses without a body', async () => {
    const p = await proxy({ faultRate: 1, faults: ['truncatedResponse'] });
    const chunked = await send(p.url, '/chunked/1000');
    expect(chunked.complete).to.equal(false);
    expect(chunked.body.length).to.be.below(1000);
    const empty = await send(p.url, '/empty', { method: 'PUT', body: 'x' });
    expect(empty.status).to.equal(undefined);
    expect(empty.error?.message).to.equal('socket hang up');
    expect(target.hits).to.have.length(2);
  });

  it('never faults requests the shouldFault predicate excludes', async () => {
    const p = await proxy({ faultRate: 1, faults: ['http500'], shouldFault: (req) => req.method !== 'GET' });
    for (let i = 0; i < 3; i++) {
      expect((await send(p.url, '/blob/5')).status).to.equal(200);
      expect((await send(p.url, '/k', { method: 'PUT', body: 'x' })).status).to.equal(500);
    }
    expect(p.decisions().map((d) => d.fault)).to.deep.equal([null, 'http500', null, 'http500', null, 'http500']);
    expect(p.stats()).to.deep.include({ requests: 6, passed: 3, faulted: 3 });
  });

  it('answers 502 with an S3 error body when the target is unreachable', async () => {
    const p = await proxy({ target: `http://127.0.0.1:${await freePort()}` });
    const o = await send(p.url, '/k', { method: 'PUT', body: 'data' });
    expect(o.status).to.equal(502);
    expect(o.body.toString()).to.contain('<Code>BadGateway</Code>');
    expect(p.stats().upstreamErrors).to.equal(1);
  });

  it('streams a 20 MB upload and download byte-identical without holding whole bodies', async () => {
    const size = 20 * 1024 * 1024;
    const data = blob(size);
    const digest = createHash('sha256').update(data).digest('hex');
    let targetGotBytes!: () => void;
    const targetStarted = new Promise<void>((r) => (targetGotBytes = r));
    let clientGotBytes!: () => void;
    const clientStarted = new Promise<void>((r) => (clientGotBytes = r));
    await target.close();
    // The second half of each body is only sent once the far side saw the first: a proxy that
    // buffered whole bodies would deadlock here and time out.
    target = await startTarget((req, res) => {
      if (req.url === '/down') {
        res.writeHead(200, { 'Content-Length': size });
        res.write(data.subarray(0, 1 << 20));
        void clientStarted.then(() => res.end(data.subarray(1 << 20)));
        return true;
      }
      req.once('data', () => targetGotBytes());
      return false;
    });
    const p = await proxy({ faultRate: 0 });

    const up = await new Promise<string>((resolve, reject) => {
      const req = request(`${p.url}/up`, { method: 'PUT', agent: false, headers: { 'Content-Length': size } }, (res) => {
        const parts: Buffer[] = [];
        res.on('data', (c: Buffer) => parts.push(c)).on('end', () => resolve(Buffer.concat(parts).toString()));
      });
      req.on('error', reject);
      req.write(data.subarray(0, 1 << 20));
      void targetStarted.then(() => req.end(data.subarray(1 << 20)));
    });
    expect(JSON.parse(up)).to.deep.equal({ bytes: size, sha256: digest });

    const down = await new Promise<string>((resolve, reject) => {
      const hash = createHash('sha256');
      let n = 0;
      request(`${p.url}/down`, { agent: false }, (res) => {
        res.on('data', (c: Buffer) => {
          if (n === 0) clientGotBytes();
          n += c.length;
          hash.update(c);
        });
        res.on('end', () => resolve(`${n}:${hash.digest('hex')}`));
      })
        .on('error', reject)
        .end();
    });
    expect(down).to.equal(`${size}:${digest}`);
  });

  it('counts requests, passes and each fault kind in stats', async () => {
    const p = await proxy({ seed: 7, faultRate: 0.6, stallMs: 1 });
    for (let i = 0; i < 30; i++) await send(p.url, '/blob/8');
    const kinds = p.decisions().map((d) => d.fault);
    const s = p.stats();
    expect(s.requests).to.equal(30);
    expect(s.passed).to.equal(kinds.filter((k) => k === null).length);
    for (const k of FAULT_KINDS) expect(s.byKind[k], k).to.equal(kinds.filter((x) => x === k).length);
    expect(s.faulted).to.equal(30 - s.passed).and.to.be.above(0);
    p.setFaultRate(0);
    for (let i = 0; i < 5; i++) expect((await send(p.url, '/blob/8')).status).to.equal(200);
    expect(p.stats()).to.deep.include({ requests: 35, passed: s.passed + 5, aborted: 0 });
    expect(() => p.setFaultRate(1.5)).to.throw(RangeError);
  });

  it('keeps its books straight under concurrent keep-alive traffic', async () => {
    const p = await proxy({ seed: 11, faultRate: 0.5, stallMs: 5 });
    const agent = new Agent({ keepAlive: true, maxSockets: 8 });
    const one = (i: number): Promise<string> =>
      new Promise((resolve) => {
        const req = request(`${p.url}/k${i}`, { method: 'PUT', agent }, (res) => {
          res.resume().on('error', () => undefined);
          res.on('close', () => resolve(res.complete ? String(res.statusCode) : 'cut'));
        });
        req.on('error', () => resolve('reset'));
        req.end(blob(i * 100));
      });
    const outcomes = await Promise.all(Array.from({ length: 60 }, (_, i) => one(i)));
    agent.destroy();
    const s = p.stats();
    expect(s).to.deep.include({ requests: 60, aborted: 0, upstreamErrors: 0 });
    expect(s.passed + s.faulted).to.equal(60);
    const forwarded = s.passed + s.byKind.stall + s.byKind.resetAfterBody + s.byKind.truncatedResponse;
    expect(target.hits).to.have.length(forwarded);
    expect(outcomes.filter((o) => o === '200')).to.have.length(s.passed + s.byKind.stall);
  });

  it('closes idempotently, ending open connections and pending stalls, leaving nothing open', async () => {
    const p = await proxy({ faultRate: 1, faults: ['stall'], stallMs: 600_000 });
    const pending = send(p.url, '/k');
    await until(() => p.handles().pendingStalls === 1, 'the stall to start', 10_000, 2);
    const [a, b] = [p.close(), p.close()];
    expect(a).to.equal(b);
    await a;
    await p.close();
    expect(p.handles()).to.deep.equal({ listening: false, clientSockets: 0, upstreamSockets: 0, pendingStalls: 0 });
    expect(isReset(await pending)).to.equal(true);
    expect(await isListening(p.port)).to.equal(false);
    expect(target.hits).to.have.length(0);
  });
});

/** Recomputes an AWS SigV4 header signature from what actually arrived (independent of the SDK). */
function verifySigV4(req: IncomingMessage, body: Buffer, secret: string): string | null {
  const values = new Map<string, string[]>();
  for (let i = 0; i < req.rawHeaders.length; i += 2) {
    const name = req.rawHeaders[i]!.toLowerCase();
    values.set(name, [...(values.get(name) ?? []), req.rawHeaders[i + 1]!.trim().replace(/\s+/g, ' ')]);
  }
  const header = (n: string): string => (values.get(n) ?? []).join(',');
  const m = /^AWS4-HMAC-SHA256 Credential=[^/]+\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, ?SignedHeaders=([^,]+), ?Signature=([0-9a-f]{64})$/.exec(header('authorization'));
  if (m === null) return 'no SigV4 Authorization header';
  const [, date, region, service, signedHeaders, signature] = m as unknown as string[];
  const enc = (s: string): string => encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  const [path = '/', query = ''] = (req.url ?? '/').split(/\?(.*)/s);
  const pairs = query.split('&').filter(Boolean).map((kv) => {
    const eq = kv.includes('=') ? kv.indexOf('=') : kv.length;
    return [enc(decodeURIComponent(kv.slice(0, eq))), enc(decodeURIComponent(kv.slice(eq + 1)))] as const;
  });
  pairs.sort((x, y) => (x[0] === y[0] ? (x[1] < y[1] ? -1 : 1) : x[0] < y[0] ? -1 : 1));
  const canonicalQuery = pairs.map(([k, v]) => `${k}=${v}`).join('&');
  const payloadHash = header('x-amz-content-sha256');
  if (/^[0-9a-f]{64}$/.test(payloadHash) && createHash('sha256').update(body).digest('hex') !== payloadHash) return 'body hash mismatch';
  const canonical = [req.method, path, canonicalQuery, signedHeaders!.split(';').map((n) => `${n}:${header(n)}\n`).join(''), signedHeaders, payloadHash].join('\n');
  const toSign = ['AWS4-HMAC-SHA256', header('x-amz-date'), `${date}/${region}/${service}/aws4_request`, createHash('sha256').update(canonical).digest('hex')].join('\n');
  let key: Buffer | string = `AWS4${secret}`;
  for (const part of [date!, region!, service!, 'aws4_request']) key = createHmac('sha256', key).update(part).digest();
  return createHmac('sha256', key).update(toSign).digest('hex') === signature ? null : 'signature mismatch';
}

describe('startFaultProxy with S3 clients', () => {
  const s3Config = (endpoint: string) => ({
    bucket: 'fault-proxy-test', region: 'us-east-1', profile: null, endpoint, forcePathStyle: true, conditionalWrites: false, storageClass: null, serverSideEncryption: null, kmsKeyId: null,
  });
  const creds = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };

  it('keeps SigV4 signatures valid: Host and signed headers arrive unchanged', async () => {
    const objects = new Map<string, Buffer>();
    const verdicts: (string | null)[] = [];
    let lastPut: { rawHeaders: string[]; url: string; body: Buffer } | null = null;
    const target = await startTarget((req, res) => {
      const parts: Buffer[] = [];
      req.on('data', (c: Buffer) => parts.push(c)).on('end', () => {
        const body = Buffer.concat(parts);
        const verdict = verifySigV4(req, body, creds.secretAccessKey);
        verdicts.push(verdict);
        if (verdict !== null) return void res.writeHead(403).end(`<Error><Code>SignatureDoesNotMatch</Code><Message>${verdict}</Message></Error>`);
        const key = (req.url ?? '').split('?')[0]!;
        if (req.method === 'PUT') {
          lastPut = { rawHeaders: req.rawHeaders, url: req.url ?? '', body };
          objects.set(key, body);
          return void res.writeHead(200, { ETag: '"e"' }).end();
        }
        const stored = objects.get(key) ?? Buffer.alloc(0);
        res.writeHead(200, { 'Content-Length': stored.length, ETag: '"e"' }).end(stored);
      });
      return true;
    });
    const p = await startFaultProxy({ target: target.url, seed: 1, faultRate: 0 });
    const { client } = createS3Client(s3Config(p.url), {}, { credentials: creds });
    try {
      await client.send(new PutObjectCommand({ Bucket: 'fault-proxy-test', Key: 'dir/obj.txt', Body: 'hello sigv4', ContentType: 'text/plain' }));
      const got = await client.send(new GetObjectCommand({ Bucket: 'fault-proxy-test', Key: 'dir/obj.txt' }));
      expect(Buffer.from(await got.Body!.transformToByteArray()).toString()).to.equal('hello sigv4');
      expect(verdicts).to.deep.equal([null, null]);
      // Control: the verifier must reject the same signed request once Host is rewritten to the target's.
      const put = lastPut!;
      const rewritten = put.rawHeaders.map((v, i) => (i % 2 === 1 && put.rawHeaders[i - 1]!.toLowerCase() === 'host' ? new URL(target.url).host : v));
      const replay = await send(target.url, put.url, { method: 'PUT', body: put.body, headers: rewritten });
      expect(replay.status).to.equal(403);
      expect(verdicts[2]).to.equal('signature mismatch');
    } finally {
      client.destroy();
      await p.close();
      await target.close();
    }
  });

  it('carries a real s3rver bucket, PUT and GET (including a 100-continue upload) and exposes resetAfterBody writes', async () => {
    const s3 = await startS3rver();
    let sawExpect = false;
    const p = await startFaultProxy({
      target: s3.endpoint, seed: 1, faultRate: 0, faults: ['resetAfterBody'],
      shouldFault: (req) => (sawExpect ||= req.headers.expect === '100-continue') || true,
    });
    const { client } = createS3Client(s3Config(p.url), {}, { credentials: creds });
    try {
      await client.send(new CreateBucketCommand({ Bucket: 'fault-proxy-test' }));
      const big = blob(3 * 1024 * 1024); // above the SDK's 2 MiB Expect: 100-continue threshold
      await client.send(new PutObjectCommand({ Bucket: 'fault-proxy-test', Key: 'big.bin', Body: big }));
      const got = await client.send(new GetObjectCommand({ Bucket: 'fault-proxy-test', Key: 'big.bin' }));
      expect(Buffer.from(await got.Body!.transformToByteArray()).equals(big)).to.equal(true);
      expect(sawExpect, 'the SDK sent Expect: 100-continue').to.equal(true);

      p.setFaultRate(1);
      const err = await client.send(new PutObjectCommand({ Bucket: 'fault-proxy-test', Key: 'small.txt', Body: 'stored anyway' })).then(() => null, (e: Error) => e);
      expect(err, 'the PUT should fail at the client').to.be.instanceOf(Error);
      p.setFaultRate(0);
      const stored = await client.send(new GetObjectCommand({ Bucket: 'fault-proxy-test', Key: 'small.txt' }));
      expect(await stored.Body!.transformToString()).to.equal('stored anyway');
      expect(p.stats()).to.deep.include({ requests: 5, passed: 4, faulted: 1 });
    } finally {
      client.destroy();
      await p.close();
      await s3.stop();
    }
  });
});
