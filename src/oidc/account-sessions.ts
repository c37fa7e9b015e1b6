import type { mongo } from 'mongoose';
import type { ChangeCaches } from '../db/change-cache.ts';
import { CACHED_MODELS as CACHED_ENGINE_MODELS, ENGINE_MODELS, engineCollectionName, isGrantable } from './adapter/mongo.adapter.ts';

// An account's sign-in sessions and app grants as the engine stores them (`oidc_session`, `oidc_grant`: see
// mongo.adapter.ts), for the people who manage accounts. This file, engine-store.ts and the adapter are the only
// ones that know the engine's payload layout.

export interface SessionView {
  id: string;
  /** The engine's session uid (stable for the session's life; the key of endSessionByUid). */
  uid?: string;
  /** When the person signed in (OIDC Core §2 auth_time). */
  loginAt?: Date;
  acr?: string;
  amr?: string[];
  /** Clients this session has signed in to. */
  clients: string[];
  expiresAt?: Date;
}

export interface GrantView {
  id: string;
  client: string;
  scope?: string;
  /** Scopes granted per API (RFC 8707 resource indicators). */
  resources?: Record<string, string>;
  createdAt?: Date;
  expiresAt?: Date;
}

interface Stored {
  _id: string;
  payload: Record<string, unknown>;
  expiresAt?: Date;
}

const epoch = (value: unknown) => (typeof value === 'number' ? new Date(value * 1000) : undefined);

export function createAccountSessions(db: mongo.Db, caches?: ChangeCaches) {
  const sessions = db.collection<Stored>(engineCollectionName('Session'));
  const grants = db.collection<Stored>(engineCollectionName('Grant'));
  // Sessions deleted here leave the adapter's session cache at once (other instances: through the change stream).
  const cachedSessions = caches?.for(sessions.collectionName);
  const live = () => ({ $or: [{ expiresAt: { $exists: false } }, { expiresAt: { $gt: new Date() } }] });

  async function deleteGrants(ids: string[]): Promise<void> {
    if (!ids.length) return;
    for (const model of ENGINE_MODELS.filter(isGrantable)) {
      await db.collection(engineCollectionName(model)).deleteMany({ 'payload.grantId': { $in: ids } });
    }
    await grants.deleteMany({ _id: { $in: ids } });
    const cached = caches?.for(grants.collectionName);
    for (const id of ids) cached?.evict(id);
  }

  return {
    async listSessions(accountId: string): Promise<SessionView[]> {
      const docs = await sessions.find({ 'payload.accountId': accountId, ...live() }).limit(200).toArray();
      return docs.map(({ _id, payload, expiresAt }) => ({
        id: _id,
        uid: payload.uid as string | undefined,
        loginAt: epoch(payload.loginTs),
        acr: payload.acr as string | undefined,
        amr: payload.amr as string[] | undefined,
        clients: Object.keys((payload.authorizations as Record<string, unknown> | undefined) ?? {}),
        expiresAt,
      }));
    },
    /** Ends one session (that browser is signed out at its next request); false when it is not this account's. */
    async endSession(accountId: string, sessionId: string): Promise<boolean> {
      const ended = (await sessions.deleteOne({ _id: sessionId, 'payload.accountId': accountId })).deletedCount === 1;
      if (ended) cachedSessions?.evict(sessionId);
      return ended;
    },
    async endAllSessions(accountId: string): Promise<number> {
      const { deletedCount } = await sessions.deleteMany({ 'payload.accountId': accountId });
      if (deletedCount) cachedSessions?.clear();
      return deletedCount;
    },
    async listGrants(accountId: string): Promise<GrantView[]> {
      const docs = await grants.find({ 'payload.accountId': accountId, ...live() }).limit(500).toArray();
      return docs.map(({ _id, payload, expiresAt }) => ({
        id: _id,
        client: payload.clientId as string,
        scope: (payload.openid as { scope?: string } | undefined)?.scope,
        resources: payload.resources as Record<string, string> | undefined,
        createdAt: epoch(payload.iat),
        expiresAt,
      }));
    },
    /** Revokes one grant and every code and token issued under it; false when it is not this account's. */
    async revokeGrant(accountId: string, grantId: string): Promise<boolean> {
      const grant = await grants.findOne({ _id: grantId, 'payload.accountId': accountId }, { projection: { _id: 1 } });
      if (!grant) return false;
      await deleteGrants([grant._id]);
      return true;
    },
    /** The engine's session uids of the account (the key endSessionByUid ends a session by, with back-channel logout). */
    async sessionUids(accountId: string): Promise<string[]> {
      const docs = await sessions.find({ 'payload.accountId': accountId }, { projection: { 'payload.uid': 1 } }).toArray();
      return docs.map((d) => d.payload.uid).filter((uid): uid is string => typeof uid === 'string');
    },
    /**
     * Erasure (GDPR art. 17): after sessions and grants, every other engine document that names the account:
     * interactions (their session and login result), tokens and codes not bound to a grant, and the like.
     */
    async eraseEngineRecords(accountId: string): Promise<number> {
      let removed = 0;
      const names = ['payload.accountId', 'payload.session.accountId', 'payload.result.login.accountId', 'payload.lastSubmission.login.accountId'];
      for (const model of ENGINE_MODELS.filter((m) => m !== 'Client')) {
        const filter = { $or: names.map((name) => ({ [name]: accountId })) };
        removed += (await db.collection(engineCollectionName(model)).deleteMany(filter)).deletedCount;
      }
      // Cached sessions and grants of the account are gone with them.
      if (removed) for (const model of CACHED_ENGINE_MODELS) caches?.for(engineCollectionName(model)).clear();
      return removed;
    },
    async revokeAllGrants(accountId: string): Promise<number> {
      const ids = (await grants.find({ 'payload.accountId': accountId }, { projection: { _id: 1 } }).toArray()).map((g) => g._id);
      await deleteGrants(ids);
      return ids.length;
    },
  };
}

export type AccountSessions = ReturnType<typeof createAccountSessions>;
