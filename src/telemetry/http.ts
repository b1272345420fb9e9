/**
 * The local status endpoint (monitoring.http): Prometheus metrics at /metrics, liveness at
 * /healthz, the queue summary at /status (JSON). Bound to loopback by default; read-only, no
 * request body is ever read. Off unless monitoring.http.enabled.
 */
import { createServer, type Server } from 'node:http';
import type { Registry } from 'prom-client';
import { ErrorCodes, TvmError } from '../errors.js';
import type { Health } from './health.js';
import { healthzAnswer } from './health-report.js';

export interface StatusSource {
  status(): Record<string, unknown>;
  /** /healthz answers 503 with the reasons while it is degraded. */
  readonly health?: Health;
}

export interface HttpEndpoint {
  readonly url: string;
  close(): Promise<void>;
}

/** Parses "host:port" (IPv6 as "[::1]:9464"). The config layer validated the form already. */
export function parseListen(listen: string): { host: string; port: number } {
  const m = /^\[?([^\]]+?)\]?:(\d+)$/.exec(listen);
  if (!m) throw new TvmError(ErrorCodes.CONFIG_INVALID, `monitoring.http.listen: "${listen}" is not host:port`);
  return { host: m[1] as string, port: Number(m[2]) };
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
      const h = healthzAnswer(source.health);
      return send(h.code, h.type, h.body);
    }
    if (path === '/status') return send(200, 'application/json', JSON.stringify(source.status()) + '\n');
    if (path === '/metrics') {
      registry.metrics().then(
        (text) => send(200, registry.contentType, text),
        (err: unknown) => send(500, 'text/plain', `metrics unavailable: ${String(err)}\n`),
      );
      return;
    }
    send(404, 'text/plain', 'not found: try /metrics, /healthz or /status\n');
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
