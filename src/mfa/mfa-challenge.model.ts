import { Schema, type Connection, type Model } from 'mongoose';

// Pending challenges and enrolments (a mailed code, a WebAuthn challenge, a TOTP key not yet confirmed), keyed
// by `<kind>:<scope>` so one scope has at most one of each. Removed by a TTL index once expired.
export interface ChallengeDocument {
  _id: string;
  accountId: string;
  /** Digest of a mailed code, a WebAuthn challenge, or a sealed TOTP key waiting for its first code. */
  value: string;
  attempts: number;
  expiresAt: Date;
}

export const challengeSchema = new Schema<ChallengeDocument>({
  _id: { type: String, required: true },
  accountId: { type: String, required: true },
  value: { type: String, required: true },
  attempts: { type: Number, default: 0 },
  expiresAt: { type: Date, required: true },
}, { versionKey: false, collection: 'mfa_challenges' });

challengeSchema.index({ expiresAt: 1 }, { expireAfterSeconds: 0, name: 'expiresAt_ttl' });

export type ChallengeModel = Model<ChallengeDocument>;
export const challengeModel = (connection: Connection): ChallengeModel =>
  connection.model<ChallengeDocument>('MfaChallenge', challengeSchema);

/** Lockout counters: wrong second-factor answers per account (one document per account, expiring). */
export interface LockoutDocument {
  _id: string;
  failures: number;
  lockedUntil?: Date;
  expiresAt: Date;
}

export const lockoutSchema = new Schema<LockoutDocument>({
  _id: { type: String, required: true },
  failures: { type: Number, default: 0 },
  lockedUntil: Date,
  expiresAt: { type: Date, required: true },
}, { versionKey: false, collection: 'mfa_lockouts' });

lockoutSchema.index({ expiresAt: 1 }, { expireAfterSeconds: 0, name: 'expiresAt_ttl' });

export type LockoutModel = Model<LockoutDocument>;
export const lockoutModel = (connection: Connection): LockoutModel =>
  connection.model<LockoutDocument>('MfaLockout', lockoutSchema);
