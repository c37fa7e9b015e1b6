import { randomUUID } from 'node:crypto';
import type { mongo } from 'mongoose';
import { EVENT_VERSION } from '../events/event-catalogue.ts';
import type { StoredEvent } from '../events/event.models.ts';
import { describeError } from './ssrf-guard.ts';
import { postWebhook } from './webhook-http.ts';
import { signedHeaders } from './webhook-signature.ts';
import type { DeliveryOutcome, WebhookDelivery, WebhookSubscription } from './webhook.models.ts';

// One signed attempt, logged. Shared by the dispatcher (in order, with retries) and `replay` (once, at once).

export interface DeliverySettings {
  timeoutMs: number;
  allowPrivateTargets: boolean;
  deliveryRetentionDays: number;
}

/** The body a subscriber receives (see docs/events/*.json). */
export const eventBody = (event: StoredEvent) =>
  JSON.stringify({ id: event._id, type: event.type, version: EVENT_VERSION, timestamp: event.occurredAt.toISOString(), data: event.data });

/** The current secret, and the previous one while its overlap lasts: the receiver may hold either. */
export const signingSecrets = (subscription: WebhookSubscription, now = new Date()) => [
  subscription.secret,
  ...(subscription.previousSecret && subscription.previousSecretExpiresAt && subscription.previousSecretExpiresAt > now ? [subscription.previousSecret] : []),
];

export async function attemptDelivery(
  deliveries: mongo.Collection<WebhookDelivery>, subscription: WebhookSubscription, event: StoredEvent, attempt: number,
  settings: DeliverySettings, outcomeOf: (ok: boolean) => DeliveryOutcome,
): Promise<WebhookDelivery> {
  const body = eventBody(event);
  const result = await postWebhook(subscription.url, signedHeaders(signingSecrets(subscription), event._id, body), body, {
    timeoutMs: settings.timeoutMs, allowPrivate: settings.allowPrivateTargets,
  });
  const ok = !result.error && result.status !== undefined && result.status >= 200 && result.status < 300;
  const at = new Date();
  const delivery: WebhookDelivery = {
    _id: `dlv_${randomUUID().replaceAll('-', '')}`, subscriptionId: subscription._id, eventId: event._id, eventType: event.type, seq: event.seq,
    attempt, outcome: outcomeOf(ok), latencyMs: result.latencyMs, at,
    expiresAt: new Date(at.getTime() + settings.deliveryRetentionDays * 86_400_000),
    ...(result.status !== undefined ? { statusCode: result.status } : {}),
    ...(result.error ? { error: describeError(result.error).slice(0, 500) } : !ok ? { error: `HTTP ${result.status}` } : {}),
  };
  await deliveries.insertOne(delivery);
  return delivery;
}
