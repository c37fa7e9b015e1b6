import { Schema, type Connection, type Model } from 'mongoose';

// A simple group of accounts (provisioned by SCIM, RFC 7643 §4.2, or managed by admins). Membership lives on the
// account (`groups: [groupId]`), so the `groups` claim of a sign-in reads no second collection.
export interface GroupDocument {
  _id: string;
  displayName: string;
  externalId?: string;
  createdAt: Date;
  updatedAt: Date;
}

const schema = new Schema<GroupDocument>({
  _id: { type: String, required: true },
  displayName: { type: String, required: true },
  externalId: { type: String, default: undefined },
}, { timestamps: true, versionKey: false, collection: 'groups', autoIndex: false, autoCreate: false });

schema.index({ displayName: 1 }, { name: 'display_name_unique', unique: true });
schema.index({ externalId: 1 }, { name: 'external_id_unique', unique: true, partialFilterExpression: { externalId: { $exists: true } } });

export type GroupModel = Model<GroupDocument>;
export const groupModel = (connection: Connection): GroupModel => connection.model<GroupDocument>('Group', schema);
