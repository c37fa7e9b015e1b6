import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { bodyParser } from '@koa/bodyparser';
import Koa, { type Context, type Next } from 'koa';
import mount from 'koa-mount';
import compose from 'koa-compose';
import type Router from '@koa/router';
import type { Container } from './container.ts';
import type { WebDeps } from './modules/feature-module.ts';
import { createCsrf } from './http/csrf.ts';
import { errorHandler, respondWithError } from './http/error-handler.ts';
import { AppError } from './shared/app-error.ts';
import { pinHostToIssuer } from './http/host-check.ts';
import { securityHeaders } from './http/security-headers.ts';
import { staticFiles } from './http/static-files.ts';
import { createProxyTrust, forwardedFrom } from './http/trusted-proxies.ts';
import { tlsClientAuthHeaders } from './oidc/tls-client-auth.ts';
import { createInteractionRouter } from './interaction/interaction.router.ts';
import { createMailLinksRouter } from './interaction/mail-links.router.ts';
import { DB_UNAVAILABLE } from './oidc/engine-events.ts';
import type { Provider } from './oidc/provider.ts';
import { createOpsRouter } from './ops/ops.router.ts';
import { createAccountRouter } from './account/account.router.ts';
import { createAccountDataRouter } from './account/account-data.router.ts';
import { createAccountChangeGuard } from './account/account-change-guard.ts';
import { createSecurityRouter } from './mfa/account/security.router.ts';
import { MAX_ENCODED_MESSAGE_CHARS } from './saml/idp/binding.codec.ts';
import { LEAD_PATHS } from './leads/leads.module.ts';
import { createFrontchannelLogoutRouter } from './oidc/frontchannel-logout.ts';
import { createBrandingRouter } from './branding/branding.router.ts';

// The koa application: our middleware and routes first, the engine mounted last (its routes end the response).
// No listen() here: see server.ts.
export function createApp(container: Container): Koa {
  const { config, logger, pages } = container;
  const trust = createProxyTrust(config.http.trustedProxies);
  // koa reads X-Forwarded-Proto/Host only with `proxy`; forwardedFrom() leaves them only on requests from a trusted proxy.
  // Signed cookies with keygrip's signatures, verified without tsscmp's extra HMACs (src/http/cookie-keys.ts).
  const app = new Koa({ proxy: trust.any });
  app.keys = container.cookieKeys as unknown as string[];
  const web: WebDeps = { provider: container.provider, pages, ...formParsers(container) };

  const { geoHeader, geoCoordinatesHeader } = config.mfa.risk;
  app.use(forwardedFrom(trust, [
    ...[geoHeader, geoCoordinatesHeader].filter((name): name is string => Boolean(name)),
    // tls_client_auth: the certificate a trusted proxy verified (src/oidc/tls-client-auth.ts).
    ...tlsClientAuthHeaders(config.mtls),
  ]));
  app.use(container.metrics.http);
  app.use(requestLog(logger));
  // /metrics on the main port only with metrics.token (src/metrics/metrics-endpoint.ts); before the host check, so a
  // scraper may use an internal name.
  if (container.metrics.mainPortEndpoint) app.use(container.metrics.mainPortEndpoint);
  // Audit events read the request's IP, user agent and id from here (src/audit/request-context.ts).
  app.use(container.auditTrail.requestContext.middleware);
  app.use(securityHeaders(config.issuer.startsWith('https:')));
  app.use(pinHostToIssuer(config.issuer));
  app.use(errorHandler(pages, logger));
  // Our routes live under a few prefixes; requests for the engine (/token, /me ...) skip them entirely.
  app.use(onlyUnder(['/static/', '/branding/', '/admin', '/scim/', '/healthz', '/readyz', '/interaction/', '/verify-email', '/password/', '/account', '/federation/', '/saml/',
    // SAML logout joins the engine's own logout confirmation (src/saml/idp/saml.router.ts).
    '/session/end/confirm', ...LEAD_PATHS,
    // The CIBA approval page (src/ciba/ciba.router.ts).
    '/ciba/'], compose(ourRoutes(container, web))));
  app.use(engineOutageAs503(pages));
  // Which browser each sign-in session runs in, recorded as the engine authorizes (for /account/sessions).
  app.use(container.selfService.devices.trackingMiddleware(container.provider));
  app.use(mountCurrentProvider(container.provider));
  return app;
}

/** Our own forms (16 KB, CSRF) and the SAML POST bindings' larger bodies. */
function formParsers({ config, audit }: Container): Pick<WebDeps, 'formMiddleware' | 'samlForm'> {
  const formMiddleware = [
    bodyParser({ enableTypes: ['form'], formLimit: '16kb', encoding: 'utf-8' }),
    createCsrf(`${config.cookies.prefix}_csrf`, (ctx) => audit('csrf.refused', { path: ctx.path, ip: ctx.ip })).middleware,
  ];
  // SAML POST bindings carry whole signed (and encrypted) messages: the body may be as large as the message bound of
  // the binding codec (form-encoded base64 grows by a few percent), not the 16 KB of our own forms.
  const samlForm = bodyParser({ enableTypes: ['form'], formLimit: `${Math.ceil((MAX_ENCODED_MESSAGE_CHARS * 1.1) / 1024) + 8}kb`, encoding: 'utf-8' });
  return { formMiddleware, samlForm };
}

