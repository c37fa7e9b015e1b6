import type { mongo } from 'mongoose';
import { randomBytes } from 'node:crypto';
import { WRITE_TAG, type ChangeCaches, type DocumentCache } from '../../db/change-cache.ts';

type Collection<T extends mongo.Document> = mongo.Collection<T>;
type Db = mongo.Db;

// oidc-provider Adapter on MongoDB (the engine's adapter contract: upsert, find, findByUid, findByUserCode,
// consume, destroy, revokeByGrantId). One collection per engine model, `{ _id, payload, expiresAt }`.
// The TTL monitor deletes expired documents within about a minute, so find() also checks expiresAt itself.

export const ENGINE_MODELS = [
  'Session', 'AccessToken', 'AuthorizationCode', 'RefreshToken', 'DeviceCode', 'ClientCredentials', 'Client',
  'InitialAccessToken', 'RegistrationAccessToken', 'Interaction', 'ReplayDetection', 'PushedAuthorizationRequest',
  'Grant', 'BackchannelAuthenticationRequest',
] as const;

/** Models whose payload carries a grantId (revokeByGrantId deletes by it). */
const GRANTABLE = new Set([
  'AccessToken', 'AuthorizationCode', 'RefreshToken', 'DeviceCode', 'BackchannelAuthenticationRequest',
]);

export const isGrantable = (model: string): boolean => GRANTABLE.has(model);

/**
 * Models whose expiry the engine reports by itself, so they are kept (and found) a while after it: a poll for an
 * expired device code or CIBA request gets `expired_token` (RFC 8628 §3.5, CIBA Core §11), and a stale user code
 * "has expired" instead of "is wrong". The engine checks `exp` on every find; the TTL index removes them later.
 */
const KEPT_AFTER_EXPIRY_SECONDS: Record<string, number> = { DeviceCode: 3600, BackchannelAuthenticationRequest: 3600 };

export type Payload = Record<string, unknown>;
interface StoredDocument {
  _id: string;
  payload: Payload;
  expiresAt?: Date;
  /** Cached models only: the write that stored it (change-cache.ts WRITE_TAG). */
  [WRITE_TAG]?: string;
}

export function engineCollectionName(model: string): string {
  return `oidc_${model.replace(/([a-z])([A-Z])/g, '$1_$2').toLowerCase()}`;
}

/** Index plan of each engine collection, created explicitly at start-up (see db/schema.ts). */
export function engineIndexes(model: string): Array<{ key: Record<string, 1>; options: Record<string, unknown> }> {
  const indexes: Array<{ key: Record<string, 1>; options: Record<string, unknown> }> = [
    { key: { expiresAt: 1 }, options: { name: 'expiresAt_ttl', expireAfterSeconds: 0 } },
  ];
  if (GRANTABLE.has(model)) indexes.push({ key: { 'payload.grantId': 1 }, options: { name: 'grantId' } });
  if (model === 'Session') indexes.push({ key: { 'payload.uid': 1 }, options: { name: 'uid', unique: true } });
  if (model === 'Session' || model === 'Grant') indexes.push({ key: { 'payload.accountId': 1 }, options: { name: 'accountId' } });
  if (model === 'DeviceCode') {
    indexes.push({ key: { 'payload.userCode': 1 }, options: { name: 'userCode', unique: true, sparse: true } });
  }
  return indexes;
}

/**
 * Engine models served from the change-evicted caches: clients and grants (read on almost every request, rarely
 * written), sessions (read back by the token exchange and every later request of the browser, written by this
 * process). Each is written through (upsert) and evicted by any other change: destroy here, the stream's event of a
 * change elsewhere, and the direct deletes of account-sessions.ts and account-revocation.ts.
 */
export const CACHED_MODELS = ['Client', 'Grant', 'Session'] as const;

/** Sessions by uid (the engine's findByUid: the token exchange, session-bound tokens) point at cached session ids. */
const MAX_UIDS = 10_000;

