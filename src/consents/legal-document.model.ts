import { Schema, type Connection, type Model } from 'mongoose';

// One version of a legal document (terms of service, privacy policy, marketing opt-in, custom purposes), per-locale
// title and text or URL. A version is a draft until published; a published version is immutable: every update or
// delete through this model is narrowed to drafts (hooks below), so not even a bug elsewhere can rewrite what
// people agreed to.

export const DOCUMENT_KINDS = ['terms', 'privacy', 'marketing', 'custom'] as const;
export type DocumentKind = (typeof DOCUMENT_KINDS)[number];

export interface LocalizedContent {
  title: string;
  text?: string;
  url?: string;
}

export interface LegalDocumentVersion {
  /** `<documentId>@<version>` */
  _id: string;
  documentId: string;
  kind: DocumentKind;
  /** For custom documents: the purpose consented to (e.g. "research"). */
  purpose?: string;
  version: string;
  status: 'draft' | 'published';
  /** Order of published versions of one document (1, 2 ...), assigned at publication. */
  seq?: number;
  effectiveAt: Date;
  /** Whether people who accepted an earlier version must accept this one again. */
  requiresReacceptance: boolean;
  content: { ja?: LocalizedContent; en?: LocalizedContent };
  publishedAt?: Date;
  createdAt: Date;
}

const schema = new Schema<LegalDocumentVersion>({
  _id: { type: String, required: true },
  documentId: { type: String, required: true },
  kind: { type: String, enum: DOCUMENT_KINDS, required: true },
  purpose: String,
  version: { type: String, required: true },
  status: { type: String, enum: ['draft', 'published'], required: true },
  seq: Number,
  effectiveAt: { type: Date, required: true },
  requiresReacceptance: { type: Boolean, required: true },
  content: { type: Schema.Types.Mixed, required: true },
  publishedAt: Date,
}, { timestamps: { createdAt: true, updatedAt: false }, versionKey: false, collection: 'legal_documents' });

schema.index({ documentId: 1, status: 1, seq: -1 }, { name: 'document_versions' });
schema.index({ documentId: 1, seq: 1 }, { unique: true, name: 'published_seq_unique', partialFilterExpression: { status: 'published' } });

for (const op of ['updateOne', 'updateMany', 'findOneAndUpdate', 'replaceOne', 'findOneAndReplace', 'deleteOne', 'deleteMany', 'findOneAndDelete'] as const) {
  schema.pre(op, function onlyDrafts() {
    this.where({ status: 'draft' });
  });
}

export type LegalDocumentModel = Model<LegalDocumentVersion>;
export const legalDocumentModel = (connection: Connection): LegalDocumentModel =>
  connection.model<LegalDocumentVersion>('LegalDocument', schema);
