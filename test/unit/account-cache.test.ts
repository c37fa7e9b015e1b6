import { describe, expect, test } from '@jest/globals';
import { EventEmitter } from 'node:events';
import { createChangeCaches } from '../../src/db/change-cache.ts';
import { createLogger } from '../../src/shared/logger.ts';
import { ACCOUNT_BOOKKEEPING_FIELDS, createAccountCache } from '../../src/accounts/account-cache.ts';
import type { AccountDocument } from '../../src/accounts/account.model.ts';

// The account cache's own logic with a stand-in change stream and collection handle (no I/O).
function setUp() {
  const stream = Object.assign(new EventEmitter(), { close: async () => undefined });
  const caches = createChangeCaches({ watch: () => stream } as never, ['accounts'], createLogger('silent'));
  const writes: string[] = [];
  const handle = {
    updateOne: async (filter: unknown, update: unknown) => { writes.push(JSON.stringify([filter, update])); },
    deleteMany: async () => { writes.push('deleteMany'); },
  };
  const cache = createAccountCache(handle, caches.for('accounts', { patchable: ACCOUNT_BOOKKEEPING_FIELDS }), caches.derived('accounts'));
  stream.emit('resumeTokenChanged');
  return { stream, handle, cache, writes };
}

const account = (over: Partial<AccountDocument> = {}): AccountDocument => ({
  _id: 'a1', email: 'A@example.test', emailNormalized: 'a@example.test', emailVerified: true, status: 'active', profile: {},
  createdAt: new Date(0), updatedAt: new Date(0), ...over,
});

describe('account cache', () => {
  test('reads once, then serves copies by id and by email; a write through the handle evicts at once', async () => {
    const { handle, cache } = setUp();
    let reads = 0;
    const read = async () => { reads += 1; return account(); };
    await cache.byEmail('a@example.test', read);
    const copy = (await cache.byId('a1', read))!;
    copy.status = 'blocked';
    expect((await cache.byEmail('a@example.test', read))!.status).toBe('active');
    expect(reads).toBe(1);
    await handle.updateOne({ _id: 'a1' }, { $set: { status: 'blocked' } });
    await cache.byId('a1', async () => { reads += 1; return account({ status: 'blocked' }); });
    expect(reads).toBe(2);
  });

  test('a change on another instance evicts; an email that moved to another account never answers with the old one', async () => {
    const { stream, cache } = setUp();
    await cache.byEmail('a@example.test', async () => account());
    stream.emit('change', { ns: { coll: 'accounts' }, documentKey: { _id: 'a1' }, operationType: 'update', updateDescription: { updatedFields: { email: 'b@x' } } });
    const other = account({ _id: 'a2' });
    expect((await cache.byEmail('a@example.test', async () => other))!._id).toBe('a2');
  });

  test('the sign-in count is applied to the cached copy (here and from the stream), other updates evict', async () => {
    const { stream, handle, cache } = setUp();
    let reads = 0;
    const read = async () => { reads += 1; return account({ profiling: { signIns: 4 } }); };
    await cache.byId('a1', read);
    await handle.updateOne({ _id: 'a1' }, { $inc: { 'profiling.signIns': 1 } });
    expect((await cache.byId('a1', read))!.profiling?.signIns).toBe(5);
    stream.emit('change', {
      ns: { coll: 'accounts' }, documentKey: { _id: 'a1' }, operationType: 'update',
      updateDescription: { updatedFields: { 'profiling.signIns': 7 }, removedFields: [] },
    });
    expect((await cache.byId('a1', read))!.profiling?.signIns).toBe(7);
    expect(reads).toBe(1);
    stream.emit('change', {
      ns: { coll: 'accounts' }, documentKey: { _id: 'a1' }, operationType: 'update',
      updateDescription: { updatedFields: { 'profiling.signIns': 8, passwordHash: 'x' }, removedFields: [] },
    });
    await cache.byId('a1', read);
    expect(reads).toBe(2);
  });

  test('a write without one id drops every cached account', async () => {
    const { handle, cache } = setUp();
    let reads = 0;
    const read = async () => { reads += 1; return account(); };
    await cache.byId('a1', read);
    await handle.deleteMany();
    await cache.byId('a1', read);
    expect(reads).toBe(2);
  });
});
