import type { mongo } from 'mongoose';
import type { Logger } from '../../ops/logger.ts';

// The engine reads a client's metadata on every request (one MongoDB round trip each). Clients change rarely, so
// they are cached in the process and evicted by a change stream on the clients collection: a client added,
// changed or removed by the CLI (or another IdP instance) takes effect within milliseconds. The cache is only
// used while the change stream is confirmed live; while it is down (outage, restart), every read goes to MongoDB.

type Payload = Record<string, unknown>;

export interface ClientCache {
  get(id: string): Payload | undefined;
  set(id: string, payload: Payload): void;
  evict(id: string): void;
  close(): Promise<void>;
}

export function createClientCache(collection: mongo.Collection<{ _id: string }>, logger: Logger): ClientCache {
  const entries = new Map<string, Payload>();
  let live = false;
  let closed = false;
  let stream: mongo.ChangeStream | undefined;
  let retry: NodeJS.Timeout | undefined;

  const down = () => {
    live = false;
    entries.clear();
    void stream?.close().catch(() => undefined);
    stream = undefined;
    if (!closed && !retry) {
      retry = setTimeout(() => {
        retry = undefined;
        watch();
      }, 1000);
      retry.unref();
    }
  };

  function watch() {
    if (closed) return;
    stream = collection.watch([], { fullDocument: 'default' });
    // The first resume token means the server-side cursor exists: from then on no change can be missed.
    stream.once('resumeTokenChanged', () => { live = true; });
    stream.on('change', (change: { documentKey?: { _id?: unknown } }) => {
      const id = change.documentKey?._id;
      if (typeof id === 'string') entries.delete(id);
      else entries.clear();
    });
    stream.on('error', (error: Error) => {
      logger.warn({ event: 'client_cache.stream_error', err: error.message }, 'client cache off until the change stream is back');
      down();
    });
    stream.on('close', () => { if (!closed) down(); });
  }
  watch();

  return {
    get: (id) => (live ? entries.get(id) : undefined),
    set: (id, payload) => { if (live) entries.set(id, payload); },
    evict: (id) => { entries.delete(id); },
    async close() {
      closed = true;
      live = false;
      if (retry) clearTimeout(retry);
      entries.clear();
      await stream?.close().catch(() => undefined);
    },
  };
}
