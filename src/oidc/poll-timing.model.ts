import { Schema, type Connection, type Model } from 'mongoose';

// When a client last polled the token endpoint for one pending device code (RFC 8628 §3.4) or backchannel
// authentication request (CIBA Core §7.3 poll mode), and the interval it must keep. `_id` is the SHA-256 of the
// code, so the collection holds nothing a client could redeem. Shared by every instance behind a load balancer.
export interface PollTimingDocument {
  _id: string;
  lastPollAt: Date;
  intervalSeconds: number;
  expiresAt: Date;
}

export const pollTimingSchema = new Schema<PollTimingDocument>({
  _id: { type: String, required: true },
  lastPollAt: { type: Date, required: true },
  intervalSeconds: { type: Number, required: true },
  expiresAt: { type: Date, required: true },
}, { versionKey: false, collection: 'poll_timings' });

pollTimingSchema.index({ expiresAt: 1 }, { expireAfterSeconds: 0, name: 'expiresAt_ttl' });

export type PollTimingModel = Model<PollTimingDocument>;
export const pollTimingModel = (connection: Connection): PollTimingModel =>
  connection.model<PollTimingDocument>('PollTiming', pollTimingSchema);
