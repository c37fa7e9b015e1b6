import { Schema, type Connection, type Model } from 'mongoose';

// Consent records: append-only, one per decision (granted or withdrawn). Nothing updates or deletes them through
// this model (the hooks refuse it); only account erasure removes an account's records, through the driver in
// consent-record.repository.ts. The latest record per document is the current state; the records up to a date are
// the state on that date.

/** `lite_page`, `lite_api`: given on a lite registration form (src/leads) and carried into the account. */
export const CONSENT_METHODS = ['signup', 'prompt', 'account_page', 'admin', 'lite_page', 'lite_api'] as const;
export type ConsentMethod = (typeof CONSENT_METHODS)[number];

export interface ConsentRecord {
  /** Also the consent receipt id. */
  _id: string;
  accountId: string;
  documentId: string;
  version: string;
  kind: string;
  decision: 'granted' | 'withdrawn';
  at: Date;
  clientId?: string;
  locale: string;
  ip?: string;
  userAgent?: string;
  method: ConsentMethod;
}

const schema = new Schema<ConsentRecord>({
  _id: { type: String, required: true },
  accountId: { type: String, required: true },
  documentId: { type: String, required: true },
  version: { type: String, required: true },
  kind: { type: String, required: true },
  decision: { type: String, enum: ['granted', 'withdrawn'], required: true },
  at: { type: Date, required: true },
  clientId: String,
  locale: { type: String, required: true },
  ip: String,
  userAgent: String,
  method: { type: String, enum: CONSENT_METHODS, required: true },
}, { versionKey: false, collection: 'consent_records' });

schema.index({ accountId: 1, documentId: 1, at: -1 }, { name: 'account_document_time' });

export class ImmutableRecordError extends Error {
  override name = 'ImmutableRecordError';
}

for (const op of ['updateOne', 'updateMany', 'findOneAndUpdate', 'replaceOne', 'findOneAndReplace', 'deleteOne', 'deleteMany', 'findOneAndDelete'] as const) {
  schema.pre(op, () => {
    throw new ImmutableRecordError(`consent records are append-only (${op} refused)`);
  });
}
schema.pre('save', function insertOnly() {
  if (!this.isNew) throw new ImmutableRecordError('consent records are append-only (save of an existing record refused)');
});

export type ConsentRecordModel = Model<ConsentRecord>;
export const consentRecordModel = (connection: Connection): ConsentRecordModel =>
  connection.model<ConsentRecord>('ConsentRecord', schema);
