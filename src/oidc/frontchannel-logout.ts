import Router from '@koa/router';
import type { Context } from 'koa';
import type { Pages } from '../http/pages.ts';
import { BASE_CSP } from '../http/security-headers.ts';
import type Provider from 'oidc-provider';

// OpenID Connect Front-Channel Logout 1.0, around the engine's own RP-initiated logout (the engine dropped its
// front-channel support in v7). Clients register frontchannel_logout_uri and frontchannel_logout_session_required
// (§2); discovery says we support both (§3); when our logout confirmation ends a session, the page after it renders
// one invisible iframe per RP that was signed in through that session, with `iss` and `sid` when the RP asked for
// them (§2: both or neither), then sends the browser where the engine was going (post_logout_redirect_uri with state, or our
// "signed out" page). The engine's ID tokens carry `sid` for such RPs, so they can match the request (§3).

export const FRONTCHANNEL_METADATA = ['frontchannel_logout_uri', 'frontchannel_logout_session_required'] as const;

/** §3: OP metadata. */
export const FRONTCHANNEL_DISCOVERY = { frontchannel_logout_supported: true, frontchannel_logout_session_supported: true };

/**
 * §2: the URI is absolute, without fragment, https (http only outside production; the spec allows http for
 * confidential clients, we keep it to development), and its scheme, host and port are those of a registered
 * redirect_uri. Returns a problem, or undefined.
 */
export function frontchannelMetadataProblem(key: string, value: unknown, metadata: { redirect_uris?: unknown }, allowHttp: boolean): string | undefined {
  if (value === undefined) return undefined;
  if (key === 'frontchannel_logout_session_required') return typeof value === 'boolean' ? undefined : `${key} must be a boolean`;
  if (key !== 'frontchannel_logout_uri') return undefined;
  const url = typeof value === 'string' ? URL.parse(value) : null;
  if (!url || url.hash || (url.protocol !== 'https:' && !(allowHttp && url.protocol === 'http:'))) {
    return `${key} must be an absolute ${allowHttp ? 'http(s)' : 'https'} URL without a fragment`;
  }
  const redirectOrigins = (Array.isArray(metadata.redirect_uris) ? metadata.redirect_uris : []).map((uri) => URL.parse(String(uri))?.origin);
  if (!redirectOrigins.includes(url.origin)) return `${key} must have the scheme, host and port of a registered redirect_uri`;
  return undefined;
}

/**
 * The engine puts `sid` in ID tokens only for back-channel clients that require it (Client#includeSid). Front-channel
 * clients that require the session need it too (§3). `provider.Client` is this engine instance's own class.
 */
export function includeSidForFrontchannel(provider: Provider): void {
  const proto = provider.Client.prototype as unknown as { includeSid(this: { metadata(): Record<string, unknown> }): boolean };
  const includeSid = proto.includeSid;
  proto.includeSid = function includeSidOrFrontchannel() {
    const metadata = this.metadata();
    return includeSid.call(this) || Boolean(metadata.frontchannel_logout_uri && metadata.frontchannel_logout_session_required === true);
  };
}

/** §2: the RP's URI with iss and sid added to its own query, when it registered session_required. */
export function frontchannelFrameUrl(metadata: Record<string, unknown>, issuer: string, sid: string | undefined): string | undefined {
  if (typeof metadata.frontchannel_logout_uri !== 'string') return undefined;
  const url = new URL(metadata.frontchannel_logout_uri);
  if (metadata.frontchannel_logout_session_required === true && sid) {
    url.searchParams.set('iss', issuer);
    url.searchParams.set('sid', sid);
  }
  return url.href;
}

interface SessionShape {
  accountId?: string;
  authorizations?: Record<string, { sid?: string }>;
  state?: { clientId?: string };
}

export function createFrontchannelLogoutRouter(deps: { provider: () => Provider; pages: Pages; issuer: string }): Router {
  const router = new Router();
  // Outermost on the engine's logout confirmation: the SAML SLO chain (src/saml/idp/saml.router.ts) runs inside, and
  // the frames go first when the response is still a redirect.
  router.post('/session/end/confirm', async (ctx, next) => {
    const session = (await deps.provider().Session.get(ctx as never)) as unknown as SessionShape | undefined;
    const signedIn = session?.accountId ? { authorizations: { ...session.authorizations }, initiator: session.state?.clientId } : undefined;
    await next();
    if (!signedIn || ctx.status !== 303) return;
    const continueUrl = ctx.response.get('Location');
    // The engine's rule (lib/actions/end_session.js): "logout=yes" ends every client's part; otherwise only the
    // initiating client's.
    const everyone = Boolean((ctx as Context & { oidc?: { params?: { logout?: unknown } } }).oidc?.params?.logout);
    const frames = await framesFor(deps, signedIn.authorizations, everyone ? undefined : signedIn.initiator);
    if (!frames.length || !continueUrl) return;
    renderFrames(ctx, deps.pages, frames, continueUrl);
  });
  return router;
}

async function framesFor(deps: { provider: () => Provider; issuer: string }, authorizations: Record<string, { sid?: string }>, only?: string): Promise<string[]> {
  const frames: string[] = [];
  for (const [clientId, { sid }] of Object.entries(authorizations)) {
    if (only !== undefined && clientId !== only) continue;
    const client = await deps.provider().Client.find(clientId).catch(() => undefined);
    const url = client ? frontchannelFrameUrl(client.metadata() as Record<string, unknown>, deps.issuer, sid) : undefined;
    if (url) frames.push(url);
  }
  return frames;
}

function renderFrames(ctx: Context, pages: Pages, frames: string[], continueUrl: string): void {
  ctx.remove('Location');
  pages.render(ctx, 'pages/logout-frontchannel', { title: 'logout.frontchannel_title', frames, continueUrl });
  // frame-src names exactly the RPs' origins; the continue link is a plain navigation (not governed by CSP).
  const origins = [...new Set(frames.map((frame) => new URL(frame).origin))];
  ctx.set('Content-Security-Policy', [...BASE_CSP, `frame-src ${origins.join(' ')}`, "form-action 'self'"].join('; '));
}
