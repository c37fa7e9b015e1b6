import { MongoMemoryReplSet } from 'mongodb-memory-server-core';

// One real mongod (a one-node replica set, wiredTiger) for the whole run; each test file uses its own database.
export default async function globalSetup() {
  const replSet = await MongoMemoryReplSet.create({
    replSet: { count: 1, storageEngine: 'wiredTiger', ip: '127.0.0.1' },
    // mongod under emulation on a busy 2-core machine can take well over the default 10 s to start.
    instanceOpts: [{ launchTimeout: 60_000 }],
  });
  await replSet.waitUntilRunning();
  (globalThis as Record<string, unknown>).__MONGO_REPLSET__ = replSet;
  process.env.TEST_MONGODB_URI = replSet.getUri();
}
