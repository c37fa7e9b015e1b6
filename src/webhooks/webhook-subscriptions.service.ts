import { randomBytes } from 'node:crypto';
import type { mongo } from 'mongoose';
import { z } from 'zod';
import { eventFilterEntry } from '../events/event-catalogue.ts';
import type { StoredEvent } from '../events/event.models.ts';
import { AppError } from '../shared/app-error.ts';
import type { Audit } from '../shared/audit.ts';
import type { AuditActor } from '../audit/audit-event.model.ts';
import { checkTarget } from './ssrf-guard.ts';
import { attemptDelivery, type DeliverySettings } from './webhook-delivery.ts';
import { generateSecret, isValidSecret } from './webhook-signature.ts';
import type { WebhookDelivery, WebhookSubscription } from './webhook.models.ts';

// Managing subscriptions: the one code path for `idp webhooks ...` and the admin API. A new subscription starts
// after the newest stored event (it receives what happens from now on); its secret is shown when it is made and
// when it is rotated, never in listings.

export const webhookInput = z.object({
  url: z.url({ protocol: /^https?$/ }).max(2048).describe('where events are POSTed'),
  events: z.array(eventFilterEntry).min(1).max(50).describe('event types, noun.* or *'),
  secret: z.string().refine(isValidSecret, 'a whsec_ secret with 24 to 64 bytes of base64 key').optional()
    .describe('whsec_ + base64 (generated when absent)'),
  description: z.string().max(200).optional(),
  enabled: z.boolean().default(true),
}).strict();
export type WebhookInput = z.input<typeof webhookInput>;

export interface PublicSubscription {
  id: string; url: string; events: string[]; enabled: boolean; description?: string; cursor: number;
  createdAt: string; updatedAt: string; secret?: string; previousSecretExpiresAt?: string;
}

export const publicSubscription = (s: WebhookSubscription, withSecret = false): PublicSubscription => ({
  id: s._id, url: s.url, events: s.events, enabled: s.enabled, cursor: s.cursor,
  ...(s.description ? { description: s.description } : {}),
  createdAt: s.createdAt.toISOString(), updatedAt: s.updatedAt.toISOString(),
  ...(withSecret ? { secret: s.secret } : {}),
  ...(s.previousSecretExpiresAt && s.previousSecretExpiresAt > new Date() ? { previousSecretExpiresAt: s.previousSecretExpiresAt.toISOString() } : {}),
});

export const publicDelivery = (d: WebhookDelivery) => ({
  id: d._id, subscriptionId: d.subscriptionId, eventId: d.eventId, eventType: d.eventType, seq: d.seq, attempt: d.attempt,
  outcome: d.outcome, ...(d.statusCode !== undefined ? { statusCode: d.statusCode } : {}), latencyMs: d.latencyMs,
  ...(d.error ? { error: d.error } : {}), at: d.at.toISOString(),
});

export interface WebhookServiceDeps {
  subscriptions: mongo.Collection<WebhookSubscription>;
  deliveries: mongo.Collection<WebhookDelivery>;
  events: mongo.Collection<StoredEvent>;
  settings: DeliverySettings & { secretOverlapSeconds: number };
  audit: Audit;
}

const notFound = () => new AppError('webhook.not_found', 404);

export function createWebhookService(deps: WebhookServiceDeps) {
  const { subscriptions, settings } = deps;
  const find = async (id: string) => (await subscriptions.findOne({ _id: id })) ?? (() => { throw notFound(); })();

  return {
    async add(raw: WebhookInput, actor?: AuditActor) {
      const input = webhookInput.parse(raw);
      await checkTarget(input.url, settings.allowPrivateTargets);
      const newest = await deps.events.find({}, { projection: { seq: 1 } }).sort({ seq: -1 }).limit(1).next();
      const now = new Date();
      const subscription: WebhookSubscription = {
        _id: `wh_${randomBytes(12).toString('hex')}`, url: input.url, events: input.events, secret: input.secret ?? generateSecret(),
        enabled: input.enabled, cursor: newest?.seq ?? 0, createdAt: now, updatedAt: now,
        ...(input.description ? { description: input.description } : {}),
      };
      await subscriptions.insertOne(subscription);
      deps.audit('webhook.created', { webhookId: subscription._id, url: subscription.url, actor });
      return publicSubscription(subscription, true);
    },
    async list() {
      return (await subscriptions.find({}).sort({ createdAt: 1 }).toArray()).map((s) => publicSubscription(s));
    },
    async get(id: string) { return publicSubscription(await find(id)); },
    async remove(id: string, actor?: AuditActor) {
      const result = await subscriptions.deleteOne({ _id: id });
      if (result.deletedCount === 0) throw notFound();
      deps.audit('webhook.removed', { webhookId: id, actor });
    },
    async setEnabled(id: string, enabled: boolean, actor?: AuditActor) {
      const result = await subscriptions.findOneAndUpdate({ _id: id }, { $set: { enabled, updatedAt: new Date() } }, { returnDocument: 'after' });
      if (!result) throw notFound();
      deps.audit(enabled ? 'webhook.enabled' : 'webhook.disabled', { webhookId: id, actor });
      return publicSubscription(result);
    },
    /** A new secret; the old one keeps being signed with for `secretOverlapSeconds`, so receivers can switch. */
    async rotateSecret(id: string, actor?: AuditActor, secret = generateSecret()) {
      if (!isValidSecret(secret)) throw new AppError('webhook.invalid_secret', 400);
      const current = await find(id);
      const now = new Date();
      const updated = await subscriptions.findOneAndUpdate({ _id: id }, {
        $set: { secret, previousSecret: current.secret, previousSecretExpiresAt: new Date(now.getTime() + settings.secretOverlapSeconds * 1000), updatedAt: now },
      }, { returnDocument: 'after' });
      if (!updated) throw notFound();
      deps.audit('webhook.secret_rotated', { webhookId: id, actor });
      return publicSubscription(updated, true);
    },
    async deliveries(id: string, limit = 50) {
      await find(id);
      return (await deps.deliveries.find({ subscriptionId: id }).sort({ at: -1, _id: -1 }).limit(Math.min(limit, 1000)).toArray()).map(publicDelivery);
    },
    /** Sends the event of a logged delivery again, now and once (a dead-lettered one, say); logged as a replay. */
    async replay(deliveryId: string, actor?: AuditActor) {
      const delivery = await deps.deliveries.findOne({ _id: deliveryId });
      if (!delivery) throw new AppError('webhook.delivery_not_found', 404);
      const subscription = await find(delivery.subscriptionId);
      const event = await deps.events.findOne({ _id: delivery.eventId });
      if (!event) throw new AppError('webhook.event_expired', 410);
      const result = await attemptDelivery(deps.deliveries, subscription, event, delivery.attempt + 1, settings, (ok) => (ok ? 'replayed' : 'replay_failed'));
      deps.audit('webhook.replayed', { webhookId: subscription._id, deliveryId, eventId: event._id, actor });
      return publicDelivery(result);
    },
  };
}

export type WebhookService = ReturnType<typeof createWebhookService>;
