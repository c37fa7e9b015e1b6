import type { Pages } from '../http/pages.ts';
import type { EnginePages, KoaContextWithOIDC } from './provider.ts';
import { createDevicePages } from './device-pages.ts';

// The engine's own pages rendered with our layout and languages: its error page, the RP-initiated logout
// confirmation (button[name=logout][value=yes]) and the page after logout.
/** Engine errors with a sentence of their own (views/locales: errors.oidc_codes); others get the general one. */
const FRIENDLY_ERRORS = new Set(['invalid_request', 'invalid_client', 'invalid_redirect_uri', 'unauthorized_client', 'access_denied',
  'invalid_scope', 'unsupported_response_type', 'login_required', 'consent_required', 'interaction_required', 'server_error',
  'temporarily_unavailable', 'invalid_request_object', 'invalid_request_uri', 'session_not_found', 'invalid_target']);

export function createEnginePages(pages: Pages, options: { subjectFor?: SubjectFor; cookiePrefix?: string } = {}): EnginePages {
  const { subjectFor } = options;
  // The engine forgets the client once the session is ended (end_session.js forwards client_id to the success page
  // only when the person stayed signed in): the logout page notes it, for the branding of the page after.
  const logoutClientCookie = `${options.cookiePrefix ?? 'idp'}_logout_client`;
  const cookieOptions = (ctx: KoaContextWithOIDC) => ({
    signed: true, httpOnly: true, sameSite: 'lax' as const, path: '/session/end', maxAge: 10 * 60 * 1000, secure: ctx.secure,
  });
  return {
    device: createDevicePages(pages),
    async renderError(ctx, out) {
      // People get a sentence in their language and a way back, not the protocol's error_description (written for
      // the RP's developers: RFC 6749 §4.1.2.1); the code and the request id stay, small, for support.
      const known = out.error && FRIENDLY_ERRORS.has(out.error) ? out.error : 'other';
      pages.render(ctx, 'pages/oidc-error', { error: out.error, message: `errors.oidc_codes.${known}` }, {
        status: ctx.status >= 400 ? ctx.status : 400, client: clientMetadataOf(ctx),
      });
    },
    async logoutSource(ctx, form) {
      // The engine hands us its form (action + xsrf token); we render our own markup with the same two values.
      const action = /action="([^"]+)"/.exec(form)?.[1];
      const xsrf = /name="xsrf" value="([^"]+)"/.exec(form)?.[1];
      if (!action || !xsrf) throw new Error('unexpected logout form from the engine');
      const client = ctx.oidc.client;
      const clientName = client ? (client.metadata() as Record<string, string | undefined>).client_name ?? client.clientId : undefined;
      // The engine checked post_logout_redirect_uri against the client's registration (end_session.js). Browsers
      // apply form-action to the 303 that follows our form post, so the CSP must name that origin, or the browser
      // stays on our page and the RP never sees the end of its logout.
      const redirectUri = ctx.oidc.params?.post_logout_redirect_uri as string | undefined;
      // OpenID Connect RP-Initiated Logout 1.0 §2 leaves the confirmation to the OP: a hint that names this very
      // session (its sid for that client) is the RP asking for its own user's sign-out, so no question is asked.
      const template = hintNamesThisSession(ctx, subjectFor) ? 'pages/logout-auto' : 'pages/logout';
      if (client) ctx.cookies.set(logoutClientCookie, client.clientId, cookieOptions(ctx));
      pages.render(ctx, template, { action, xsrf, clientName }, { redirectUri, client: clientMetadataOf(ctx), uiLocales: uiLocalesOf(ctx) });
    },
    async postLogoutSuccessSource(ctx) {
      const noted = ctx.oidc.client ? undefined : ctx.cookies.get(logoutClientCookie, { signed: true });
      const client = ctx.oidc.client ?? (noted ? await ctx.oidc.provider.Client.find(noted).catch(() => undefined) : undefined);
      if (noted) ctx.cookies.set(logoutClientCookie, null, cookieOptions(ctx));
      const metadata = client ? (client.metadata() as Record<string, string | undefined>) : undefined;
      pages.render(ctx, 'pages/logged-out', { clientName: metadata?.client_name ?? client?.clientId, clientUri: metadata?.client_uri }, {
        client: metadata, uiLocales: uiLocalesOf(ctx),
      });
    },
  };
}

/** The client of the engine's request, when it found one: its branding goes on the page (src/branding). */
function clientMetadataOf(ctx: KoaContextWithOIDC): Record<string, unknown> | undefined {
  try {
    return ctx.oidc?.client?.metadata() as Record<string, unknown> | undefined;
  } catch {
    return undefined;
  }
}

/** RP-Initiated Logout 1.0 §2 passes `ui_locales` to the logout page, like an authorization request. */
function uiLocalesOf(ctx: KoaContextWithOIDC): string | undefined {
  const value = (ctx.oidc?.params as Record<string, unknown> | undefined)?.ui_locales;
  return typeof value === 'string' ? value : undefined;
}

/**
 * The id_token_hint was issued to this client for the browser's current session (the engine verified its signature
 * and audience). Its `sid` names the session when the client receives one; otherwise its subject and auth_time
 * (OIDC Core §2: the time of this session's sign-in) must be those of this session's sign-in.
 */
export function hintNamesThisSession(ctx: KoaContextWithOIDC, subjectFor: SubjectFor = (accountId) => accountId): boolean {
  const hint = (ctx.oidc.entities as { IdTokenHint?: { payload: { sid?: unknown; sub?: unknown; auth_time?: unknown } } }).IdTokenHint;
  const client = ctx.oidc.client;
  const session = ctx.oidc.session as unknown as { accountId?: string; loginTs?: number; sidFor(clientId: string): string | undefined } | undefined;
  if (!hint || !client || !session?.accountId) return false;
  const sid = session.sidFor(client.clientId);
  if (sid === undefined) return false;
  if (typeof hint.payload.sid === 'string') return hint.payload.sid === sid;
  return hint.payload.auth_time !== undefined && hint.payload.auth_time === session.loginTs
    && hint.payload.sub === subjectFor(session.accountId, client);
}

/** The `sub` this client sees for an account (public: the account id; pairwise: its sector's identifier). */
export type SubjectFor = (accountId: string, client: NonNullable<KoaContextWithOIDC['oidc']['client']>) => string;
