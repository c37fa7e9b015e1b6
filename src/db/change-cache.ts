import type { mongo } from 'mongoose';
import type { Logger } from '../shared/logger.ts';

// Read-mostly documents (clients, grants, accounts) are read on almost every request; each read is a MongoDB round
// trip. They are cached in the process, bounded per collection (least recently used out first), and evicted by ONE
// change stream on the database: a document changed by the CLI or another IdP instance is evicted within
// milliseconds, and writes made by this process evict synchronously. The caches are used only while the change
// stream is confirmed live; while it is down (an outage, a restart), every read goes to MongoDB.

export interface DocumentCache<T> {
  get(id: string): T | undefined;
  /**
   * Keeps a document read after a `get(id)` that missed, or after `since` (a `mark()` taken before the read, for a
   * document found by another field): not when anything in the collection was evicted since.
   */
  set(id: string, value: T, since?: number): void;
  evict(id: string): void;
  /** A point in the collection's change history, for `set` after a read not preceded by `get(id)`. */
  mark(): number;
  /** This process changed documents it cannot name: every one is dropped. */
  clear(): void;
  /** This process changed only fields declared `patchable`: `change` applies the same to the cached copy, if any. */
  patch(id: string, change: (value: T) => void): void;
  /**
   * Write-through: this process is about to store `value` whole (an insert or a replace), carrying a tag unique to this
   * write in its `WRITE_TAG` field. It is cached at once; the stream's event of that same write (the stored document's
   * tag equals the cached one's) leaves it, any other change to the id evicts it. Call `evict` if the write fails.
   */
  put(id: string, value: T): void;
}

/**
 * The field of a stored document naming the write that stored it (DocumentCache#put). Only the adapter's whole-document
 * writes set it; a write by any other path (the CLI, a partial update) has none, or another one, and evicts.
 */
export const WRITE_TAG = '_w';

export interface DocumentCacheOptions {
  /**
   * Bookkeeping fields (dotted paths, e.g. `profiling.signIns`) whose updates are applied to the cached copy instead of
   * evicting it, from the update event's `updatedFields`: a counter bumped on every sign-in would otherwise evict the
   * account at every sign-in. Values derived from the collection must not depend on them (they are not cleared).
   */
  patchable?: string[];
}

type ChangeEvent = {
  ns?: { coll?: string };
  documentKey?: { _id?: unknown };
  operationType?: string;
  updateDescription?: { updatedFields?: Record<string, unknown>; removedFields?: string[]; truncatedArrays?: unknown[] };
  fullDocument?: Record<string, unknown>;
};

const tagOf = (value: unknown): unknown => (value as Record<string, unknown> | undefined)?.[WRITE_TAG];
/** The event of the whole-document write whose result is the cached copy (DocumentCache#put). */
const isOwnPut = (change: ChangeEvent, cached: unknown): boolean => {
  if (change.operationType !== 'insert' && change.operationType !== 'replace') return false;
  const tag = tagOf(change.fullDocument);
  return typeof tag === 'string' && tag === tagOf(cached);
};

/** Sets `a.b.c` paths on a plain document (the update event's updatedFields). */
function applyPaths(document: Record<string, unknown>, fields: Record<string, unknown>): void {
  for (const [path, value] of Object.entries(fields)) {
    const parts = path.split('.');
    let node = document;
    for (const part of parts.slice(0, -1)) {
      if (typeof node[part] !== 'object' || node[part] === null) node[part] = {};
      node = node[part] as Record<string, unknown>;
    }
    node[parts.at(-1)!] = value;
  }
}

/** Values derived from a whole collection (a filtered list, documents looked up by another field). */
export interface DerivedCache<T> {
  get(key: string): T | undefined;
  /** As DocumentCache#set; `since` may be a mark() of the collection's document cache (one history per collection). */
  set(key: string, value: T, since?: number): void;
  /** This process changed the collection: drop every derived value at once (the stream would, a moment later). */
  clear(): void;
}

export interface ChangeCaches {
  for<T>(collection: string, options?: DocumentCacheOptions): DocumentCache<T>;
  /** A cache of values derived from `collection`, all dropped on any change to it (seen on the stream or made here). */
  derived<T>(collection: string): DerivedCache<T>;
  /**
   * Calls `listener` on every change to a watched collection seen on the stream (this process's writes included),
   * and when the stream comes back after an outage (changes may have been missed): for state derived from a whole
   * collection, such as the signing key set.
   */
  onChange(collection: string, listener: () => void): void;
  readonly live: boolean;
  /** Lookups since start per collection: served from memory, missed, or bypassed while the stream was down (metrics). */
  stats(): Record<string, { hit: number; miss: number; bypass: number }>;
  close(): Promise<void>;
}

