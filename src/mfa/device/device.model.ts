import { Schema, type Connection, type Model } from 'mongoose';

// Devices seen per account (a risk signal, and "remember this device"). A device is a random id in a long-lived cookie; only its SHA-256
// is stored, so the collection cannot be turned back into cookies. `rememberedUntil` = "remember this device".
export interface DeviceDocument {
  _id: string;
  deviceHash: string;
  accountId: string;
  userAgent?: string;
  firstSeen: Date;
  lastSeen: Date;
  rememberedUntil?: Date;
}

export const deviceSchema = new Schema<DeviceDocument>({
  _id: { type: String, required: true },
  deviceHash: { type: String, required: true },
  accountId: { type: String, required: true },
  userAgent: String,
  firstSeen: { type: Date, required: true },
  lastSeen: { type: Date, required: true },
  rememberedUntil: Date,
}, { versionKey: false, collection: 'mfa_devices' });

deviceSchema.index({ accountId: 1, lastSeen: -1 }, { name: 'account_lastSeen' });

export type DeviceModel = Model<DeviceDocument>;
export const deviceModel = (connection: Connection): DeviceModel => connection.model<DeviceDocument>('MfaDevice', deviceSchema);
