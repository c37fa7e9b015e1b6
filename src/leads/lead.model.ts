import { Schema, type Connection, type Model, type mongo } from 'mongoose';

// Lite registrations ("leads"): an email address with legal consents and chosen attributes, collected without a
// password (a newsletter form), in collection `leads`, one document per address. What a form submitted stays in
// `pending` until the mailed link of that very submission is opened (mailbox proof, double opt-in); only then does
// it join the lead's proven `consents` and `attributes`, which are what an account of the same address inherits.
// A converted lead keeps no personal data: its address, consents and attributes move to the account, and the
// document is left as the record that the account came from a lead (id, sources, dates, account id).

export const LEAD_COLLECTION = 'leads';
export const LEAD_STATUSES = ['pending', 'verified', 'converted'] as const;
export type LeadStatus = (typeof LEAD_STATUSES)[number];
export const LEAD_METHODS = ['lite_page', 'lite_api'] as const;
export type LeadMethod = (typeof LEAD_METHODS)[number];

export type LeadValue = string | number | boolean;

/** One ticked document, at the version shown, as the consents feature records it (consent-record.model.ts). */
export interface LeadConsent {
  /** Receipt id of the lead's consent. */
  id: string;
  documentId: string;
  version: string;
  kind: string;
  at: Date;
  clientId: string;
  locale: string;
  ip?: string;
  userAgent?: string;
  method: LeadMethod;
}

/** Attribute values as a list: claim names such as `address.postal_code` must not become nested paths. */
export interface LeadAttribute {
  key: string;
  value: LeadValue;
}

/** One form submission waiting for its mailed link. */
export interface LeadSubmission {
  id: string;
  clientId: string;
  locale: string;
  method: LeadMethod;
  at: Date;
  consents: LeadConsent[];
  attributes: LeadAttribute[];
}

export interface LeadDocument {
  _id: string;
  email?: string;
  emailNormalized?: string;
  status: LeadStatus;
  consents: LeadConsent[];
  attributes: LeadAttribute[];
  pending: LeadSubmission[];
  /** Clients whose forms submitted this address. */
  sources: string[];
  accountId?: string;
  verifiedAt?: Date;
  convertedAt?: Date;
  /** Set while nothing is proven: an unconfirmed lead is removed then (TTL), data kept no longer than needed. */
  expiresAt?: Date;
  /** Optimistic concurrency of the read-merge-write of a verification. */
  rev: number;
  createdAt: Date;
  updatedAt: Date;
}

const consentSchema = new Schema<LeadConsent>({
  id: { type: String, required: true },
  documentId: { type: String, required: true },
  version: { type: String, required: true },
  kind: { type: String, required: true },
  at: { type: Date, required: true },
  clientId: { type: String, required: true },
  locale: { type: String, required: true },
  ip: String,
  userAgent: String,
  method: { type: String, enum: LEAD_METHODS, required: true },
}, { _id: false });

const attributeSchema = new Schema<LeadAttribute>({
  key: { type: String, required: true },
  value: { type: Schema.Types.Mixed, required: true },
}, { _id: false });

const submissionSchema = new Schema<LeadSubmission>({
  id: { type: String, required: true },
  clientId: { type: String, required: true },
  locale: { type: String, required: true },
  method: { type: String, enum: LEAD_METHODS, required: true },
  at: { type: Date, required: true },
  consents: { type: [consentSchema], default: [] },
  attributes: { type: [attributeSchema], default: [] },
}, { _id: false });

const leadSchema = new Schema<LeadDocument>({
  _id: { type: String, required: true },
  email: String,
  emailNormalized: String,
  status: { type: String, enum: LEAD_STATUSES, required: true },
  consents: { type: [consentSchema], default: [] },
  attributes: { type: [attributeSchema], default: [] },
  pending: { type: [submissionSchema], default: [] },
  sources: { type: [String], default: [] },
  accountId: String,
  verifiedAt: Date,
  convertedAt: Date,
  expiresAt: Date,
  rev: { type: Number, default: 0 },
}, { timestamps: true, versionKey: false, collection: LEAD_COLLECTION });

// One lead per address while it has one; converted leads have none (the address lives on the account).
leadSchema.index({ emailNormalized: 1 }, { unique: true, name: 'email_unique', partialFilterExpression: { emailNormalized: { $type: 'string' } } });
leadSchema.index({ expiresAt: 1 }, { expireAfterSeconds: 0, name: 'unconfirmed_ttl' });
leadSchema.index({ accountId: 1 }, { name: 'account', partialFilterExpression: { accountId: { $type: 'string' } } });
leadSchema.index({ status: 1, _id: -1 }, { name: 'status_listing' });

export type LeadModel = Model<LeadDocument>;
export const leadModel = (connection: Connection): LeadModel => connection.model<LeadDocument>('Lead', leadSchema);

/** The driver's collection, typed: the leads code writes with the driver (explicit $setOnInsert, no mongoose defaults). */
export const leadCollection = (model: LeadModel) => model.collection as unknown as mongo.Collection<LeadDocument>;
