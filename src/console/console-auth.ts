import { createHash, randomBytes } from 'node:crypto';
import type { Context } from 'koa';
import type { AccountDocument } from '../accounts/account.model.ts';
import type { BearerPrincipal } from '../admin/bearer-auth.ts';
import type { Config } from '../config/config.schema.ts';
import { ACR, levelOf } from '../mfa/acr.ts';
import { consumeAuthorizationCode, readSignIn } from '../oidc/signed-in.ts';
import type { Provider } from '../oidc/provider.ts';
import { MANAGEMENT_SCOPES } from '../oidc/resource-servers.ts';
import { CONSOLE_CLIENT_ID } from './console-client.ts';

// Who may use the console, and as whom it acts. A person signs in through /auth as the console client (MFA is
// required there); the console then reads the engine's session, demands an MFA-level sign-in no older than
// `console.sessionSeconds`, and an account role. The role decides the scopes the admin API's operations see:
// admin -> idp:admin (read and write), auditor -> idp:admin:read.

export type ConsoleRole = 'admin' | 'auditor';

export interface ConsoleUser {
  account: AccountDocument;
  role: ConsoleRole;
  principal: BearerPrincipal;
}

const STATE_COOKIE = 'console_state';
const isConsolePath = (path: unknown): path is string => typeof path === 'string' && /^\/admin(?:\/[\w.-]+)*$/.test(path) && !path.includes('..');

export function scopesOfRole(role: ConsoleRole): Set<string> {
  return new Set(role === 'admin' ? [MANAGEMENT_SCOPES.admin, MANAGEMENT_SCOPES.adminRead] : [MANAGEMENT_SCOPES.adminRead]);
}

export function createConsoleAuth(deps: { config: Config; provider: () => Provider; findAccount: (id: string) => Promise<AccountDocument | null> }) {
  const cookie = `${deps.config.cookies.prefix}_${STATE_COOKIE}`;

  function toLogin(ctx: Context, fresh: boolean) {
    const query = new URLSearchParams({ return: isConsolePath(ctx.path) && ctx.method === 'GET' ? ctx.path : '/admin', ...(fresh ? { fresh: '1' } : {}) });
    ctx.status = 303;
    ctx.redirect(`/admin/login?${query}`);
  }

  return {
    /** The signed-in console user, or (having answered the request) undefined: a redirect to sign in, or 403. */
    async require(ctx: Context): Promise<ConsoleUser | undefined> {
      const signIn = await readSignIn(deps.provider(), ctx);
      if (!signIn) return void toLogin(ctx, false);
      const recent = signIn.authTime !== undefined && Date.now() / 1000 - signIn.authTime <= deps.config.console.sessionSeconds;
      if (!recent || levelOf(signIn.acr) < 2) return void toLogin(ctx, true);
      const account = await deps.findAccount(signIn.accountId);
      const role: ConsoleRole | undefined = account?.status === 'active' ? (account.roles?.includes('admin') ? 'admin' : account.roles?.includes('auditor') ? 'auditor' : undefined) : undefined;
      if (!account || !role) {
        ctx.status = 403;
        return undefined;
      }
      return { account, role, principal: { clientId: CONSOLE_CLIENT_ID, accountId: account._id, scopes: scopesOfRole(role) } };
    },

    /** /admin/login: an authorization request of the console client (fresh: a new sign-in, max_age=0). */
    login(ctx: Context) {
      const returnTo = isConsolePath(ctx.query.return) ? ctx.query.return : '/admin';
      const state = randomBytes(16).toString('base64url');
      const verifier = randomBytes(32).toString('base64url'); // never redeemed: the code is consumed (signed-in.ts)
      ctx.cookies.set(cookie, JSON.stringify({ state, returnTo }), {
        signed: true, httpOnly: true, sameSite: 'lax', path: '/admin', maxAge: deps.config.ttl.interaction * 1000, secure: ctx.secure,
      });
      const params = new URLSearchParams({
        client_id: CONSOLE_CLIENT_ID, response_type: 'code', scope: 'openid', state,
        redirect_uri: `${deps.config.issuer}/admin/callback`, acr_values: ACR.mfa,
        code_challenge: createHash('sha256').update(verifier).digest('base64url'), code_challenge_method: 'S256',
      });
      if (ctx.query.fresh === '1') params.set('max_age', '0');
      if (typeof ctx.query.ui_locales === 'string' && /^[a-z]{2}$/.test(ctx.query.ui_locales)) params.set('ui_locales', ctx.query.ui_locales);
      ctx.redirect(`/auth?${params}`);
    },

    /** /admin/callback: the state must match this browser's; the code is consumed, never left redeemable. */
    async callback(ctx: Context): Promise<boolean> {
      const saved = ctx.cookies.get(cookie, { signed: true });
      ctx.cookies.set(cookie, null, { path: '/admin' });
      const { state, returnTo } = saved ? (JSON.parse(saved) as { state: string; returnTo: string }) : { state: undefined, returnTo: '/admin' };
      if (typeof ctx.query.code === 'string') await consumeAuthorizationCode(deps.provider(), ctx.query.code);
      if (!state || ctx.query.state !== state || typeof ctx.query.error === 'string') return false;
      ctx.status = 303;
      ctx.redirect(isConsolePath(returnTo) ? returnTo : '/admin');
      return true;
    },
  };
}

export type ConsoleAuth = ReturnType<typeof createConsoleAuth>;
