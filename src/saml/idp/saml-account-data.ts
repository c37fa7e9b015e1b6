import { createHash } from 'node:crypto';
import type { NameIds } from './name-id.ts';
import type { SamlModels } from './saml.models.ts';

// What the SAML IdP keeps about one account: the SPs it is signed in to (saml_participants, for single logout) and
// the persistent NameIDs issued to SPs (saml_persistent_ids, keyed by a digest of SP and NameID, so they are found
// by recomputing the pairwise value per SP: saml-core §8.3.7). Erasure removes both (GDPR art. 17).

/** The key response.service.ts stores a persistent NameID under. */
export const persistentIdKey = (spEntityId: string, nameId: string): string =>
  createHash('sha256').update(`${spEntityId}\u0000${nameId}`).digest('base64url');

export function createSamlAccountData(models: Pick<SamlModels, 'SamlSp' | 'SamlParticipant' | 'SamlPersistentId'>, nameIds: NameIds) {
  async function persistentKeys(accountId: string): Promise<Array<{ spEntityId: string; key: string }>> {
    const sps = await models.SamlSp.find({}, { _id: 1 }).lean<Array<{ _id: string }>>().exec();
    return sps.map(({ _id }) => ({ spEntityId: _id, key: persistentIdKey(_id, nameIds.persistent(accountId, _id)) }));
  }
  return {
    /** The SPs the account signed in to and those holding a persistent NameID of it (the export's SAML part). */
    async exportOf(accountId: string) {
      const participants = await models.SamlParticipant.find({ accountId }, { _id: 0, spEntityId: 1, sessionIndex: 1, expiresAt: 1 }).lean().exec();
      const keys = await persistentKeys(accountId);
      const issued = new Set((await models.SamlPersistentId.find({ _id: { $in: keys.map((k) => k.key) } }, { _id: 1 }).lean().exec()).map((d) => d._id));
      return {
        signedInTo: participants,
        persistentNameIdsIssuedTo: keys.filter((k) => issued.has(k.key)).map((k) => k.spEntityId),
      };
    },
    async erase(accountId: string): Promise<void> {
      await models.SamlParticipant.collection.deleteMany({ accountId });
      const keys = await persistentKeys(accountId);
      if (keys.length) await models.SamlPersistentId.collection.deleteMany({ _id: { $in: keys.map((k) => k.key) } } as never);
    },
  };
}

export type SamlAccountData = ReturnType<typeof createSamlAccountData>;
