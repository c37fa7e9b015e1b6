import type { Context, Middleware, Next } from 'koa';
import type { Config } from '../config/config.schema.ts';
import type { Audit } from '../shared/audit.ts';
import { ACR, levelOf } from '../mfa/acr.ts';
import { readSignIn, type SignIn } from '../oidc/signed-in.ts';
import type { Provider } from '../oidc/provider.ts';

// Every change on the account pages (/account/*: profile, linked identities, consents, sign-in security) needs the
// account's own level and a recent sign-in. The engine session is shared by all sites: a password-only session from
// a site whose mfa_policy is 'off' must not be enough to change an account that has a second factor (NIST SP 800-63B
// §4.2: an account's own authenticators set the assurance it needs; re-authentication before sensitive changes,
// OWASP ASVS V3). Reading stays at the session's level. Mounted once in front of all account routers (app.ts), so a
// new account route is guarded without having to remember it.

export interface AccountChangeGuardDeps {
  config: Config;
  provider: () => Provider;
  /** The account's sign-in factors (recovery codes excluded), as the MFA service lists them. */
  enrolledTypes(accountId: string): Promise<readonly string[]>;
  audit: Audit;
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** The page a change is made from: the account section (/account/identities for /account/identities/unlink). */
export const sectionOf = (path: string): string => /^\/account\/[\w-]+/.exec(path)?.[0] ?? '/account';

/** What the session lacks for a change: nothing, or a fresh sign-in and/or the second factor. */
export async function missingForChange(signIn: SignIn, deps: AccountChangeGuardDeps): Promise<{ fresh: boolean; mfa: boolean } | undefined> {
  const fresh = signIn.authTime === undefined || Date.now() / 1000 - signIn.authTime > deps.config.mfa.recentAuthSeconds;
  // MFA when the account has a factor (its strongest own level, as the sign-in policy uses it: mfa-policy.service.ts).
  const mfa = levelOf(signIn.acr) < 2 && (await deps.enrolledTypes(signIn.accountId)).length > 0;
  return fresh || mfa ? { fresh, mfa } : undefined;
}

/**
 * The step-up sign-in through the account client (account.router.ts /account/login), back to `page` afterwards:
 * acr_values asks the engine's mfa prompt for the second factor (OIDC Core §3.1.2.1), max_age=0 for a new sign-in.
 */
export function stepUpUrl(page: string, missing: { fresh: boolean; mfa: boolean }): string {
  const query = new URLSearchParams({ return: page, ...(missing.fresh ? { max_age: '0' } : {}), ...(missing.mfa ? { acr_values: ACR.mfa } : {}) });
  return `/account/login?${query}`;
}

export function createAccountChangeGuard(deps: AccountChangeGuardDeps): Middleware {
  return async (ctx: Context, next: Next) => {
    if (SAFE_METHODS.has(ctx.method) || !(ctx.path === '/account' || ctx.path.startsWith('/account/'))) return next();
    const signIn = await readSignIn(deps.provider(), ctx);
    const missing = signIn ? await missingForChange(signIn, deps) : { fresh: true, mfa: false };
    if (!missing) return next();
    if (signIn) deps.audit('account_change.step_up_required', { accountId: signIn.accountId, path: ctx.path, ...missing });
    // 303: the browser follows with a GET (RFC 9110 §15.4.4); the change is not made and is made again after.
    ctx.set('Cache-Control', 'no-store');
    ctx.status = 303;
    ctx.redirect(stepUpUrl(sectionOf(ctx.path), missing));
  };
}
