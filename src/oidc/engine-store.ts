import type { mongo } from 'mongoose';
import { engineCollectionName } from './adapter/mongo.adapter.ts';

// Reads of the engine's stored models for features beside the engine (SAML, account pages, events), so that only
// src/oidc knows the layout the adapter writes: one collection per model, `{ _id, payload, expiresAt }` with the
// engine's own payload fields (mongo.adapter.ts). account-sessions.ts does the same for sessions and grants.

/** The engine collections watched by the event deriver (src/events). */
export const ENGINE_COLLECTIONS = {
  grants: engineCollectionName('Grant'),
  clients: engineCollectionName('Client'),
} as const;

/** The client_name of a stored client document (RFC 7591 §2 metadata), as a change stream hands it over. */
export function storedClientName(doc: Record<string, any> | null | undefined): unknown {
  return doc?.payload?.client_name;
}

/** The fields of the engine's AuthorizationCode payload the SAML Response is built from (oidc-provider models). */
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

// The SAML callback's authorization code (saml/idp/sso.service.ts: the AuthnRequest became an authorization request
// of the SP's internal client), taken in ONE atomic round trip: found and deleted together, so a code serves one
// Response even when two callbacks race (find-then-consume through the engine's model took two round trips and let
// both through). Deleting instead of marking it consumed is safe: these codes are never redeemed at /token (the PKCE
// verifier is discarded), so there is no later redemption whose replay detection would need the consumed mark.
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

/** A stored client: its registered metadata, and our `internal` mark (our own clients, never listed as apps). */
export interface StoredClient {
  _id: string;
  payload: Record<string, unknown>;
  internal?: boolean;
}

export function createEngineClients(db: mongo.Db) {
  const clients = db.collection<StoredClient>(engineCollectionName('Client'));
  const grants = db.collection(engineCollectionName('Grant'));
  return {
    /** The stored clients of these ids (unknown ids are left out). */
    async byIds(ids: string[]): Promise<StoredClient[]> {
      return clients.find({ _id: { $in: ids } }).toArray();
    },

    /** Which of these clients are our own (marked `internal` in the client store). */
    async internalIds(ids: string[]): Promise<Set<string>> {
      return new Set((await clients.find({ _id: { $in: ids }, internal: true }, { projection: { _id: 1 } }).toArray()).map((c) => c._id));
    },

    /** Whether the account holds a grant of a client whose metadata requires MFA (`mfa_policy: required`). */
    async grantedToMfaRequiredClient(accountId: string): Promise<boolean> {
      const clientIds = await grants.distinct('payload.clientId', { 'payload.accountId': accountId });
      if (!clientIds.length) return false;
      const count = await clients.countDocuments({ _id: { $in: clientIds as never[] }, 'payload.mfa_policy': 'required' });
      return count > 0;
    },
  };
}

export type EngineClients = ReturnType<typeof createEngineClients>;