export function createChangeCaches(db: mongo.Db, collections: string[], logger: Logger, maxEntries = 10_000): ChangeCaches {
  const maps = new Map(collections.map((name) => [name, new Map<string, unknown>()]));
  const derivedMaps = new Map(collections.map((name) => [name, new Map<string, unknown>()]));
  const patchable = new Map<string, Set<string>>();
  /** The updated fields of an update event that touches patchable fields only, else undefined. */
  const patchOf = (name: string, change: ChangeEvent): Record<string, unknown> | undefined => {
    const fields = patchable.get(name);
    const description = change.updateDescription;
    if (!fields || change.operationType !== 'update' || !description) return undefined;
    if (description.removedFields?.length || description.truncatedArrays?.length) return undefined;
    const updated = description.updatedFields ?? {};
    const keys = Object.keys(updated);
    return keys.length && keys.every((key) => fields.has(key)) ? updated : undefined;
  };
  /** Counts evictions per collection (see `set`). */
  const generations = new Map(collections.map((name) => [name, 0]));
  const generationOf = (name: string) => generations.get(name) ?? 0;
  const lookups = new Map(collections.map((name) => [name, { hit: 0, miss: 0, bypass: 0 }]));
  const bump = (name: string) => generations.set(name, generationOf(name) + 1);
  let live = false;
  let closed = false;
  let stream: mongo.ChangeStream | undefined;
  let retry: NodeJS.Timeout | undefined;
  const listeners = new Map<string, Array<() => void>>();
  const notify = (name: string) => { for (const listener of listeners.get(name) ?? []) listener(); };

  const clearAll = () => {
    for (const [name, map] of maps) {
      bump(name);
      map.clear();
      derivedMaps.get(name)!.clear();
    }
  };
  const down = () => {
    live = false;
    clearAll();
    void stream?.close().catch(() => undefined);
    stream = undefined;
    if (closed || retry) return;
    retry = setTimeout(() => { retry = undefined; watch(); }, 1000);
    retry.unref();
  };

  function watch() {
    if (closed) return;
    // Only what eviction needs: an insert or replace would otherwise bring its whole document to every instance.
    stream = db.watch([
      { $match: { 'ns.coll': { $in: collections } } },
      { $project: { ns: 1, documentKey: 1, operationType: 1, updateDescription: 1, [`fullDocument.${WRITE_TAG}`]: 1 } },
    ]);
    // The first resume token means the server-side cursor exists: from then on no change can be missed.
    stream.once('resumeTokenChanged', () => {
      live = true;
      for (const name of listeners.keys()) notify(name);
    });
    stream.on('change', (change: ChangeEvent) => {
      const name = change.ns?.coll ?? '';
      notify(name);
      const map = maps.get(name);
      if (!map) return;
      bump(name);
      const id = change.documentKey?._id;
      const patch = typeof id === 'string' ? patchOf(name, change) : undefined;
      if (patch) {
        const cached = map.get(id as string);
        if (cached) applyPaths(cached as Record<string, unknown>, patch);
        return;
      }
      derivedMaps.get(name)!.clear();
      if (typeof id === 'string') {
        if (!isOwnPut(change, map.get(id))) map.delete(id);
      } else map.clear();
    });
    stream.on('error', (error: Error) => {
      logger.warn({ event: 'cache.stream_error', err: error.message }, 'caches off until the change stream is back');
      down();
    });
    stream.on('close', () => { if (!closed) down(); });
  }
  watch();

  return {
    for<T>(collection: string, options: DocumentCacheOptions = {}): DocumentCache<T> {
      const map = maps.get(collection) as Map<string, T> | undefined;
      if (!map) throw new Error(`no change cache for ${collection}`);
      if (options.patchable) patchable.set(collection, new Set(options.patchable));
      // A read that missed, went to MongoDB and came back after a change evicted the id must not put the old
      // document back: `set` caches only when nothing was evicted in this collection since that miss.
      const misses = new Map<string, number>();
      const counts = lookups.get(collection)!;
      return {
        get(id) {
          if (!live) { counts.bypass += 1; return undefined; }
          const value = map.get(id);
          if (value !== undefined) { counts.hit += 1; map.delete(id); map.set(id, value); return value; }
          counts.miss += 1;
          if (misses.size >= maxEntries) misses.clear();
          misses.set(id, generationOf(collection));
          return undefined;
        },
        set(id, value, mark) {
          const since = mark ?? misses.get(id);
          misses.delete(id);
          if (!live || since !== generationOf(collection)) return;
          map.set(id, value);
          if (map.size > maxEntries) map.delete(map.keys().next().value!);
        },
        evict: (id) => { bump(collection); map.delete(id); },
        mark: () => generationOf(collection),
        clear: () => { bump(collection); map.clear(); },
        patch: (id, change) => {
          bump(collection);
          const cached = map.get(id);
          if (cached) change(cached);
        },
        put(id, value) {
          bump(collection);
          map.delete(id);
          if (!live || typeof tagOf(value) !== 'string') return;
          map.set(id, value);
          if (map.size > maxEntries) map.delete(map.keys().next().value!);
        },
      };
    },
    derived<T>(collection: string): DerivedCache<T> {
      const map = derivedMaps.get(collection) as Map<string, T> | undefined;
      if (!map) throw new Error(`no change cache for ${collection}`);
      // As in `for`: a value computed from reads that started before a change is not kept.
      const misses = new Map<string, number>();
      return {
        get(key) {
          if (!live) return undefined;
          const value = map.get(key);
          if (value !== undefined) return value;
          if (misses.size >= maxEntries) misses.clear();
          misses.set(key, generationOf(collection));
          return undefined;
        },
        set(key, value, mark) {
          const since = mark ?? misses.get(key);
          misses.delete(key);
          if (!live || since !== generationOf(collection)) return;
          map.set(key, value);
          if (map.size > maxEntries) map.delete(map.keys().next().value!);
        },
        clear: () => { bump(collection); map.clear(); },
      };
    },
    onChange(collection, listener) {
      if (!maps.has(collection)) throw new Error(`no change stream for ${collection}`);
      listeners.set(collection, [...(listeners.get(collection) ?? []), listener]);
    },
    get live() { return live; },
    stats: () => Object.fromEntries([...lookups].map(([name, counts]) => [name, { ...counts }])),
    async close() {
      closed = true;
      live = false;
      if (retry) clearTimeout(retry);
      clearAll();
      await stream?.close().catch(() => undefined);
    },
  };
}
