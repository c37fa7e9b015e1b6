import { existsSync, mkdirSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import mongoose from 'mongoose';
import { MongoMemoryServer } from 'mongodb-memory-server-core';

// When MONGODB_URI is unset, the IdP runs its own MongoDB: a one-node replica set (wiredTiger) whose data persists
// under <dataDir>/db, on a fixed loopback port. Its URI is written to <dataDir>/mongodb.json so the `idp` CLI
// reaches the same store while the server runs, and starts it itself when the server does not.
// mongodb-memory-server-core honours MONGOMS_SYSTEM_BINARY; on a machine with internet it downloads mongod.

const REPLICA_SET = 'rs0';
const { MongoClient } = mongoose.mongo;

export interface EmbeddedMongo {
  uri: string;
  stop(): Promise<void>;
}

export function embeddedUriFile(dataDir: string): string {
  return path.resolve(dataDir, 'mongodb.json');
}

/** The URI of an embedded MongoDB another process of ours already runs on this data directory, if it answers. */
export async function findRunningEmbedded(dataDir: string): Promise<string | undefined> {
  const file = embeddedUriFile(dataDir);
  if (!existsSync(file)) return undefined;
  const { uri } = JSON.parse(readFileSync(file, 'utf8')) as { uri: string };
  const client = new MongoClient(uri, { serverSelectionTimeoutMS: 1500, directConnection: true });
  try {
    await client.db('admin').command({ ping: 1 });
    return uri;
  } catch {
    return undefined;
  } finally {
    await client.close().catch(() => undefined);
  }
}

export async function startEmbeddedMongo(dataDir: string, port: number): Promise<EmbeddedMongo> {
  const dbPath = path.resolve(dataDir, 'db');
  mkdirSync(dbPath, { recursive: true });
  // launchTimeout: the library's 10 s default is too short for a cold start on a slow disk or a busy machine.
  const server = await MongoMemoryServer.create({
    instance: { dbPath, port, ip: '127.0.0.1', replSet: REPLICA_SET, storageEngine: 'wiredTiger', launchTimeout: 60_000 },
  });
  const host = `127.0.0.1:${port}`;
  await initiateReplicaSet(host);
  const uri = `mongodb://${host}/idp?replicaSet=${REPLICA_SET}`;
  writeFileSync(embeddedUriFile(dataDir), JSON.stringify({ uri, pid: process.pid }), { mode: 0o600 });
  return {
    uri,
    async stop() {
      rmSync(embeddedUriFile(dataDir), { force: true });
      await server.stop({ doCleanup: false });
    },
  };
}

/** replSetInitiate once; on a data directory that already holds the set, wait until it has a primary. */
async function initiateReplicaSet(host: string): Promise<void> {
  const client = new MongoClient(`mongodb://${host}/?directConnection=true`, { serverSelectionTimeoutMS: 10_000 });
  try {
    const admin = client.db('admin');
    try {
      await admin.command({ replSetInitiate: { _id: REPLICA_SET, members: [{ _id: 0, host }] } });
    } catch (error) {
      if ((error as { codeName?: string }).codeName !== 'AlreadyInitialized') throw error;
    }
    for (let attempt = 0; attempt < 100; attempt++) {
      const hello = await admin.command({ hello: 1 });
      if (hello.isWritablePrimary) return;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    throw new Error('embedded MongoDB did not become primary within 20 s');
  } finally {
    await client.close();
  }
}
