import type { Context } from 'koa';
import type { Provider } from './provider.ts';

// Who is signed in on this browser, read from the engine's own session cookie (Session.get works on any koa
// context of the app the engine is mounted in). Used by our account pages; never trusts anything else.
export interface SignIn {
  accountId: string;
  acr?: string;
  amr?: string[];
  /** When the user last actively authenticated (seconds since the epoch). */
  authTime?: number;
}

export async function readSignIn(provider: Provider, ctx: Context): Promise<SignIn | undefined> {
  const session = await provider.Session.get(ctx as never);
  if (!session?.accountId) return undefined;
  return { accountId: session.accountId, acr: session.acr, amr: session.amr, authTime: session.loginTs };
}

/** Marks an authorization code as used: our own account client never redeems its codes at the token endpoint. */
export async function consumeAuthorizationCode(provider: Provider, code: string): Promise<void> {
  const stored = await provider.AuthorizationCode.find(code).catch(() => undefined);
  await stored?.consume();
}

/** The uid of this browser's engine session, if it has a signed-in one (used to follow it through a logout). */
export async function sessionUidOf(provider: Provider, ctx: Context): Promise<string | undefined> {
  const session = await provider.Session.get(ctx as never);
  return session?.accountId ? (session.uid as string) : undefined;
}

export async function sessionExists(provider: Provider, uid: string): Promise<boolean> {
  return (await provider.Session.findByUid(uid)) !== undefined;
}
