import type { Provider } from './provider.ts';

// Signs an account out of one client, leaving its sign-in sessions otherwise as they are: what the engine's own
// end_session confirm does for a single client (lib/actions/end_session.js, "logout: no": the client's entry of the
// session goes, and the client gets its back-channel logout token, OIDC Back-Channel Logout 1.0 §2.5). Used when a
// person disconnects an app on /account/apps.

type BackchannelClient = { clientId: string; backchannelLogoutUri?: string; backchannelLogoutSessionRequired?: boolean; backchannelLogout(sub: string, sid?: string): Promise<void> };

/** What a back-channel logout to one client came to (OIDC Back-Channel Logout 1.0 §2.8: a 200 or 204 is success). */
export interface BackchannelOutcome {
  clientId: string;
  ok: boolean;
  error?: string;
}

/** One logout token to the client's back-channel logout endpoint; undefined when the client registered none. */
export async function sendBackchannelLogout(provider: Provider, clientId: string, accountId: string, sid?: string): Promise<BackchannelOutcome | undefined> {
  const client = await provider.Client.find(clientId).catch(() => undefined) as unknown as BackchannelClient | undefined;
  if (!client?.backchannelLogoutUri) return undefined;
  try {
    await client.backchannelLogout(accountId, sid);
    return { clientId, ok: true };
  } catch (error) {
    // fetch reports the network failure (refused, reset, DNS) in its cause.
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    return { clientId, ok: false, error: [(error as Error).message, cause?.code ?? cause?.message].filter(Boolean).join(': ') };
  }
}

/**
 * Removes `clientId` from each of the given sessions of the account, with a logout token naming that session (`sid`).
 * When no session knew the client (an app kept only by its refresh token), a client that does not need `sid`
 * (backchannel_logout_session_required false) still gets one logout token naming the account.
 */
export async function signOutOfClient(provider: Provider, accountId: string, clientId: string, sessionUids: string[]): Promise<BackchannelOutcome[]> {
  const outcomes: BackchannelOutcome[] = [];
  let told = false;
  for (const uid of sessionUids) {
    const session = await provider.Session.findByUid(uid);
    const authorizations = session?.authorizations as Record<string, unknown> | undefined;
    if (!session || session.accountId !== accountId || !authorizations?.[clientId]) continue;
    const outcome = await sendBackchannelLogout(provider, clientId, accountId, session.sidFor(clientId) as string);
    if (outcome) outcomes.push(outcome);
    told = true;
    delete authorizations[clientId];
    await session.persist();
  }
  if (!told) {
    const client = await provider.Client.find(clientId).catch(() => undefined) as unknown as BackchannelClient | undefined;
    if (client?.backchannelLogoutUri && !client.backchannelLogoutSessionRequired) {
      const outcome = await sendBackchannelLogout(provider, clientId, accountId);
      if (outcome) outcomes.push(outcome);
    }
  }
  return outcomes;
}
