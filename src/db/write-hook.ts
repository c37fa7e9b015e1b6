// Write-through eviction for caches of a collection written from many places: the hook sits on the one collection
// handle they all go through (a mongoose model's `collection`: its queries, document saves and direct driver calls
// alike), so no call site can forget it. `evict` runs before the write is sent and again once it is done: a read that
// started in between may have kept the document as it was before.

const WRITES = [
  'insertOne', 'insertMany', 'updateOne', 'updateMany', 'replaceOne', 'deleteOne', 'deleteMany', 'findOneAndUpdate',
  'findOneAndDelete', 'findOneAndReplace', 'bulkWrite',
] as const;

type Handle = Record<(typeof WRITES)[number], (...args: unknown[]) => unknown>;

export interface Write {
  /** insert: new documents only; bulk: may touch any document; filtered: the documents `filter` selects. */
  kind: 'insert' | 'bulk' | 'filtered';
  filter?: Record<string, unknown>;
  /** The update document of a filtered write (for a cache that applies a known bookkeeping update itself). */
  update?: unknown;
  /** Before it is sent, after it succeeded, or after it failed (then it may or may not have been applied). */
  phase: 'before' | 'done' | 'failed';
}

export function evictOnWrite(collection: unknown, evict: (write: Write) => void): void {
  const handle = collection as Handle;
  for (const method of WRITES) {
    const original = handle[method];
    if (typeof original !== 'function') continue;
    handle[method] = function (this: unknown, first: unknown, ...rest: unknown[]) {
      const write: Omit<Write, 'phase'> = method.startsWith('insert') ? { kind: 'insert' }
        : method === 'bulkWrite' ? { kind: 'bulk' } : { kind: 'filtered', filter: first as Record<string, unknown>, update: rest[0] };
      evict({ ...write, phase: 'before' });
      const result = original.call(this, first, ...rest);
      if (!(result instanceof Promise)) return result;
      return result.then(
        (value: unknown) => { evict({ ...write, phase: 'done' }); return value; },
        (error: unknown) => { evict({ ...write, phase: 'failed' }); throw error; },
      );
    };
  }
}
