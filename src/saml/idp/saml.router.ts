import Router from '@koa/router';
import type { Context, Middleware } from 'koa';
import { AppError } from '../../shared/app-error.ts';
import type { Pages } from '../../http/pages.ts';
import type { InboundMessage } from './authn-request.reader.ts';
import { readRedirectQuery } from './binding.codec.ts';
import type { IdpCredentials } from './idp-credentials.ts';
import { buildIdpMetadata } from './metadata.builder.ts';
import { renderPost } from './post-binding.ts';
import type { ResponseService } from './response.service.ts';
import type { SloService } from './slo.service.ts';
import { SAML_CALLBACK_PATH } from './sp-registry.service.ts';
import type { SsoService } from './sso.service.ts';

// The SAML IdP endpoints (DESIGN.md public contract): /saml/metadata, /saml/sso (Redirect + POST),
// /saml/sso/init (IdP-initiated), /saml/slo (Redirect + POST). SPs POST to us cross-site, so these POST
// routes parse the body without our CSRF check: the SAML message itself is what is verified.

export interface SamlRouterDeps {
  pages: Pages;
  credentials: IdpCredentials;
  sso: SsoService;
  responses: ResponseService;
  slo: SloService;
  /** The form body parser of the app (urlencoded), without CSRF. */
  bodyParser: Middleware;
  metadataValidSeconds: number;
  /** The engine session uid of this browser, and whether a session still exists (see oidc/signed-in.ts). */
  sessionUidOf(ctx: Context): Promise<string | undefined>;
  sessionExists(uid: string): Promise<boolean>;
}

/**
 * The message as received. On HTTP-Redirect the raw query (ctx.querystring, not koa's decoded ctx.query) is read
 * once: the parameters used and the octets whose signature is checked must be the same pairs (binding.codec.ts).
 */
export function inbound(ctx: Context): InboundMessage {
  if (ctx.method === 'POST') return { binding: 'post', params: (ctx.request.body ?? {}) as Record<string, unknown> };
  const query = readRedirectQuery(ctx.querystring);
  return { binding: 'redirect', params: query.params, query };
}

export function createSamlRouter(deps: SamlRouterDeps): Router {
  const router = new Router();

  router.get('/saml/metadata', async (ctx) => {
    const signed = ctx.query.signed === '1' || ctx.query.signed === 'true';
    const validUntil = new Date(Date.now() + deps.metadataValidSeconds * 1000);
    ctx.type = 'application/samlmetadata+xml';
    ctx.set('Cache-Control', `public, max-age=${Math.min(deps.metadataValidSeconds, 3600)}`);
    ctx.body = buildIdpMetadata(deps.credentials.identity, await deps.credentials.credentials(), { signed, validUntil });
  });

  const sso = async (ctx: Context) => {
    ctx.set('Cache-Control', 'no-store');
    ctx.status = 303;
    ctx.redirect(await deps.sso.begin(ctx, inbound(ctx)));
  };
  router.get('/saml/sso', sso);
  router.post('/saml/sso', deps.bodyParser, sso);

  router.get('/saml/sso/init', async (ctx) => {
    ctx.set('Cache-Control', 'no-store');
    ctx.redirect(await deps.sso.beginIdpInitiated(ctx, ctx.query.sp, ctx.query.RelayState));
  });

  router.get(SAML_CALLBACK_PATH, async (ctx) => {
    const pending = await deps.sso.takePending(ctx);
    const query = {
      code: typeof ctx.query.code === 'string' ? ctx.query.code : undefined,
      error: typeof ctx.query.error === 'string' ? ctx.query.error : undefined,
    };
    const form = await deps.responses.complete(pending, query);
    if (!form) throw new AppError('saml.sign_in_failed', 400);
    renderPost(ctx, deps.pages, form);
  });

  const slo = async (ctx: Context) => {
    ctx.set('Cache-Control', 'no-store');
    await deps.slo.handle(ctx, inbound(ctx));
  };
  router.get('/saml/slo', slo);
  router.post('/saml/slo', deps.bodyParser, slo);
  // Our own logout page (the engine's /session/end/confirm): once the engine has ended the session, the SAML SPs
  // that took part in it get their LogoutRequests before the browser goes where the engine sent it.
  router.post('/session/end/confirm', async (ctx, next) => {
    const before = await deps.sessionUidOf(ctx);
    await next();
    if (!before || ctx.status !== 303 || (await deps.sessionExists(before))) return;
    await deps.slo.afterEngineLogout(ctx, before, ctx.response.get('Location') || undefined);
  });

  return router;
}