const routesOf = (routers: Router[]) => routers.map((router) => router.routes() as Koa.Middleware);

/** Our routes, in the order they are tried. */
function ourRoutes(container: Container, web: WebDeps): Koa.Middleware[] {
  const { config, pages, audit } = container;
  const { formMiddleware } = web;
  const interactionRouter = createInteractionRouter({
    config, provider: container.provider, stages: container.stages, pages, audit, formMiddleware, onLogin: container.leads.onSignIn,
  });
  return [
    staticFiles(path.resolve(import.meta.dirname, '..', 'public')),
    // Per-site colours as a stylesheet of our own origin (src/branding).
    createBrandingRouter({ provider: container.provider }).routes() as Koa.Middleware,
    // Bearer-token APIs: no cookies, so no CSRF middleware; their own JSON error format.
    ...container.admin.middleware,
    container.scim.middleware,
    ...routesOf(container.adminConsole.routers(web)),
    createOpsRouter(container.connection).routes() as Koa.Middleware,
    interactionRouter.routes() as Koa.Middleware,
    createMailLinksRouter({ accounts: container.accounts, pages, formMiddleware }).routes() as Koa.Middleware,
    ...accountRoutes(container, web),
    ...routesOf(container.selfService.routers(web)),
    ...routesOf(container.federation.routers(web)),
    // Front-channel logout frames after the engine's logout confirmation, around the SAML SLO chain (inside it).
    createFrontchannelLogoutRouter({ provider: container.provider, pages, issuer: config.issuer }).routes() as Koa.Middleware,
    ...routesOf(container.saml.routers(web)),
    ...routesOf(container.samlSp.routers(web)),
    ...routesOf(container.profile.routers(web)),
    ...routesOf(container.leads.routers(web)),
    ...routesOf(container.ciba.routers(web)),
  ];
}

/** /account itself, its security and data pages, behind the guard every change under /account passes. */
function accountRoutes(container: Container, web: WebDeps): Koa.Middleware[] {
  const { config, provider, pages, formMiddleware } = { ...web, config: container.config };
  return [
    // Every change under /account needs the account's own level and a recent sign-in: one guard before all its routers.
    createAccountChangeGuard({
      config, provider, enrolledTypes: (accountId) => container.mfa.mfa.enrolledTypes(accountId), audit: container.audit,
    }),
    createAccountRouter({
      config, provider, accounts: container.accountRepository, pages, formMiddleware, sections: container.accountSections,
    }).routes() as Koa.Middleware,
    createSecurityRouter({ config, db: container.connection.db!, provider, mfa: container.mfa, pages, formMiddleware }).routes() as Koa.Middleware,
    createAccountDataRouter({
      provider, pages, formMiddleware, users: container.users, deletionGraceDays: config.accounts.deletionGraceDays,
    }).routes() as Koa.Middleware,
  ];
}

function onlyUnder(prefixes: string[], middleware: Koa.Middleware) {
  return (ctx: Context, next: Next) => (prefixes.some((prefix) => ctx.path.startsWith(prefix)) ? middleware(ctx, next) : next());
}

function requestLog(logger: Container['logger']) {
  return async (ctx: Context, next: Next) => {
    const started = performance.now();
    ctx.state.reqId = randomUUID();
    ctx.set('X-Request-Id', ctx.state.reqId);
    try {
      await next();
    } finally {
      logger.debug({ reqId: ctx.state.reqId, method: ctx.method, path: ctx.path, status: ctx.status, ms: Math.round(performance.now() - started) }, 'request');
    }
  };
}

/** The engine answers 500 server_error when its storage fails; an unreachable MongoDB is a 503 instead. */
function engineOutageAs503(pages: Container['pages']) {
  return async (ctx: Context, next: Next) => {
    await next();
    if ((ctx.state as Record<symbol, unknown>)[DB_UNAVAILABLE]) {
      ctx.set('Retry-After', '5');
      respondWithError(ctx, pages, new AppError('service.unavailable', 503));
    }
  };
}

/** Mounts whichever engine instance is current (it is rebuilt after a key rotation). */
function mountCurrentProvider(current: () => Provider) {
  const mounted = new WeakMap<Provider, Koa.Middleware>();
  return (ctx: Context, next: Next) => {
    const provider = current();
    let middleware = mounted.get(provider);
    if (!middleware) {
      middleware = mount(provider as unknown as Koa);
      mounted.set(provider, middleware);
    }
    return middleware(ctx, next);
  };
}
