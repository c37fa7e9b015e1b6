import { Schema, type Connection, type Model } from 'mongoose';

// The browser behind each sign-in session of the engine: the engine's Session keeps who signed in and when, but not
// from which device or network, which a person needs to recognise a session on /account/sessions ("is this me?").
// One document per engine session, keyed by the session's `uid` (stable for the life of the session, unlike its
// cookie id, which the engine renews at each sign-in). Expires with the session (TTL), erased with the account.

export interface SessionDeviceDocument {
  /** The engine session's uid. */
  _id: string;
  accountId: string;
  /** The User-Agent header at the last sign-in or use (truncated). */
  userAgent?: string;
  ip?: string;
  /** Country from the trusted proxy's geo header (mfa.risk.geoHeader), when one is configured. */
  country?: string;
  firstSeenAt: Date;
  lastSeenAt: Date;
  expiresAt: Date;
}

const schema = new Schema<SessionDeviceDocument>({
  _id: { type: String, required: true },
  accountId: { type: String, required: true },
  userAgent: String,
  ip: String,
  country: String,
  firstSeenAt: { type: Date, required: true },
  lastSeenAt: { type: Date, required: true },
  expiresAt: { type: Date, required: true },
}, { versionKey: false, collection: 'session_devices' });

schema.index({ accountId: 1 }, { name: 'account' });
schema.index({ expiresAt: 1 }, { name: 'ttl', expireAfterSeconds: 0 });

export type SessionDeviceModel = Model<SessionDeviceDocument>;
export const sessionDeviceModel = (connection: Connection): SessionDeviceModel =>
  connection.model<SessionDeviceDocument>('SessionDevice', schema);
