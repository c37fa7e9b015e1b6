import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { mongo } from 'mongoose';
import type { Config } from '../config/config.schema.ts';
import type { Models } from '../db/models.ts';
import type { Audit } from '../shared/audit.ts';
import type { Logger } from '../shared/logger.ts';
import { createWebhookDispatcher } from '../webhooks/webhook-dispatcher.ts';
import { createWebhookService } from '../webhooks/webhook-subscriptions.service.ts';
import type { WebhookDelivery, WebhookSubscription } from '../webhooks/webhook.models.ts';
import { createEventDeriver, initDeriver } from './event-deriver.ts';
import type { StoredEvent, WorkerState } from './event.models.ts';
import { createLease } from './lease.ts';

// Events out: the deriver turns committed changes into the event log, the dispatcher delivers the log to webhook
// subscriptions. Both run only in the server (startServer calls start), never in a CLI command; the service that
// manages subscriptions is for both.

const driver = <T extends { _id: string }>(model: { collection: unknown }) => model.collection as mongo.Collection<T>;

export function createEventsModule(deps: { config: Config; db: mongo.Db; models: Models; audit: Audit; logger: Logger }) {
  const { config, models, logger } = deps;
  const events = driver<StoredEvent>(models.Event);
  const workers = driver<WorkerState>(models.EventWorker);
  const subscriptions = driver<WebhookSubscription>(models.WebhookSubscription);
  const deliveries = driver<WebhookDelivery>(models.WebhookDelivery);
  const owner = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  const leaseMs = config.events.leaseSeconds * 1000;
  const delivery = {
    timeoutMs: config.webhooks.timeoutMs, allowPrivateTargets: config.webhooks.allowPrivateTargets,
    deliveryRetentionDays: config.webhooks.deliveryRetentionDays,
  };
  const webhooks = createWebhookService({
    subscriptions, deliveries, events, audit: deps.audit, settings: { ...delivery, secretOverlapSeconds: config.webhooks.secretOverlapSeconds },
  });
  let stopWorkers: (() => Promise<void>) | undefined;

  return {
    webhooks,
    events,
    /** Derivation and delivery in the background: in the server only. */
    async start() {
      if (!config.events.enabled || stopWorkers) return;
      await initDeriver(deps.db, workers, config.events.loginEvents);
      const deriver = createEventDeriver({
        db: deps.db, events, workers, lease: createLease(workers, 'deriver', owner, leaseMs), logger,
        loginEvents: config.events.loginEvents, retentionDays: config.events.retentionDays, renewMs: leaseMs / 3,
      });
      const dispatcher = createWebhookDispatcher({
        subscriptions, events, deliveries, workers, owner, logger,
        settings: {
          ...delivery, retryForSeconds: config.webhooks.retryForSeconds, backoffBaseMs: config.webhooks.backoffBaseMs,
          backoffMaxMs: config.webhooks.backoffMaxMs, pollMs: config.webhooks.pollMs, leaseMs,
        },
      });
      deriver.start();
      dispatcher.start();
      stopWorkers = async () => { await Promise.all([deriver.stop(), dispatcher.stop()]); };
    },
    async stop() { await stopWorkers?.(); stopWorkers = undefined; },
  };
}

export type EventsModule = ReturnType<typeof createEventsModule>;
