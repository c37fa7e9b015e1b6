import type { mongo } from 'mongoose';
import type { WorkerState } from './event.models.ts';

// A lease in MongoDB: one holder at a time among all IdP instances. Taken with one conditional update (free,
// expired, or already ours), renewed well before it expires, and lost when a renewal finds another owner.
// A crashed holder stops renewing, so another instance takes over after `ttlMs`.

export interface Lease {
  /** True when this instance holds the lease now (acquired or renewed). */
  tryAcquire(): Promise<boolean>;
  release(): Promise<void>;
  readonly held: boolean;
}

export function createLease(collection: mongo.Collection<WorkerState>, name: string, owner: string, ttlMs: number): Lease {
  const id = `lease:${name}`;
  let heldUntil = 0;
  return {
    async tryAcquire() {
      const now = new Date();
      try {
        const result = await collection.updateOne(
          { _id: id, $or: [{ owner }, { expiresAt: { $lt: now } }, { expiresAt: { $exists: false } }] },
          { $set: { owner, expiresAt: new Date(now.getTime() + ttlMs) } },
          { upsert: true },
        );
        const ok = result.matchedCount + result.upsertedCount > 0;
        // Hold it a little shorter than it is stored, so a slow clock or a slow renewal never overlaps a successor.
        heldUntil = ok ? now.getTime() + ttlMs * 0.8 : 0;
        return ok;
      } catch (error) {
        // Another instance holds it: the upsert collided with its document on _id.
        if ((error as { code?: number }).code === 11000) { heldUntil = 0; return false; }
        throw error;
      }
    },
    async release() {
      heldUntil = 0;
      await collection.updateOne({ _id: id, owner }, { $set: { expiresAt: new Date(0) } });
    },
    get held() { return Date.now() < heldUntil; },
  };
}
