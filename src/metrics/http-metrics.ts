import type { Context, Next } from 'koa';
import { Counter, Histogram, type Registry } from 'prom-client';
import { boundedLabel } from './bounded-label.ts';

// Request count and latency per route. The route label is the matched route's pattern, never the raw path (an
// interaction uid or a client id in the path would make one series per request): the matched route's pattern as
// @koa/router and the engine's own router (lib/helpers/router.js) both leave it in `_matchedRoute` ("/auth/:uid"),
// `static` for files under /static/ and `unmatched` for everything else.

const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const;

export function createHttpMetrics(registry: Registry) {
  const labelNames = ['method', 'route', 'status'] as const;
  const requests = new Counter({ name: 'idp_http_requests_total', help: 'HTTP requests answered, by method, route and status', labelNames, registers: [registry] });
  const duration = new Histogram({
    name: 'idp_http_request_duration_seconds', help: 'time to answer an HTTP request, by method, route and status', labelNames,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10], registers: [registry],
  });
  // Route patterns come from code, so they are few; the bound is a backstop against a router that matches raw paths.
  const route = boundedLabel(200, undefined, /^[A-Za-z0-9_.:/()*?+|-]{1,120}$/);
  const method = boundedLabel(0, METHODS);

  return async function httpMetrics(ctx: Context, next: Next) {
    const end = duration.startTimer();
    try {
      await next();
    } finally {
      const labels = { method: method(ctx.method), route: routeOf(ctx, route), status: String(ctx.status) };
      end(labels);
      requests.inc(labels);
    }
  };
}

function routeOf(ctx: Context, bound: (value: unknown) => string): string {
  const state = ctx as Context & { _matchedRoute?: unknown };
  if (typeof state._matchedRoute === 'string') return bound(state._matchedRoute);
  if (ctx.path.startsWith('/static/')) return 'static';
  return 'unmatched';
}
