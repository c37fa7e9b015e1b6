import type { mongo } from 'mongoose';
import type { Logger } from '../shared/logger.ts';
import { deriveEvents, WATCHED, type StreamChange } from './event-derivation.ts';
import type { StoredEvent, WorkerState } from './event.models.ts';
import type { Lease } from './lease.ts';

// Events are derived from MongoDB's change stream rather than written by each service beside its change (a
// transactional outbox): every write to a watched collection, by any code path, the CLI or another instance, is
// announced, and none can be forgotten. The change stream's resume token is the checkpoint, saved only after the
// events derived up to it are stored: a crash between the two re-derives the same changes into the same event ids
// (event-derivation.ts), so nothing is lost and nothing is invented. One instance derives at a time (a lease).

export const DERIVER_STATE = 'deriver';
const BATCH = 500;
const IDLE_CHECKPOINT_MS = 5000;

export interface DeriverOptions {
  db: mongo.Db;
  events: mongo.Collection<StoredEvent>;
  workers: mongo.Collection<WorkerState>;
  lease: Lease;
  logger: Logger;
  loginEvents: boolean;
  retentionDays: number;
  renewMs: number;
}

/** The collections watched, and the starting point for a database that has never derived events. */
export async function initDeriver(db: mongo.Db, workers: mongo.Collection<WorkerState>, loginEvents: boolean) {
  // Pre-images let a delete announce whose identity or factor it was (MongoDB 6+; best effort).
  for (const name of [WATCHED.identities, WATCHED.factors]) {
    await db.command({ collMod: name, changeStreamPreAndPostImages: { enabled: true } }).catch(() => undefined);
  }
  // The first start records the cluster time: changes made from then on are announced even if the stream opens later.
  const hello = await db.admin().command({ hello: 1 }) as { operationTime?: unknown; $clusterTime?: { clusterTime?: unknown } };
  const startAt = hello.operationTime ?? hello.$clusterTime?.clusterTime;
  await workers.updateOne({ _id: DERIVER_STATE }, { $setOnInsert: { startAt } }, { upsert: true });
  return watchedCollections(loginEvents);
}

/**
 * Every sign-in updates the account's lastLoginAt: such bookkeeping-only updates are dropped by the server, not
 * shipped to us to be dropped here (event-derivation.ts drops the same paths).
 */
const BOOKKEEPING_FILTER = {
  $match: {
    $or: [
      { 'ns.coll': { $ne: WATCHED.accounts } },
      { operationType: { $ne: 'update' } },
      { 'updateDescription.removedFields.0': { $exists: true } },
      { $expr: { $gt: [{ $size: { $filter: {
        input: { $objectToArray: { $ifNull: ['$updateDescription.updatedFields', {}] } },
        cond: { $not: [{ $regexMatch: { input: '$$this.k', regex: '^(updatedAt|lastLoginAt|createdAt|profiling)(\\.|$)' } }] },
      } } }, 0] } },
    ],
  },
};

const watchedCollections = (loginEvents: boolean) =>
  Object.values(WATCHED).filter((name) => loginEvents || name !== WATCHED.audit);

export function createEventDeriver(options: DeriverOptions) {
  const { events, workers, lease, logger } = options;
  let stopped = false;
  let stream: mongo.ChangeStream | undefined;
  let running: Promise<void> | undefined;
  let wake: (() => void) | undefined;
  const sleep = (ms: number) => new Promise<void>((resolve) => { const t = setTimeout(resolve, ms); t.unref(); wake = () => { clearTimeout(t); resolve(); }; });

  /** After the newest stored event, and after the last checkpoint: events expire (TTL), sequence numbers must not restart. */
  async function nextSeqAfterStored(): Promise<number> {
    const [last, state] = await Promise.all([
      events.find({}, { projection: { seq: 1 } }).sort({ seq: -1 }).limit(1).next(),
      workers.findOne({ _id: DERIVER_STATE }, { projection: { lastSeq: 1 } }),
    ]);
    return Math.max(last?.seq ?? 0, state?.lastSeq ?? 0) + 1;
  }

  async function store(changes: StreamChange[], seq: number): Promise<number> {
    const derived = changes.flatMap(deriveEvents);
    if (derived.length === 0) return seq;
    const expiresAt = new Date(Date.now() + options.retentionDays * 86_400_000);
    // $setOnInsert: an event already stored (derived before a crash) keeps its sequence number.
    await events.bulkWrite(derived.map((event, index) => ({
      updateOne: { filter: { _id: event._id }, update: { $setOnInsert: { ...event, seq: seq + index, expiresAt } }, upsert: true },
    })), { ordered: true });
    return seq + derived.length;
  }

  async function derive(): Promise<void> {
    const state = await workers.findOne({ _id: DERIVER_STATE });
    let seq = await nextSeqAfterStored();
    const start = state?.resumeToken ? { resumeAfter: state.resumeToken } : state?.startAt ? { startAtOperationTime: state.startAt } : {};
    stream = options.db.watch([
      { $match: { 'ns.coll': { $in: watchedCollections(options.loginEvents) }, operationType: { $in: ['insert', 'update', 'replace', 'delete'] } } },
      BOOKKEEPING_FILTER,
    ], { ...start, fullDocumentBeforeChange: 'whenAvailable', maxAwaitTimeMS: 250, batchSize: BATCH } as mongo.ChangeStreamOptions);
    let savedToken: unknown = state?.resumeToken;
    let savedAt = Date.now();
    let renewedAt = Date.now();
    while (!stopped) {
      const batch: StreamChange[] = [];
      for (let change = await stream.tryNext(); change; change = batch.length < BATCH ? await stream.tryNext() : null) {
        batch.push(change as unknown as StreamChange);
      }
      if (Date.now() - renewedAt > options.renewMs) {
        if (!(await lease.tryAcquire())) break;
        renewedAt = Date.now();
      }
      if (!lease.held) break;
      const before = seq;
      try {
        seq = await store(batch, seq);
      } catch (error) {
        // Another deriver wrote those sequence numbers (a lease handed over while this one was paused): re-read.
        if ((error as { code?: number }).code !== 11000) throw error;
        seq = await nextSeqAfterStored();
        seq = await store(batch, seq);
      }
      const token = stream.resumeToken;
      // After changes at once; while idle (the token still moves on with the cluster time) every few seconds, so
      // that a restart resumes from a point still in the oplog without writing four times a second.
      const due = seq !== before || Date.now() - savedAt > IDLE_CHECKPOINT_MS;
      if (token && due && JSON.stringify(token) !== JSON.stringify(savedToken)) {
        await workers.updateOne({ _id: DERIVER_STATE }, { $set: { resumeToken: token, lastSeq: seq - 1 } });
        savedToken = token;
        savedAt = Date.now();
      }
    }
  }

  async function loop() {
    while (!stopped) {
      try {
        if (await lease.tryAcquire()) await derive();
      } catch (error) {
        if (!stopped) logger.warn({ event: 'events.derive_failed', err: (error as Error).message }, 'event derivation paused');
      } finally {
        await stream?.close().catch(() => undefined);
        stream = undefined;
      }
      if (!stopped) await sleep(options.renewMs);
    }
  }

  return {
    start() { running ??= loop(); },
    async stop() {
      stopped = true;
      wake?.();
      await stream?.close().catch(() => undefined);
      await running?.catch(() => undefined);
      if (lease.held) await lease.release().catch(() => undefined);
    },
  };
}
