/**
 * The local status endpoint (monitoring.http, on by default on 127.0.0.1:9464): Prometheus
 * metrics at /metrics, health at /healthz (200 only when the source says healthy, else 503 with
 * the reasons as JSON), the status report at /status (JSON, the same document as
 * `status --json`) and the status page at /. Read-only: no request body is ever read.
 */
import { createServer, type Server } from 'node:http';
import type { Registry } from 'prom-client';
import { ErrorCodes, TvmError } from '../errors.js';
import { parseListen as parseListenAddress, type ListenAddress } from '../config/s3-names.js';
import type { HealthReason } from './health.js';
import { STATUS_PAGE } from './status-page.js';

export interface StatusSource {
  /** Any JSON-serialisable report (the daemon serves its StatusReport). */
  status(): unknown;
  /** Current reasons the daemon is unhealthy (empty = healthy). Default: always healthy. */
  health?(): readonly HealthReason[];
}

export interface HttpEndpoint {
  readonly url: string;
  close(): Promise<void>;
}

/**
 * "host:port" (IPv6 as "[::1]:9464") through the config's one parser; throws where the config
 * returns null, since a caller that bypassed config validation must not bind somewhere odd.
 */
export function parseListen(listen: string): ListenAddress {
  const address = parseListenAddress(listen);
  if (address === null) throw new TvmError(ErrorCodes.CONFIG_INVALID, `monitoring.http.listen: "${listen}" is not host:port`);
  return address;
}

export async function startHttpEndpoint(listen: string, registry: Registry, source: StatusSource): Promise<HttpEndpoint> {
  const { host, port } = parseListen(listen);
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    const send = (code: number, type: string, body: string): void => {
      res.writeHead(code, { 'content-type': type, 'cache-control': 'no-store' });
      res.end(body);
    };
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(405, 'text/plain', 'method not allowed\n');
    if (path === '/healthz') {
      const reasons = source.health?.() ?? [];
      const body = JSON.stringify(reasons.length === 0 ? { status: 'ok' } : { status: 'unhealthy', reasons }) + '\n';
      return send(reasons.length === 0 ? 200 : 503, 'application/json', body);
    }
    if (path === '/status') {
      Promise.resolve()
        .then(() => source.status())
        .then(
          (report) => send(200, 'application/json', JSON.stringify(report) + '\n'),
          (err: unknown) => send(503, 'application/json', JSON.stringify({ error: err instanceof Error ? err.message : String(err) }) + '\n'),
        );
      return;
    }
    if (path === '/' || path === '/index.html') return send(200, 'text/html; charset=utf-8', STATUS_PAGE);
    if (path === '/metrics') {
      registry.metrics().then(
        (text) => send(200, registry.contentType, text),
        (err: unknown) => send(500, 'text/plain', `metrics unavailable: ${String(err)}\n`),
      );
      return;
    }
    send(404, 'text/plain', 'not found: try /, /metrics, /healthz or /status\n');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(
        new TvmError(ErrorCodes.CONFIG_INVALID, `monitoring.http.listen: cannot listen on ${listen} (${err.code ?? err.message})`, {
          cause: err,
          retriability: 'permanent',
          hint: err.code === 'EADDRINUSE' ? 'another process uses that port: choose another port' : 'check the address',
        }),
      ),
    );
    server.listen(port, host, () => resolve());
  });
  const addr = server.address();
  const actualPort = addr && typeof addr === 'object' ? addr.port : port;
  const shownHost = host.includes(':') ? `[${host}]` : host;
  return {
    url: `http://${shownHost}:${actualPort}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
