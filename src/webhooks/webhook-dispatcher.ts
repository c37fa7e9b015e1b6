import type { mongo } from 'mongoose';
import { matchesFilter } from '../events/event-catalogue.ts';
import type { StoredEvent, WorkerState } from '../events/event.models.ts';
import { createLease, type Lease } from '../events/lease.ts';
import type { Logger } from '../shared/logger.ts';
import { attemptDelivery, type DeliverySettings } from './webhook-delivery.ts';
import type { WebhookDelivery, WebhookSubscription } from './webhook.models.ts';

// Delivers the event log to each subscription in sequence order, at least once: one worker per subscription
// among all instances (a lease per subscription), the subscription's cursor advanced only after an event was
// delivered or dead-lettered. A failing receiver is retried with exponential backoff and jitter until
// `retryForSeconds` after the first attempt; then that event is dead-lettered and the next one goes.

export interface DispatcherSettings extends DeliverySettings {
  retryForSeconds: number;
  backoffBaseMs: number;
  backoffMaxMs: number;
  pollMs: number;
  leaseMs: number;
}

export interface DispatcherDeps {
  subscriptions: mongo.Collection<WebhookSubscription>;
  events: mongo.Collection<StoredEvent>;
  deliveries: mongo.Collection<WebhookDelivery>;
  workers: mongo.Collection<WorkerState>;
  settings: DispatcherSettings;
  owner: string;
  logger: Logger;
}

/** Exponential backoff with jitter: between half and all of base * 2^(attempt-1), capped. */
export function backoffMs(attempt: number, baseMs: number, maxMs: number, random = Math.random): number {
  const ceiling = Math.min(maxMs, baseMs * 2 ** Math.min(attempt - 1, 30));
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
}

const BATCH = 200;

export function createWebhookDispatcher(deps: DispatcherDeps) {
  const { settings } = deps;
  const workers = new Map<string, Promise<void>>();
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  const sleepers = new Set<() => void>();
  const sleep = (ms: number) => new Promise<void>((resolve) => {
    const done = () => { clearTimeout(t); sleepers.delete(done); resolve(); };
    const t = setTimeout(done, ms);
    t.unref();
    sleepers.add(done);
  });

  /** Waits `ms`, renewing the lease; false when the lease was lost or the dispatcher stops. */
  async function hold(lease: Lease, ms: number): Promise<boolean> {
    const until = Date.now() + ms;
    while (!stopped && Date.now() < until) {
      await sleep(Math.min(until - Date.now(), settings.leaseMs / 3));
      if (!(await lease.tryAcquire())) return false;
    }
    return !stopped;
  }

  /** Where a retry series of this event stands (after a restart or a takeover): the first attempt and the count. */
  async function priorAttempts(subscriptionId: string, eventId: string) {
    const attempts = await deliveries().find({ subscriptionId, eventId, outcome: 'failed' }, { projection: { at: 1, attempt: 1 } })
      .sort({ attempt: 1 }).toArray();
    return { count: attempts.at(-1)?.attempt ?? 0, firstAt: attempts[0]?.at.getTime() };
  }
  const deliveries = () => deps.deliveries;

  /** 'done' (delivered or dead-lettered) or 'interrupted' (lease lost, stopping, subscription gone). */
  async function deliver(lease: Lease, current: WebhookSubscription, event: StoredEvent, resumed: boolean): Promise<'done' | 'interrupted'> {
    const subscriptionId = current._id;
    // Only the first event after a start or takeover can have a retry series already under way.
    let { count, firstAt } = resumed ? await priorAttempts(subscriptionId, event._id) : { count: 0, firstAt: undefined };
    const first = firstAt ?? Date.now();
    for (;;) {
      // A retry re-reads the subscription: it may have been disabled, removed or given a new secret meanwhile.
      const subscription = count === 0 ? current : await deps.subscriptions.findOne({ _id: subscriptionId });
      if (!subscription?.enabled || !lease.held) return 'interrupted';
      count += 1;
      const expired = () => Date.now() - first >= settings.retryForSeconds * 1000;
      const delivery = await attemptDelivery(deps.deliveries, subscription, event, count, settings, (ok) => (ok ? 'delivered' : expired() ? 'dead' : 'failed'));
      if (delivery.outcome === 'delivered') return 'done';
      if (delivery.outcome === 'dead') {
        deps.logger.warn({ event: 'webhook.dead_lettered', subscriptionId, eventId: event._id, attempts: count }, 'webhook delivery given up');
        return 'done';
      }
      const wait = Math.min(backoffMs(count, settings.backoffBaseMs, settings.backoffMaxMs), Math.max(0, first + settings.retryForSeconds * 1000 - Date.now()));
      if (!(await hold(lease, wait))) return 'interrupted';
    }
  }

  async function work(subscriptionId: string, lease: Lease) {
    let resumed = true;
    while (!stopped && lease.held) {
      const subscription = await deps.subscriptions.findOne({ _id: subscriptionId });
      if (!subscription?.enabled) break;
      const batch = await deps.events.find({ seq: { $gt: subscription.cursor } }).sort({ seq: 1 }).limit(BATCH).toArray();
      let cursor = subscription.cursor;
      let interrupted = false;
      for (const event of batch) {
        // A subscription receives what happened after it was made (the log may still hold older events).
        if (matchesFilter(subscription.events, event.type) && event.occurredAt >= subscription.createdAt) {
          if (await deliver(lease, subscription, event, resumed) === 'interrupted') { interrupted = true; break; }
          resumed = false;
          await deps.subscriptions.updateOne({ _id: subscriptionId, cursor: { $lt: event.seq } }, { $set: { cursor: event.seq } });
        }
        cursor = event.seq;
      }
      if (interrupted) break;
      if (cursor > subscription.cursor) await deps.subscriptions.updateOne({ _id: subscriptionId, cursor: { $lt: cursor } }, { $set: { cursor } });
      if (batch.length < BATCH && !(await hold(lease, settings.pollMs))) break;
    }
  }

  function runWorker(subscriptionId: string, lease: Lease) {
    const running = work(subscriptionId, lease)
      .catch((error) => deps.logger.warn({ event: 'webhook.worker_failed', subscriptionId, err: (error as Error).message }, 'webhook worker stopped'))
      .finally(async () => {
        workers.delete(subscriptionId);
        await lease.release().catch(() => undefined);
      });
    workers.set(subscriptionId, running);
  }

  /** Picks up subscriptions that no instance serves (new, or whose worker's instance died). */
  async function scan() {
    const subscriptions = await deps.subscriptions.find({ enabled: true }, { projection: { _id: 1 } }).toArray();
    for (const { _id } of subscriptions) {
      if (stopped || workers.has(_id)) continue;
      const lease = createLease(deps.workers, `webhook:${_id}`, deps.owner, settings.leaseMs);
      if (await lease.tryAcquire()) runWorker(_id, lease);
    }
  }

  function schedule() {
    if (stopped) return;
    timer = setTimeout(() => {
      scan().catch((error) => deps.logger.warn({ event: 'webhook.scan_failed', err: (error as Error).message }, 'webhook scan failed'))
        .finally(schedule);
    }, settings.pollMs);
    timer.unref();
  }

  return {
    start() { if (!timer) { void scan().catch(() => undefined).finally(schedule); } },
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      for (const wake of sleepers) wake();
      await Promise.all(workers.values());
    },
  };
}
