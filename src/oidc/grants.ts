import type { KoaContextWithOIDC } from 'oidc-provider';
import type Provider from 'oidc-provider';

// Grants record what an account allowed a client (scopes, claims, API scopes). For first-party clients (our own
// brand sites) the grant is completed here from the request, so the consent prompt never shows; for everyone
// else the consent stage adds what the user allowed. Pattern from the engine's docs (loadExistingGrant).

export async function loadGrant(ctx: KoaContextWithOIDC) {
  const { oidc } = ctx;
  const client = oidc.client!;
  const grantId = oidc.result?.consent?.grantId ?? oidc.session!.grantIdFor(client.clientId);
  let grant = grantId ? await oidc.provider.Grant.find(grantId) : undefined;
  if (client.metadata().first_party !== true) return grant;

  const fresh = !grant;
  grant ??= new oidc.provider.Grant({ clientId: client.clientId, accountId: oidc.session!.accountId });
  let changed = fresh;
  const encountered = new Set(grant.getOIDCScopeEncountered().split(' '));
  const missingScopes = [...oidc.requestParamOIDCScopes].filter((scope) => !encountered.has(scope));
  if (missingScopes.length) {
    grant.addOIDCScope(missingScopes.join(' '));
    changed = true;
  }
  const claims = new Set(grant.getOIDCClaimsEncountered());
  const missingClaims = [...oidc.requestParamClaims].filter((claim) => !claims.has(claim));
  if (missingClaims.length) {
    grant.addOIDCClaims(missingClaims);
    changed = true;
  }
  for (const [indicator, server] of Object.entries(oidc.resourceServers ?? {})) {
    const had = new Set(grant.getResourceScopeEncountered(indicator).split(' '));
    const wanted = [...oidc.requestParamScopes].filter((scope) => server.scopes.has(scope) && !had.has(scope));
    if (wanted.length) {
      grant.addResourceScope(indicator, wanted.join(' '));
      changed = true;
    }
  }
  if (changed) await grant.save();
  return grant;
}

export interface ConsentDetails {
  missingOIDCScope?: string[];
  missingOIDCClaims?: string[];
  missingResourceScopes?: Record<string, string[]>;
}

/** Adds what the consent prompt found missing to the grant (new or existing); returns the grant id. */
export async function grantConsent(
  provider: Provider,
  input: { grantId?: string; accountId: string; clientId: string; details: ConsentDetails },
): Promise<string> {
  const grant = (input.grantId ? await provider.Grant.find(input.grantId) : undefined)
    ?? new provider.Grant({ accountId: input.accountId, clientId: input.clientId });
  if (input.details.missingOIDCScope) grant.addOIDCScope(input.details.missingOIDCScope.join(' '));
  if (input.details.missingOIDCClaims) grant.addOIDCClaims(input.details.missingOIDCClaims);
  for (const [indicator, scopes] of Object.entries(input.details.missingResourceScopes ?? {})) {
    grant.addResourceScope(indicator, scopes.join(' '));
  }
  return grant.save();
}
