import { Schema, type Connection, type Model } from 'mongoose';
import type { Profile } from '../accounts/account.model.ts';

// Three collections: connectors (upstream IdPs, secrets sealed with the secret box), identities (one per
// connector + upstream subject, pointing at one account) and federation transactions (one upstream sign-in in
// flight: state, nonce, PKCE verifier, then the upstream's answer until the linking step has used it).

export interface ConnectorDocument {
  _id: string;
  type: string;
  preset?: string;
  displayName: string;
  logoUri?: string;
  enabled: boolean;
  clientId: string;
  clientSecretSealed?: string;
  issuer?: string;
  endpoints: Record<string, string>;
  scopes: string[];
  mapping: Record<string, unknown>;
  options: Record<string, string>;
  /** Names of `options` keys whose values are sealed (Apple's private key). */
  sealedOptions: string[];
  createdAt: Date;
  updatedAt: Date;
}

export const connectorSchema = new Schema<ConnectorDocument>({
  _id: { type: String, required: true },
  type: { type: String, required: true },
  preset: String,
  displayName: { type: String, required: true },
  logoUri: String,
  enabled: { type: Boolean, default: true },
  clientId: { type: String, required: true },
  clientSecretSealed: String,
  issuer: String,
  endpoints: { type: Schema.Types.Mixed, default: () => ({}) },
  scopes: { type: [String], default: [] },
  mapping: { type: Schema.Types.Mixed, required: true },
  options: { type: Schema.Types.Mixed, default: () => ({}) },
  sealedOptions: { type: [String], default: [] },
}, { timestamps: true, versionKey: false, minimize: false, collection: 'connectors' });

export interface IdentityDocument {
  _id: string;
  connectorId: string;
  subject: string;
  accountId: string;
  /** What the upstream said at link time, for the account page (never used to decide anything). */
  email?: string;
  createdAt: Date;
  lastUsedAt?: Date;
}

export const identitySchema = new Schema<IdentityDocument>({
  _id: { type: String, required: true },
  connectorId: { type: String, required: true },
  subject: { type: String, required: true },
  accountId: { type: String, required: true },
  email: String,
  createdAt: { type: Date, default: () => new Date() },
  lastUsedAt: Date,
}, { versionKey: false, collection: 'federated_identities' });

identitySchema.index({ connectorId: 1, subject: 1 }, { unique: true, name: 'connector_subject_unique' });
identitySchema.index({ accountId: 1 }, { name: 'account' });

export type TransactionStatus =
  | 'started' | 'authenticated' | 'failed' | 'awaiting_proof' | 'awaiting_email' | 'awaiting_signup' | 'claimed' | 'done';

export interface TransactionDocument {
  /** SHA-256 of the `state` sent upstream: a database read never reveals a usable state. */
  _id: string;
  connectorId: string;
  /** The interaction it belongs to, or 'account' when a signed-in user links from /account. */
  interactionUid: string;
  /** SHA-256 of the browser-binding cookie value. */
  bindingDigest: string;
  nonce: string;
  codeVerifierSealed: string;
  status: TransactionStatus;
  profile?: { subject: string; email?: string; emailVerified: boolean; claims: Profile };
  error?: string;
  /** The accounts the person may prove (verified email match), or the address they are confirming. */
  candidateIds?: string[];
  email?: string;
  codeDigest?: string;
  codeAttempts?: number;
  accountId?: string;
  /** What claiming an unverified account removed (status `claimed`), for the page that tells the person. */
  claimed?: { password: boolean; sessions: number; grants: number; factors: number; devices: number; identities: number };
  expiresAt: Date;
}

export const transactionSchema = new Schema<TransactionDocument>({
  _id: { type: String, required: true },
  connectorId: { type: String, required: true },
  interactionUid: { type: String, required: true },
  bindingDigest: { type: String, required: true },
  nonce: { type: String, required: true },
  codeVerifierSealed: { type: String, required: true },
  status: { type: String, required: true },
  profile: Schema.Types.Mixed,
  error: String,
  candidateIds: { type: [String], default: undefined },
  email: String,
  codeDigest: String,
  codeAttempts: Number,
  accountId: String,
  claimed: { type: Schema.Types.Mixed, default: undefined },
  expiresAt: { type: Date, required: true },
}, { versionKey: false, collection: 'federation_transactions' });

transactionSchema.index({ expiresAt: 1 }, { expireAfterSeconds: 0, name: 'expiresAt_ttl' });
transactionSchema.index({ interactionUid: 1, bindingDigest: 1 }, { name: 'interaction_binding' });

export const federationModels = (connection: Connection) => ({
  Connector: connection.model<ConnectorDocument>('Connector', connectorSchema) as Model<ConnectorDocument>,
  Identity: connection.model<IdentityDocument>('Identity', identitySchema) as Model<IdentityDocument>,
  FederationTransaction: connection.model<TransactionDocument>('FederationTransaction', transactionSchema) as Model<TransactionDocument>,
});

export type FederationModels = ReturnType<typeof federationModels>;
