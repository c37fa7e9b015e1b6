import { z } from 'zod';
import { webhookInput } from '../../webhooks/webhook-subscriptions.service.ts';
import { defineOperation, type Operation } from '../operation.ts';
import type { AdminDeps } from './admin-deps.ts';

// Webhook subscriptions and their delivery log: the same service as `idp webhooks ...` (src/webhooks).

const when = z.iso.datetime();
const webhookSchema = z.object({
  id: z.string(), url: z.string(), events: z.array(z.string()), enabled: z.boolean(), description: z.string().optional(),
  cursor: z.number().int().describe('sequence number of the last event handled'),
  createdAt: when, updatedAt: when,
  secret: z.string().optional().describe('whsec_ secret: only in the answers to create and rotate-secret'),
  previousSecretExpiresAt: when.optional().describe('until when the previous secret still signs (after a rotation)'),
}).meta({ id: 'Webhook' });
const deliverySchema = z.object({
  id: z.string(), subscriptionId: z.string(), eventId: z.string().describe('also the webhook-id header'), eventType: z.string(), seq: z.number().int(),
  attempt: z.number().int(), outcome: z.enum(['delivered', 'failed', 'dead', 'replayed', 'replay_failed']),
  statusCode: z.number().int().optional(), latencyMs: z.number(), error: z.string().optional(), at: when,
}).meta({ id: 'WebhookDelivery' });
const idParams = z.object({ id: z.string().regex(/^wh_[0-9a-f]{24}$/).describe('the subscription id') });
const deliveryParams = z.object({ id: z.string().regex(/^dlv_[0-9a-f]{32}$/).describe('the delivery id') });

export function webhookOperations({ webhooks }: AdminDeps): Operation[] {
  return [
    defineOperation({
      operationId: 'listWebhooks', method: 'get', path: '/webhooks', tag: 'Webhooks', access: 'read',
      summary: 'Webhook subscriptions (without secrets)',
      responses: [{ status: 200, description: 'Subscriptions', schema: z.object({ items: z.array(webhookSchema) }) }],
      handle: async () => ({ items: await webhooks.list() }),
    }),
    defineOperation({
      operationId: 'createWebhook', method: 'post', path: '/webhooks', tag: 'Webhooks', access: 'write',
      summary: 'Subscribe a URL to events (signed per Standard Webhooks); the answer holds the secret', body: webhookInput,
      responses: [{ status: 201, description: 'The subscription with its secret', schema: webhookSchema }],
      async handle({ body, actor, baseUrl }) {
        const created = await webhooks.add(body, actor);
        return { $status: 201, $body: created, $headers: { Location: `${baseUrl}/webhooks/${created.id}` } };
      },
    }),
    defineOperation({
      operationId: 'getWebhook', method: 'get', path: '/webhooks/{id}', tag: 'Webhooks', access: 'read',
      summary: 'Read a subscription (without its secret)', params: idParams,
      responses: [{ status: 200, description: 'The subscription', schema: webhookSchema }],
      handle: async ({ params }) => webhooks.get(params.id),
    }),
    defineOperation({
      operationId: 'deleteWebhook', method: 'delete', path: '/webhooks/{id}', tag: 'Webhooks', access: 'write',
      summary: 'Remove a subscription', params: idParams,
      responses: [{ status: 204, description: 'Removed' }],
      async handle({ params, actor }) {
        await webhooks.remove(params.id, actor);
        return { $status: 204 };
      },
    }),
    defineOperation({
      operationId: 'setWebhookEnabled', method: 'put', path: '/webhooks/{id}/enabled', tag: 'Webhooks', access: 'write',
      summary: 'Pause (false) or resume (true) deliveries; a paused subscription keeps its place in the event log', params: idParams,
      body: z.object({ enabled: z.boolean() }).strict(),
      responses: [{ status: 200, description: 'The subscription', schema: webhookSchema }],
      handle: async ({ params, body, actor }) => webhooks.setEnabled(params.id, body.enabled, actor),
    }),
    defineOperation({
      operationId: 'rotateWebhookSecret', method: 'post', path: '/webhooks/{id}/secret', tag: 'Webhooks', access: 'write',
      summary: 'New signing secret; the previous one keeps signing beside it for webhooks.secretOverlapSeconds', params: idParams,
      responses: [{ status: 200, description: 'The subscription with its new secret', schema: webhookSchema }],
      handle: async ({ params, actor }) => webhooks.rotateSecret(params.id, actor),
    }),
    defineOperation({
      operationId: 'listWebhookDeliveries', method: 'get', path: '/webhooks/{id}/deliveries', tag: 'Webhooks', access: 'read',
      summary: 'The delivery log of a subscription, newest first', params: idParams,
      query: z.object({ limit: z.coerce.number().int().min(1).max(1000).optional() }).strict(),
      responses: [{ status: 200, description: 'Deliveries', schema: z.object({ items: z.array(deliverySchema) }) }],
      handle: async ({ params, query }) => ({ items: await webhooks.deliveries(params.id, query.limit) }),
    }),
    defineOperation({
      operationId: 'replayWebhookDelivery', method: 'post', path: '/webhook-deliveries/{id}/replay', tag: 'Webhooks', access: 'write',
      summary: 'Send the event of a logged delivery again, now (same webhook-id)', params: deliveryParams,
      responses: [{ status: 200, description: 'The new delivery', schema: deliverySchema }],
      handle: async ({ params, actor }) => webhooks.replay(params.id, actor),
    }),
  ];
}