export function createMongoAdapterClass(db: Db, caches?: ChangeCaches) {
  const sessionUids = new Map<string, string>();
  // Write tags: unique to this adapter (so to this instance) and to each write through it.
  const tagPrefix = randomBytes(6).toString('base64url');
  let tagCount = 0;
  return class MongoAdapter {
    readonly name: string;
    readonly collection: Collection<StoredDocument>;
    readonly cache: DocumentCache<StoredDocument> | undefined;
    /** Session only: uid -> id of the session last stored or read with it (checked against the cached payload). */
    readonly uids: Map<string, string> | undefined;

    constructor(name: string) {
      this.name = name;
      this.collection = db.collection<StoredDocument>(engineCollectionName(name));
      this.cache = (CACHED_MODELS as readonly string[]).includes(name) ? caches?.for<StoredDocument>(this.collection.collectionName) : undefined;
      this.uids = this.cache && name === 'Session' ? sessionUids : undefined;
    }

    async upsert(id: string, payload: Payload, expiresIn?: number): Promise<void> {
      const document: StoredDocument = { _id: id, payload };
      if (expiresIn) document.expiresAt = new Date(Date.now() + (expiresIn + (KEPT_AFTER_EXPIRY_SECONDS[this.name] ?? 0)) * 1000);
      if (!this.cache) {
        await this.collection.replaceOne({ _id: id }, document, { upsert: true });
        return;
      }
      // Write-through: the token exchange reads the grant the sign-in just stored. Cached before the write is sent,
      // so that a change by another instance right after it (its event comes after ours) still evicts it.
      document[WRITE_TAG] = `${tagPrefix}.${(tagCount += 1)}`;
      this.cache.put(id, structuredClone(document));
      if (this.uids && typeof payload.uid === 'string') this.remember(payload.uid, id);
      try {
        await this.collection.replaceOne({ _id: id }, document, { upsert: true });
      } catch (error) {
        this.cache.evict(id);
        throw error;
      }
    }

    async find(id: string): Promise<Payload | undefined> {
      if (!this.cache) return this.findOne({ _id: id });
      let document = this.cache.get(id);
      if (!document) {
        document = await this.collection.findOne({ _id: id }, { projection: { payload: 1, expiresAt: 1 } }) ?? undefined;
        if (document) this.cache.set(id, document);
      }
      if (!document || (document.expiresAt && document.expiresAt.getTime() <= Date.now())) return undefined;
      // The engine's models may change what they are given; the cached copy must stay as stored.
      return structuredClone(document.payload);
    }

    async findByUid(uid: string): Promise<Payload | undefined> {
      if (!this.cache || !this.uids) return this.findOne({ 'payload.uid': uid });
      const id = this.uids.get(uid);
      const cached = id === undefined ? undefined : this.cache.get(id);
      let document = cached?.payload.uid === uid ? cached : undefined;
      if (!document) {
        const since = this.cache.mark();
        document = await this.collection.findOne({ 'payload.uid': uid }, { projection: { payload: 1, expiresAt: 1 } }) ?? undefined;
        if (document) {
          this.cache.set(document._id, document, since);
          this.remember(uid, document._id);
        }
      }
      if (!document || (document.expiresAt && document.expiresAt.getTime() <= Date.now())) return undefined;
      return structuredClone(document.payload);
    }

    private remember(uid: string, id: string): void {
      if (this.uids!.size >= MAX_UIDS) this.uids!.clear();
      this.uids!.set(uid, id);
    }

    async findByUserCode(userCode: string): Promise<Payload | undefined> {
      return this.findOne({ 'payload.userCode': userCode });
    }

    async consume(id: string): Promise<void> {
      await this.collection.updateOne({ _id: id }, { $set: { 'payload.consumed': Math.floor(Date.now() / 1000) } });
    }

    async destroy(id: string): Promise<void> {
      this.cache?.evict(id);
      await this.collection.deleteOne({ _id: id });
    }

    async revokeByGrantId(grantId: string): Promise<void> {
      await this.collection.deleteMany({ 'payload.grantId': grantId });
    }

    private async findOne(filter: Record<string, unknown>): Promise<Payload | undefined> {
      const document = await this.collection.findOne(filter, { projection: { payload: 1, expiresAt: 1 } });
      if (!document) return undefined;
      if (document.expiresAt && document.expiresAt.getTime() <= Date.now()) return undefined;
      return document.payload;
    }
  };
}
