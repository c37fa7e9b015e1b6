import { Schema, type Connection, type Model } from 'mongoose';

// Enrolled second factors, one document each. Secrets never in clear: TOTP keys sealed with AES-GCM
// (keys/secret-box.ts), recovery codes as keyed digests; WebAuthn keeps only the public key.

export type FactorType = 'totp' | 'webauthn' | 'email' | 'recovery';

export interface WebAuthnCredentialData {
  credentialId: string;
  publicKey: string;
  counter: number;
  transports?: string[];
  deviceType?: string;
  backedUp?: boolean;
}

export interface FactorRecord {
  _id: string;
  accountId: string;
  type: FactorType;
  name: string;
  createdAt: Date;
  lastUsedAt?: Date;
  /** TOTP: sealed base32 key; last accepted time step (RFC 6238 §5.2: a code is accepted once). */
  secretSealed?: string;
  lastStep?: number;
  /** WebAuthn credential. */
  credential?: WebAuthnCredentialData;
  /** Recovery codes: keyed digests; a used one is removed. */
  codeDigests?: string[];
}

const credentialSchema = new Schema<WebAuthnCredentialData>({
  credentialId: { type: String, required: true },
  publicKey: { type: String, required: true },
  counter: { type: Number, default: 0 },
  transports: { type: [String], default: undefined },
  deviceType: String,
  backedUp: Boolean,
}, { _id: false });

export const factorSchema = new Schema<FactorRecord>({
  _id: { type: String, required: true },
  accountId: { type: String, required: true },
  type: { type: String, required: true, enum: ['totp', 'webauthn', 'email', 'recovery'] },
  name: { type: String, required: true },
  createdAt: { type: Date, default: () => new Date() },
  lastUsedAt: Date,
  secretSealed: String,
  lastStep: Number,
  credential: { type: credentialSchema, default: undefined },
  codeDigests: { type: [String], default: undefined },
}, { versionKey: false, collection: 'mfa_factors' });

factorSchema.index({ accountId: 1, type: 1 }, { name: 'account_type' });
// A discoverable-credential sign-in finds the account by its credential id (WebAuthn L3 §7.2 step 6).
factorSchema.index({ 'credential.credentialId': 1 }, {
  name: 'credential_unique', unique: true, partialFilterExpression: { type: 'webauthn' },
});

export type FactorModel = Model<FactorRecord>;
export const factorModel = (connection: Connection): FactorModel => connection.model<FactorRecord>('MfaFactor', factorSchema);
