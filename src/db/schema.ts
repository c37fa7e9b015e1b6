import type { Connection } from 'mongoose';
import { ENGINE_MODELS, engineCollectionName, engineIndexes } from '../oidc/adapter/mongo.adapter.ts';
import type { Models } from './models.ts';

// Every collection and index is created here, explicitly and one after another, at start-up and by
// `idp db migrate`; never implicitly at request time (autoCreate/autoIndex are off). Besides being the sound
// production practice, it avoids concurrent implicit creation of one collection, which crashes some mongod builds.

export interface MigrationReport {
  collections: string[];
  created: string[];
}

export async function ensureSchema(connection: Connection, models: Models): Promise<MigrationReport> {
  const db = connection.db!;
  const existing = new Set((await db.listCollections({}, { nameOnly: true }).toArray()).map((c) => c.name));
  const report: MigrationReport = { collections: [], created: [] };

  const ensureCollection = async (name: string) => {
    report.collections.push(name);
    if (existing.has(name)) return;
    await db.createCollection(name);
    report.created.push(name);
  };

  for (const model of Object.values(models)) {
    await ensureCollection(model.collection.collectionName);
    await model.syncIndexes();
  }
  for (const model of ENGINE_MODELS) {
    const name = engineCollectionName(model);
    await ensureCollection(name);
    for (const index of engineIndexes(model)) await db.collection(name).createIndex(index.key, index.options);
  }
  return report;
}
