import { describe, expect, test } from '@jest/globals';
import { EventEmitter } from 'node:events';
import { createChangeCaches } from '../../src/db/change-cache.ts';
import { createLogger } from '../../src/shared/logger.ts';

// A stand-in change stream (no I/O): the cache's own logic, not MongoDB's, is under test here.
function fakeDb() {
  const stream = Object.assign(new EventEmitter(), { close: async () => undefined });
  return { db: { watch: () => stream } as never, stream };
}

describe('change-evicted document cache', () => {
  test('serves nothing until the stream is live, then caches; a change evicts', () => {
    const { db, stream } = fakeDb();
    const cache = createChangeCaches(db, ['things'], createLogger('silent')).for<string>('things');
    expect(cache.get('a')).toBeUndefined();
    cache.set('a', 'v1');
    expect(cache.get('a')).toBeUndefined(); // not live yet: never cached
    stream.emit('resumeTokenChanged');
    expect(cache.get('a')).toBeUndefined();
    cache.set('a', 'v1');
    expect(cache.get('a')).toBe('v1');
    stream.emit('change', { ns: { coll: 'things' }, documentKey: { _id: 'a' } });
    expect(cache.get('a')).toBeUndefined();
  });

  test('a read that started before a change does not put the old document back', () => {
    const { db, stream } = fakeDb();
    const cache = createChangeCaches(db, ['things'], createLogger('silent')).for<string>('things');
    stream.emit('resumeTokenChanged');
    expect(cache.get('a')).toBeUndefined(); // miss: the caller reads MongoDB (old value) ...
    stream.emit('change', { ns: { coll: 'things' }, documentKey: { _id: 'a' } }); // ... meanwhile it changes
    cache.set('a', 'old');
    expect(cache.get('a')).toBeUndefined();
    cache.set('a', 'new'); // the next miss reads the new value and caches it
    expect(cache.get('a')).toBe('new');
  });

  test('a stream error turns caching off and clears everything', () => {
    const { db, stream } = fakeDb();
    const cache = createChangeCaches(db, ['things'], createLogger('silent')).for<string>('things');
    stream.emit('resumeTokenChanged');
    cache.get('a');
    cache.set('a', 'v');
    stream.emit('error', new Error('network'));
    expect(cache.get('a')).toBeUndefined();
    cache.set('a', 'v');
    expect(cache.get('a')).toBeUndefined();
  });

  test('write-through: a put is served at once, its own event keeps it, any other change to the id evicts it', () => {
    const { db, stream } = fakeDb();
    const cache = createChangeCaches(db, ['things'], createLogger('silent')).for<{ v: string; _w?: string }>('things');
    stream.emit('resumeTokenChanged');
    cache.put('a', { v: 'mine', _w: 'p.1' });
    expect(cache.get('a')?.v).toBe('mine');
    stream.emit('change', { ns: { coll: 'things' }, documentKey: { _id: 'a' }, operationType: 'replace', fullDocument: { _w: 'p.1' } });
    expect(cache.get('a')?.v).toBe('mine');
    // Another instance's replace (another tag, or none), a partial update and a delete all evict.
    for (const change of [
      { operationType: 'replace', fullDocument: { _w: 'q.1' } }, { operationType: 'replace', fullDocument: {} },
      { operationType: 'update', fullDocument: { _w: 'p.1' } }, { operationType: 'delete' },
    ]) {
      cache.put('a', { v: 'mine', _w: 'p.1' });
      stream.emit('change', { ns: { coll: 'things' }, documentKey: { _id: 'a' }, ...change });
      expect(cache.get('a')).toBeUndefined();
    }
    // Untagged values and puts while the stream is down are not kept; a read in flight across a put is not kept either.
    cache.put('a', { v: 'untagged' });
    expect(cache.get('a')).toBeUndefined();
    cache.put('b', { v: 'mine', _w: 'p.2' });
    cache.set('a', { v: 'old' });
    expect(cache.get('a')).toBeUndefined();
    stream.emit('error', new Error('network'));
    cache.put('c', { v: 'mine', _w: 'p.3' });
    expect(cache.get('c')).toBeUndefined();
  });
});
