import { interactionPolicy, type KoaContextWithOIDC } from 'oidc-provider';
import { ACCOUNT_CLIENT_ID } from '../../account/account-client.ts';
import type { ClientMfaPolicy, MfaDecision, MfaFacts } from '../../mfa/mfa-policy.service.ts';

// The engine-facing half of MFA: an `mfa` prompt after `login`. Its check turns the engine's context into
// plain facts and asks the MFA policy service; the stage in src/interaction/stages/mfa answers the prompt.
// The decision is kept per request so the prompt details (what level, why, which factors) match the check.
const { Prompt, Check } = interactionPolicy;
type Policy = ReturnType<typeof interactionPolicy.base>;

export interface MfaPromptHooks {
  evaluate(facts: MfaFacts): Promise<MfaDecision>;
}

const decisions = new WeakMap<object, MfaDecision>();

function requestedAcr(ctx: KoaContextWithOIDC): string[] {
  const claim = (ctx.oidc.claims as { id_token?: { acr?: { value?: string; values?: string[] } } }).id_token?.acr;
  const fromParam = typeof ctx.oidc.params?.acr_values === 'string' ? ctx.oidc.params.acr_values.split(' ') : [];
  return [...new Set([...fromParam, ...(claim?.values ?? []), ...(claim?.value ? [claim.value] : [])])].filter(Boolean);
}

/**
 * `idp_enrol=1`: the account page's "add a method" sign-in (registered in the engine's extraParams). Only our own
 * account client may ask; a site sending it is ignored. It holds until the enrol stage finished with
 * `{ mfa: { enrolled: true } }` in this request's result (later stages merge their result into it): without that
 * marker the engine would re-run this check after the enrolment and ask to enrol again, forever.
 */
export const ADD_FACTOR_PARAM = 'idp_enrol';

function addFactorAsked(ctx: KoaContextWithOIDC): boolean {
  const { oidc } = ctx;
  if (oidc.client?.clientId !== ACCOUNT_CLIENT_ID || oidc.params?.[ADD_FACTOR_PARAM] !== '1') return false;
  return (oidc.result as { mfa?: { enrolled?: unknown } } | undefined)?.mfa?.enrolled !== true;
}

function factsFrom(ctx: KoaContextWithOIDC): MfaFacts {
  const { oidc } = ctx;
  const session = oidc.session!;
  const policy = (oidc.client!.metadata() as { mfa_policy?: ClientMfaPolicy }).mfa_policy ?? 'optional';
  return {
    accountId: session.accountId!,
    clientId: oidc.client!.clientId,
    clientPolicy: policy,
    requestedAcr: requestedAcr(ctx),
    session: { uid: session.uid, acr: session.acr, amr: session.amr, loginTs: session.loginTs },
    freshLogin: Boolean((oidc.result as { login?: unknown } | undefined)?.login),
    addFactor: addFactorAsked(ctx),
    request: {
      ip: ctx.ip,
      userAgent: ctx.get('user-agent') || undefined,
      header: (name) => ctx.get(name) || undefined,
      cookie: {
        get: (name) => ctx.cookies.get(name),
        set: (name, value, maxAgeMs) => ctx.cookies.set(name, value, {
          httpOnly: true, sameSite: 'lax', path: '/', secure: ctx.secure, maxAge: maxAgeMs, overwrite: true,
        }),
      },
    },
  };
}

export function createMfaPrompt(hooks: MfaPromptHooks) {
  return new Prompt(
    { name: 'mfa', requestable: false },
    new Check('mfa_required', 'a second authentication factor is required', async (ctx) => {
      if (!ctx.oidc.session?.accountId) return Check.NO_NEED_TO_PROMPT;
      const decision = await hooks.evaluate(factsFrom(ctx));
      decisions.set(ctx, decision);
      return decision.needed ? Check.REQUEST_PROMPT : Check.NO_NEED_TO_PROMPT;
    }, (ctx) => ({ mfa: decisions.get(ctx) })),
  );
}

/**
 * The engine's login prompt re-asks for a full login when an essential acr is not exactly the session's
 * (checks essential_acr / essential_acrs). Our levels are ordered and the mfa prompt asks only for the missing step
 * (a password session asked for MFA adds the second factor, not a new password), so those two checks move to the
 * mfa prompt.
 */
export function adjustPolicyForMfa(policy: Policy): void {
  const login = policy.get('login');
  login?.checks.remove('essential_acr');
  login?.checks.remove('essential_acrs');
}
