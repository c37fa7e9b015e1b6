import type { Logger } from '../shared/logger.ts';
import type { AuditEventDocument, AuditEventModel } from './audit-event.model.ts';

// Writes audit events to MongoDB without ever holding up or failing the request that caused them: events are
// queued in memory and inserted in batches by a timer. The queue is bounded, so a slow or unreachable database
// costs memory up to `queueLimit` events and then drops (and counts) the newest, never the sign-in itself.

export interface AuditWriterOptions {
  queueLimit: number;
  batchSize: number;
  flushMs: number;
}

export interface AuditWriterStats {
  written: number;
  dropped: number;
  failedBatches: number;
  queued: number;
}

export function createAuditWriter(model: AuditEventModel, options: AuditWriterOptions, logger: Logger) {
  const queue: AuditEventDocument[] = [];
  const stats = { written: 0, dropped: 0, failedBatches: 0 };
  let flushing: Promise<void> | undefined;
  let stopped = false;

  // What is queued when a write starts, then only full batches: events queued while an insert is on its way wait for
  // the next tick. Writing each remainder at once would, under steady traffic, send one small insert after another
  // (as many events as arrive during one round trip) instead of one batch per `flushMs`.
  async function writeBatches(): Promise<void> {
    let first = true;
    while (queue.length && (first || queue.length >= options.batchSize)) {
      first = false;
      const batch = queue.splice(0, options.batchSize);
      try {
        // The driver's insert (no mongoose document building per event); unordered, so one bad event loses only itself.
        await model.collection.insertMany(batch, { ordered: false });
        stats.written += batch.length;
      } catch (error) {
        const inserted = (error as { result?: { insertedCount?: number } }).result?.insertedCount ?? 0;
        stats.written += inserted;
        stats.dropped += batch.length - inserted;
        stats.failedBatches += 1;
        logger.warn({ event: 'audit.write_failed', lost: batch.length - inserted, err: (error as Error).message }, 'audit.write_failed');
      }
    }
  }

  function flush(): Promise<void> {
    flushing ??= writeBatches().finally(() => { flushing = undefined; });
    return flushing;
  }

  const timer = setInterval(() => { if (queue.length) void flush(); }, options.flushMs);
  timer.unref();

  return {
    /** Queues one event; never throws, never waits. */
    write(record: AuditEventDocument): void {
      if (stopped || queue.length >= options.queueLimit) {
        stats.dropped += 1;
        return;
      }
      queue.push(record);
      if (queue.length >= options.batchSize) void flush();
    },
    /** Waits until everything queued so far is written (graceful stop, the CLI, tests). */
    async flush(): Promise<void> {
      while (queue.length || flushing) await flush();
    },
    stats: (): AuditWriterStats => ({ ...stats, queued: queue.length }),
    async stop(): Promise<void> {
      clearInterval(timer);
      await this.flush();
      stopped = true;
    },
  };
}

export type AuditWriter = ReturnType<typeof createAuditWriter>;
