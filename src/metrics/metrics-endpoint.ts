import { createHash, timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Context, Next } from 'koa';
import type { Registry } from 'prom-client';

// Where /metrics is served: on its own listener (metrics.port, bound to metrics.host, loopback by default: the
// preferred layout, nothing on the public port), and/or on the main port behind a bearer token (RFC 6750 §2.1).
// The token, when set, is asked on both. Comparison in constant time over fixed-length digests, so neither the
// content nor the length of the token leaks through response timing.

export interface MetricsEndpointOptions {
  registry: Registry;
  token?: string;
}

const digest = (value: string) => createHash('sha256').update(value).digest();

export function createBearerCheck(token: string | undefined): (authorization: string | undefined) => boolean {
  if (token === undefined) return () => true;
  const expected = digest(token);
  return (authorization) => {
    const match = /^Bearer ([\x21-\x7e]+)$/i.exec(authorization ?? '');
    return timingSafeEqual(digest(match?.[1] ?? ''), expected) && match !== null;
  };
}

/** Koa middleware answering GET /metrics on the main port; only mounted when a token is configured. */
export function metricsOnMainPort(options: MetricsEndpointOptions & { token: string }) {
  const authorized = createBearerCheck(options.token);
  return async (ctx: Context, next: Next) => {
    if (ctx.path !== '/metrics') return next();
    ctx.set('Cache-Control', 'no-store');
    if (!authorized(ctx.get('authorization') || undefined)) {
      // RFC 6750 §3: the challenge names the scheme; no error detail for a missing token (§3.1).
      ctx.set('WWW-Authenticate', ctx.get('authorization') ? 'Bearer error="invalid_token"' : 'Bearer');
      ctx.status = 401;
      ctx.body = 'unauthorized\n';
      return;
    }
    if (ctx.method !== 'GET' && ctx.method !== 'HEAD') { ctx.status = 405; ctx.set('Allow', 'GET, HEAD'); return; }
    ctx.type = options.registry.contentType;
    ctx.body = await options.registry.metrics();
  };
}

export interface MetricsListener {
  url: string;
  close(): Promise<void>;
}

/** A plain node:http listener serving only GET /metrics (no koa, no sessions, no host pinning). */
export async function listenForMetrics(options: MetricsEndpointOptions & { host: string; port: number }): Promise<MetricsListener> {
  const authorized = createBearerCheck(options.token);
  const server = http.createServer((req, res) => {
    const path = (req.url ?? '').split('?')[0];
    if (path !== '/metrics') { res.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found\n'); return; }
    if (!authorized(req.headers.authorization)) {
      res.writeHead(401, { 'WWW-Authenticate': 'Bearer', 'Content-Type': 'text/plain' }).end('unauthorized\n');
      return;
    }
    options.registry.metrics().then(
      (body) => res.writeHead(200, { 'Content-Type': options.registry.contentType, 'Cache-Control': 'no-store' }).end(req.method === 'HEAD' ? undefined : body),
      () => res.writeHead(500, { 'Content-Type': 'text/plain' }).end('metrics collection failed\n'),
    );
  });
  server.requestTimeout = 10_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => { server.off('error', reject); resolve(); });
  });
  const { address, port } = server.address() as AddressInfo;
  const host = address.includes(':') ? `[${address}]` : address;
  return {
    url: `http://${host}:${port}/metrics`,
    close: () => new Promise<void>((resolve) => { server.close(() => resolve()); server.closeAllConnections(); }),
  };
}
