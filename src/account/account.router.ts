import { createHash, randomBytes } from 'node:crypto';
import Router from '@koa/router';
import type { Context, Middleware } from 'koa';
import type { AccountRepository } from '../accounts/account.repository.ts';
import type { Config } from '../config/config.schema.ts';
import type { Pages } from '../http/pages.ts';
import { consumeAuthorizationCode, readSignIn, type SignIn } from '../oidc/signed-in.ts';
import type { Provider } from '../oidc/provider.ts';
import { ACCOUNT_CLIENT_ID } from './account-client.ts';

// /account: the customer's own pages. Capabilities add sections (security factors, linked identities, consents)
// as links here and as routes of their own that call requireSignedIn(). Signing in goes through /auth like any
// client, so MFA and every policy apply; a sensitive action asks for a fresh sign-in with `maxAgeSeconds`.

export interface AccountSection {
  href: string;
  /** i18n key of the link text. */
  label: string;
}

export interface AccountPagesDeps {
  config: Config;
  provider: () => Provider;
  accounts: AccountRepository;
  pages: Pages;
  formMiddleware: Middleware[];
  sections: AccountSection[];
}

const STATE_COOKIE = 'account_state';
// Named segments only: no empty ("//"), dot or backslash segment a browser or proxy could resolve elsewhere. A CIBA
// approval page (/ciba/<id>, src/ciba) also asks for a sign-in and comes back here after it.
const isAccountPath = (path: unknown): path is string => typeof path === 'string' && /^\/(?:account(?:\/[\w-]+)*|ciba\/[\w-]+)$/.test(path);

/** The signed-in account, or a redirect to sign in (again, when the last sign-in is older than maxAgeSeconds). */
export async function requireSignedIn(ctx: Context, provider: Provider, options: { maxAgeSeconds?: number } = {}): Promise<SignIn | undefined> {
  const signIn = await readSignIn(provider, ctx);
  const fresh = options.maxAgeSeconds === undefined
    || (signIn?.authTime !== undefined && Date.now() / 1000 - signIn.authTime <= options.maxAgeSeconds);
  if (signIn && fresh) return signIn;
  const query = new URLSearchParams({ return: ctx.path, ...(options.maxAgeSeconds !== undefined ? { max_age: String(options.maxAgeSeconds) } : {}) });
  ctx.status = 303;
  ctx.redirect(`/account/login?${query}`);
  return undefined;
}

export function createAccountRouter(deps: AccountPagesDeps): Router {
  const router = new Router();
  const cookie = `${deps.config.cookies.prefix}_${STATE_COOKIE}`;

  router.get('/account', ...deps.formMiddleware, async (ctx) => {
    const signIn = await requireSignedIn(ctx, deps.provider());
    if (!signIn) return;
    const account = await deps.accounts.findById(signIn.accountId);
    if (!account) return void ctx.redirect('/account/login?return=/account');
    deps.pages.render(ctx, 'account/overview', {
      title: 'account.title', email: account.email, name: account.profile?.name, sections: deps.sections,
      logoutUrl: `/session/end?client_id=${ACCOUNT_CLIENT_ID}`,
    });
  });

  router.get('/account/login', async (ctx) => {
    const returnTo = isAccountPath(ctx.query.return) ? ctx.query.return : '/account';
    const state = randomBytes(16).toString('base64url');
    const verifier = randomBytes(32).toString('base64url'); // never used: our codes are consumed, not redeemed
    ctx.cookies.set(cookie, JSON.stringify({ state, returnTo }), {
      signed: true, httpOnly: true, sameSite: 'lax', path: '/account', maxAge: deps.config.ttl.interaction * 1000, secure: ctx.secure,
    });
    const params = new URLSearchParams({
      client_id: ACCOUNT_CLIENT_ID, response_type: 'code', scope: 'openid', state,
      redirect_uri: `${deps.config.issuer}/account/callback`,
      code_challenge: createHash('sha256').update(verifier).digest('base64url'), code_challenge_method: 'S256',
    });
    if (typeof ctx.query.max_age === 'string' && /^\d+$/.test(ctx.query.max_age)) params.set('max_age', ctx.query.max_age);
    if (typeof ctx.query.ui_locales === 'string') params.set('ui_locales', ctx.query.ui_locales);
    if (typeof ctx.query.acr_values === 'string' && /^[\w:.\- ]{1,200}$/.test(ctx.query.acr_values)) params.set('acr_values', ctx.query.acr_values);
    // "Add a method" on /account/security: the engine's mfa prompt then asks to enrol (src/oidc/policy/mfa.prompt.ts).
    if (ctx.query.enrol === '1') params.set('idp_enrol', '1');
    ctx.redirect(`/auth?${params}`);
  });

  router.get('/account/callback', async (ctx) => {
    const saved = ctx.cookies.get(cookie, { signed: true });
    ctx.cookies.set(cookie, null, { path: '/account' });
    const { state, returnTo } = saved ? (JSON.parse(saved) as { state: string; returnTo: string }) : { state: undefined, returnTo: '/account' };
    if (!state || ctx.query.state !== state) {
      deps.pages.render(ctx, 'pages/error', { code: 'account.sign_in_failed' }, { status: 400 });
      return;
    }
    if (typeof ctx.query.code === 'string') await consumeAuthorizationCode(deps.provider(), ctx.query.code);
    if (typeof ctx.query.error === 'string') {
      deps.pages.render(ctx, 'pages/error', { code: 'account.sign_in_failed' }, { status: 400 });
      return;
    }
    ctx.redirect(isAccountPath(returnTo) ? returnTo : '/account');
  });

  return router;
}
