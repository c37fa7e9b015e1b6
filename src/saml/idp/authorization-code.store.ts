import type { mongo } from 'mongoose';
import { engineCollectionName } from '../../oidc/adapter/mongo.adapter.ts';

// The SAML callback's authorization code (sso.service.ts: the AuthnRequest became an authorization request of the
// SP's internal client), taken in ONE atomic round trip: found and deleted together, so a code serves one Response
// even when two callbacks race (find-then-consume through the engine's model took two round trips and let both
// through). Deleting instead of marking it consumed is safe: these codes are never redeemed at /token (the PKCE
// verifier is discarded), so there is no later redemption whose replay detection would need the consumed mark.

/** The fields of the engine's AuthorizationCode payload the Response is built from (oidc-provider models). */
export interface TakenCode {
  clientId: string;
  accountId?: string;
  sessionUid?: string;
  sid?: string;
  acr?: string;
  authTime?: number;
  scope?: string;
}

interface StoredCode {
  _id: string;
  payload: TakenCode & { kind?: string; exp?: number; consumed?: number };
}

export function createAuthorizationCodeTaker(db: mongo.Db) {
  const codes = db.collection<StoredCode>(engineCollectionName('AuthorizationCode'));
  /** The code of this client, once; a code of another client is left alone. */
  return async function take(code: string, clientId: string): Promise<TakenCode | undefined> {
    if (!code || code.length > 256) return undefined;
    const stored = await codes.findOneAndDelete(
      { _id: code, 'payload.kind': 'AuthorizationCode', 'payload.clientId': clientId, 'payload.consumed': { $exists: false } },
      { projection: { payload: 1 } },
    );
    const payload = stored?.payload;
    // Expiry as the engine's verify does it (exp in seconds); the TTL index may not have removed it yet.
    if (!payload || typeof payload.exp !== 'number' || payload.exp <= Math.floor(Date.now() / 1000)) return undefined;
    return payload;
  };
}

export type AuthorizationCodeTaker = ReturnType<typeof createAuthorizationCodeTaker>;
