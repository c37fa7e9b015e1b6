import type { Context, Next } from 'koa';

// URLs in discovery, redirects and tokens are built from the request's host by the engine. A request whose Host
// (or X-Forwarded-Host behind a trusted proxy) is not the issuer's is refused with 421 Misdirected Request
// (RFC 9110 §15.5.20), so no URL is ever built from a host we do not own. Probes are exempt.
const EXEMPT = new Set(['/healthz', '/readyz']);

export function pinHostToIssuer(issuer: string) {
  const expected = new URL(issuer).host.toLowerCase();
  return async (ctx: Context, next: Next) => {
    if (!EXEMPT.has(ctx.path) && ctx.host.toLowerCase() !== expected) {
      ctx.status = 421;
      ctx.type = 'text/plain';
      ctx.body = `This server answers only for ${issuer}\n`;
      return;
    }
    await next();
  };
}
