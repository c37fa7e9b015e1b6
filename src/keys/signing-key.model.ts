import { Schema, type Connection, type Model } from 'mongoose';

// A key of the IdP: signing (RS256, ES256), or ECDH-ES for what clients encrypt to us (request objects, RFC 9101
// §6.1; published with use "enc"). Lifecycle: `next` (published in the JWKS, not yet used) -> `current` (signs) ->
// `retired` (published until `retireUntil`, when no token it signed can still be valid) -> deleted.

export type KeyStatus = 'next' | 'current' | 'retired';
export type SigningAlg = 'RS256' | 'ES256' | 'ECDH-ES';

export interface SigningKeyDocument {
  _id: string; // kid
  alg: SigningAlg;
  status: KeyStatus;
  publicJwk: Record<string, unknown>;
  sealedPrivateJwk: string;
  /** PEM, RS256 keys only: the self-signed certificate SAML metadata publishes. */
  certificatePem?: string;
  createdAt: Date;
  activatedAt?: Date;
  retireUntil?: Date;
}

export const signingKeySchema = new Schema<SigningKeyDocument>({
  _id: { type: String, required: true },
  alg: { type: String, required: true, enum: ['RS256', 'ES256', 'ECDH-ES'] },
  status: { type: String, required: true, enum: ['next', 'current', 'retired'] },
  publicJwk: { type: Schema.Types.Mixed, required: true },
  sealedPrivateJwk: { type: String, required: true },
  certificatePem: String,
  createdAt: { type: Date, default: () => new Date() },
  activatedAt: Date,
  retireUntil: Date,
}, { versionKey: false, collection: 'signing_keys' });

signingKeySchema.index({ status: 1, alg: 1 }, { name: 'status_alg' });

export type SigningKeyModel = Model<SigningKeyDocument>;
export const signingKeyModel = (connection: Connection): SigningKeyModel =>
  connection.model<SigningKeyDocument>('SigningKey', signingKeySchema);
