import { Schema, type Connection, type Model } from 'mongoose';

// Subscriptions and the delivery log. Read and written through the driver by the dispatcher; declared as models
// so that db/schema.ts creates collections and indexes explicitly.

export interface WebhookSubscription {
  _id: string;
  url: string;
  /** Event types, `noun.*` or `*`. */
  events: string[];
  /** `whsec_` + base64 (Standard Webhooks). */
  secret: string;
  /** The secret before the last rotation, still signed with until `previousSecretExpiresAt`. */
  previousSecret?: string;
  previousSecretExpiresAt?: Date;
  enabled: boolean;
  description?: string;
  /** The sequence number of the last event handled (delivered, dead-lettered or not matching). */
  cursor: number;
  createdAt: Date;
  updatedAt: Date;
}

export type DeliveryOutcome = 'delivered' | 'failed' | 'dead' | 'replayed' | 'replay_failed';

/** One attempt to deliver one event to one subscription. */
export interface WebhookDelivery {
  _id: string;
  subscriptionId: string;
  eventId: string;
  eventType: string;
  seq: number;
  attempt: number;
  outcome: DeliveryOutcome;
  statusCode?: number;
  latencyMs: number;
  error?: string;
  at: Date;
  expiresAt: Date;
}

const subscriptionSchema = new Schema<WebhookSubscription>({
  _id: { type: String, required: true },
  url: { type: String, required: true },
  events: { type: [String], required: true },
  secret: { type: String, required: true },
  previousSecret: String,
  previousSecretExpiresAt: Date,
  enabled: { type: Boolean, default: true },
  description: String,
  cursor: { type: Number, required: true },
  createdAt: { type: Date, required: true },
  updatedAt: { type: Date, required: true },
}, { versionKey: false, collection: 'webhook_subscriptions' });

const deliverySchema = new Schema<WebhookDelivery>({
  _id: { type: String, required: true },
  subscriptionId: { type: String, required: true },
  eventId: { type: String, required: true },
  eventType: { type: String, required: true },
  seq: { type: Number, required: true },
  attempt: { type: Number, required: true },
  outcome: { type: String, required: true },
  statusCode: Number,
  latencyMs: { type: Number, required: true },
  error: String,
  at: { type: Date, required: true },
  expiresAt: { type: Date, required: true },
}, { versionKey: false, collection: 'webhook_deliveries' });
deliverySchema.index({ subscriptionId: 1, at: -1 }, { name: 'subscription_time' });
deliverySchema.index({ subscriptionId: 1, eventId: 1, attempt: -1 }, { name: 'subscription_event' });
deliverySchema.index({ expiresAt: 1 }, { name: 'expiresAt_ttl', expireAfterSeconds: 0 });

export const webhookModels = (connection: Connection) => ({
  WebhookSubscription: connection.model<WebhookSubscription>('WebhookSubscription', subscriptionSchema) as Model<WebhookSubscription>,
  WebhookDelivery: connection.model<WebhookDelivery>('WebhookDelivery', deliverySchema) as Model<WebhookDelivery>,
});
