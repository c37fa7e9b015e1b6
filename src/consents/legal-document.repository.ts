import type { ChangeCaches } from '../db/change-cache.ts';
import { AppError } from '../shared/app-error.ts';
import type { LegalDocumentModel, LegalDocumentVersion } from './legal-document.model.ts';

// Versions of legal documents. A draft may be replaced; publishing assigns the next sequence number and freezes it.

export type NewVersion = Omit<LegalDocumentVersion, '_id' | 'status' | 'seq' | 'publishedAt' | 'createdAt'>;

const isDuplicateKey = (error: unknown) => (error as { code?: number }).code === 11000;

/**
 * `caches`: the published versions a client's documents policy names are read on every sign-in to that client; they
 * are kept in the collection's change cache (db/change-cache.ts), dropped on any change here or on another instance.
 */
export function createLegalDocumentRepository(model: LegalDocumentModel, caches?: ChangeCaches) {
  const published = (filter: Record<string, unknown>) =>
    model.find({ ...filter, status: 'published' }).sort({ documentId: 1, seq: -1 }).lean<LegalDocumentVersion[]>().exec();
  const publishedLists = caches?.derived<LegalDocumentVersion[]>(model.collection.collectionName);

  return {
    /** Adds or replaces a draft; refuses a version that is already published (same _id: the upsert collides). */
    async putDraft(input: NewVersion): Promise<LegalDocumentVersion> {
      const _id = `${input.documentId}@${input.version}`;
      publishedLists?.clear();
      try {
        await model.replaceOne({ _id }, { ...input, _id, status: 'draft', createdAt: new Date() }, { upsert: true }).exec();
      } catch (error) {
        if (isDuplicateKey(error)) throw new AppError(`legal.version_published: ${_id}`, 409);
        throw error;
      }
      return (await model.findById(_id).lean<LegalDocumentVersion>().exec())!;
    },

    /** Publishes a draft with the next sequence number of its document (retried if another publish raced it). */
    async publish(documentId: string, version: string): Promise<LegalDocumentVersion> {
      const _id = `${documentId}@${version}`;
      for (let attempt = 0; attempt < 5; attempt++) {
        const [latest] = await published({ documentId });
        const draft = await model.findOne({ _id, status: 'draft' }).lean<LegalDocumentVersion>().exec();
        if (!draft) {
          const exists = await model.exists({ _id });
          throw new AppError(exists ? `legal.version_published: ${_id}` : `legal.version_not_found: ${_id}`, exists ? 409 : 404);
        }
        if (latest && latest.kind !== draft.kind) throw new AppError(`legal.kind_mismatch: ${_id}`, 400);
        publishedLists?.clear();
        try {
          const done = await model.findOneAndUpdate(
            { _id }, { $set: { status: 'published', seq: (latest?.seq ?? 0) + 1, publishedAt: new Date() } }, { new: true },
          ).lean<LegalDocumentVersion>().exec();
          if (done) return done;
        } catch (error) {
          if (!isDuplicateKey(error)) throw error;
        }
      }
      throw new AppError(`legal.publish_conflict: ${_id}`, 409);
    },

    /** Published versions of these documents, newest first per document. */
    async publishedOf(documentIds: string[]): Promise<LegalDocumentVersion[]> {
      const key = JSON.stringify(documentIds);
      const cached = publishedLists?.get(key);
      if (cached) return [...cached];
      const versions = await published({ documentId: { $in: documentIds } });
      publishedLists?.set(key, versions);
      return [...versions];
    },

    find: (documentId: string, version: string) => model.findById(`${documentId}@${version}`).lean<LegalDocumentVersion>().exec(),

    all: () => model.find().sort({ documentId: 1, createdAt: 1 }).lean<LegalDocumentVersion[]>().exec(),
  };
}

export type LegalDocumentRepository = ReturnType<typeof createLegalDocumentRepository>;
