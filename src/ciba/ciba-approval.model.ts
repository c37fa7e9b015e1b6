import { Schema, type Connection, type Model } from 'mongoose';

// One backchannel authentication request (OpenID CIBA Core 1.0 §7) waiting for its person: what the approval page
// at /ciba/<_id> shows and what /account lists as pending. `_id` is a random id of its own, so neither the mail link
// nor a browser history holds the auth_req_id the client polls with. Removed by TTL once the request has expired.
export type CibaApprovalStatus = 'pending' | 'approved' | 'denied';

export interface CibaApprovalDocument {
  _id: string;
  authReqId: string;
  accountId: string;
  clientId: string;
  scope: string;
  bindingMessage?: string;
  status: CibaApprovalStatus;
  createdAt: Date;
  expiresAt: Date;
  decidedAt?: Date;
}

export const cibaApprovalSchema = new Schema<CibaApprovalDocument>({
  _id: { type: String, required: true },
  authReqId: { type: String, required: true },
  accountId: { type: String, required: true },
  clientId: { type: String, required: true },
  scope: { type: String, default: '' },
  bindingMessage: String,
  status: { type: String, required: true, enum: ['pending', 'approved', 'denied'], default: 'pending' },
  createdAt: { type: Date, default: () => new Date() },
  expiresAt: { type: Date, required: true },
  decidedAt: Date,
}, { versionKey: false, collection: 'ciba_approvals' });

cibaApprovalSchema.index({ expiresAt: 1 }, { expireAfterSeconds: 0, name: 'expiresAt_ttl' });
cibaApprovalSchema.index({ accountId: 1, status: 1 }, { name: 'account_status' });

export type CibaApprovalModel = Model<CibaApprovalDocument>;
export const cibaApprovalModel = (connection: Connection): CibaApprovalModel =>
  connection.model<CibaApprovalDocument>('CibaApproval', cibaApprovalSchema);
