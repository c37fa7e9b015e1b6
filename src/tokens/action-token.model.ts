import { Schema, type Connection, type Model } from 'mongoose';

// Single-use, expiring tokens mailed to people: email verification (a link and a 6-digit code), password reset (a
// link), a change of address (a code mailed to the new address) and confirmation of a lite registration (a link; the
// subject names the lead and its submission). Only SHA-256 digests are stored; `_id` is the digest of the link token.
// Expired documents are removed by a TTL index and refused before that by the service.

export type ActionPurpose = 'email_verification' | 'password_reset' | 'email_change' | 'lead_verification';

export interface ActionTokenDocument {
  _id: string;
  purpose: ActionPurpose;
  accountId: string;
  codeDigest?: string;
  /** email_change: the new address the code was mailed to (it becomes the account's once the code is entered). */
  email?: string;
  attempts: number;
  expiresAt: Date;
  consumedAt?: Date;
  createdAt: Date;
}

export const actionTokenSchema = new Schema<ActionTokenDocument>({
  _id: { type: String, required: true },
  purpose: { type: String, required: true, enum: ['email_verification', 'password_reset', 'email_change', 'lead_verification'] },
  accountId: { type: String, required: true },
  codeDigest: String,
  email: String,
  attempts: { type: Number, default: 0 },
  expiresAt: { type: Date, required: true },
  consumedAt: Date,
  createdAt: { type: Date, default: () => new Date() },
}, { versionKey: false, collection: 'action_tokens' });

actionTokenSchema.index({ expiresAt: 1 }, { expireAfterSeconds: 0, name: 'expiresAt_ttl' });
actionTokenSchema.index({ accountId: 1, purpose: 1 }, { name: 'account_purpose' });

export type ActionTokenModel = Model<ActionTokenDocument>;
export const actionTokenModel = (connection: Connection): ActionTokenModel =>
  connection.model<ActionTokenDocument>('ActionToken', actionTokenSchema);
