import type { Context, Next } from 'koa';

// Strict defaults for every response, ours and the engine's. The CSP allows no inline script or style; the engine
// adds the hash of its one inline script (form_post auto-submit) to script-src itself. Pages with forms widen
// form-action to the client's redirect origin (see formActionFor), because browsers apply form-action to the
// redirects that follow a form post.
export const BASE_CSP = [
  "default-src 'none'", "script-src 'self'", "style-src 'self'", "img-src 'self' data: https:",
  "font-src 'self'", "connect-src 'self'", "frame-ancestors 'none'", "base-uri 'none'",
];

export function securityHeaders(secureIssuer: boolean) {
  return async (ctx: Context, next: Next) => {
    ctx.set('Content-Security-Policy', BASE_CSP.join('; '));
    ctx.set('X-Content-Type-Options', 'nosniff');
    ctx.set('X-Frame-Options', 'DENY');
    ctx.set('Referrer-Policy', 'no-referrer');
    ctx.set('Cross-Origin-Opener-Policy', 'same-origin');
    ctx.set('Permissions-Policy', 'camera=(), microphone=(), geolocation=(), interest-cohort=()');
    if (secureIssuer) ctx.set('Strict-Transport-Security', 'max-age=31536000; includeSubDomains');
    await next();
  };
}

/** CSP for one of our form pages: form posts go to us, and the redirects after them may reach the client. */
export function setFormActionCsp(ctx: Context, redirectUri?: string, extraImageOrigins: string[] = []): void {
  const origin = redirectUri ? URL.parse(redirectUri)?.origin : undefined;
  const targets = ["'self'", ...(origin && origin !== 'null' ? [origin] : [])];
  const base = extraImageOrigins.length ? BASE_CSP.map((d) => (d.startsWith('img-src ') ? `${d} ${extraImageOrigins.join(' ')}` : d)) : BASE_CSP;
  ctx.set('Content-Security-Policy', [...base, `form-action ${targets.join(' ')}`].join('; '));
}
