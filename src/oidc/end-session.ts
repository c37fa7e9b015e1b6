import { sendBackchannelLogout, type BackchannelOutcome } from './client-logout.ts';
import type { Provider } from './provider.ts';

// Ends one sign-in session of the engine outside its own /session/end flow (a SAML LogoutRequest has no OIDC
// request to hang on): the same steps as the engine's end_session confirm (lib/actions/end_session.js):
// back-channel logout to every client of the session that registered a backchannel_logout_uri (OIDC
// Back-Channel Logout 1.0 §2.5), revocation of the grants that do not persist logout with their tokens, then
// the session itself.

export type { BackchannelOutcome };

export async function endSessionByUid(provider: Provider, sessionUid: string): Promise<{ ended: boolean; accountId?: string; backchannel: BackchannelOutcome[] }> {
  const session = await provider.Session.findByUid(sessionUid);
  if (!session) return { ended: false, backchannel: [] };
  const accountId = session.accountId as string | undefined;
  const authorizations = (session.authorizations ?? {}) as Record<string, { grantId?: string; persistsLogout?: boolean }>;
  const backchannel = accountId
    ? await Promise.all(Object.keys(authorizations).map((clientId) => sendBackchannelLogout(provider, clientId, accountId, session.sidFor(clientId) as string)))
    : [];
  for (const { grantId, persistsLogout } of Object.values(authorizations)) {
    if (!grantId || persistsLogout) continue;
    await Promise.all([provider.AccessToken, provider.RefreshToken, provider.AuthorizationCode].map((model) => model.revokeByGrantId(grantId)));
    await provider.Grant.adapter.destroy(grantId);
  }
  await session.destroy();
  return { ended: true, accountId, backchannel: backchannel.filter((b): b is BackchannelOutcome => b !== undefined) };
}

/**
 * Ends every session of an account as the engine's logout would, one by one: each RP signed in through one of them
 * gets its back-channel logout token (account deletion, OIDC Back-Channel Logout 1.0 §2.5).
 */
export async function endEverySession(provider: Provider, sessionUids: string[]): Promise<BackchannelOutcome[]> {
  const outcomes: BackchannelOutcome[] = [];
  for (const uid of sessionUids) outcomes.push(...(await endSessionByUid(provider, uid)).backchannel);
  return outcomes;
}
