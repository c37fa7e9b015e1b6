import type { mongo } from 'mongoose';
import type { ChangeCaches } from '../../db/change-cache.ts';
import { ENGINE_MODELS, engineCollectionName, isGrantable } from './mongo.adapter.ts';

// "Signed out everywhere" after a password reset (or an admin block): every sign-in session of the account, every
// grant, and every code and token issued under those grants, straight from the engine's collections.
export async function revokeEverythingOf(db: mongo.Db, accountId: string, caches?: ChangeCaches): Promise<{ sessions: number; grants: number }> {
  const sessionCollection = engineCollectionName('Session');
  const sessions = await db.collection(sessionCollection).deleteMany({ 'payload.accountId': accountId });
  // Deleted by account, not by id: every cached session goes (the stream would evict each a moment later).
  if (sessions.deletedCount) caches?.for(sessionCollection).clear();
  const grantCollection = db.collection<{ _id: string }>(engineCollectionName('Grant'));
  const grantIds = (await grantCollection.find({ 'payload.accountId': accountId }, { projection: { _id: 1 } }).toArray()).map((g) => g._id);
  if (grantIds.length) {
    for (const model of ENGINE_MODELS.filter(isGrantable)) {
      await db.collection(engineCollectionName(model)).deleteMany({ 'payload.grantId': { $in: grantIds } });
    }
    await grantCollection.deleteMany({ _id: { $in: grantIds } });
    const cached = caches?.for(grantCollection.collectionName);
    for (const id of grantIds) cached?.evict(id);
  }
  return { sessions: sessions.deletedCount, grants: grantIds.length };
}
