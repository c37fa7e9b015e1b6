import { randomUUID } from 'node:crypto';
import type { ConsentRecord, ConsentRecordModel } from './consent-record.model.ts';

// Append and read, nothing else: there is no method to change a record. Erasure of an account (GDPR Art. 17) is
// the one way records disappear, and it goes around the model's refusing hooks on purpose.

export type NewRecord = Omit<ConsentRecord, '_id' | 'at'>;

export function createConsentRecordRepository(model: ConsentRecordModel) {
  return {
    async append(records: NewRecord[], at = new Date()): Promise<ConsentRecord[]> {
      const documents = records.map((record) => ({ ...record, _id: randomUUID(), at }));
      if (documents.length) await model.insertMany(documents);
      return documents;
    },

    /** Every record of an account (optionally for some documents, up to a date), newest first. */
    history(accountId: string, options: { documentIds?: string[]; until?: Date } = {}): Promise<ConsentRecord[]> {
      const filter: Record<string, unknown> = { accountId };
      if (options.documentIds) filter.documentId = { $in: options.documentIds };
      if (options.until) filter.at = { $lte: options.until };
      return model.find(filter).sort({ at: -1, _id: 1 }).lean<ConsentRecord[]>().exec();
    },

    findById: (id: string) => model.findById(id).lean<ConsentRecord>().exec(),

    /** Account erasure only. */
    async eraseAccount(accountId: string): Promise<number> {
      return (await model.collection.deleteMany({ accountId })).deletedCount;
    },
  };
}

export type ConsentRecordRepository = ReturnType<typeof createConsentRecordRepository>;
