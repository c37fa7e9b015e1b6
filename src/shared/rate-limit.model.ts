import { Schema, type Connection, type Model } from 'mongoose';

// The counters of rate-limiter-flexible's RateLimiterMongo (one document per limit and key: `key` is
// `<limit name>:<key>`), shared by every IdP instance so N instances allow what one allows. The library would
// create these indexes itself on first use; it is told not to (disableIndexesCreation), and they are declared here
// so ensureSchema creates the collection and its indexes at start-up like every other.
export interface RateLimitDocument {
  key: string;
  points: number;
  expire: Date | null;
}

export const RATE_LIMIT_COLLECTION = 'rate_limits';

export const rateLimitSchema = new Schema<RateLimitDocument>({
  key: { type: String, required: true },
  points: { type: Number, required: true },
  expire: { type: Date, default: null },
}, { versionKey: false, collection: RATE_LIMIT_COLLECTION });

// The library's own index shapes (RateLimiterMongo#createIndexes): TTL on `expire`, one document per key.
rateLimitSchema.index({ expire: -1 }, { expireAfterSeconds: 0, name: 'expire_ttl' });
rateLimitSchema.index({ key: 1 }, { unique: true, name: 'key_unique' });

export type RateLimitModel = Model<RateLimitDocument>;
export const rateLimitModel = (connection: Connection): RateLimitModel =>
  connection.model<RateLimitDocument>('RateLimit', rateLimitSchema);
