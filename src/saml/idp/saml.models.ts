import { Schema, type Connection, type Model, type mongo } from 'mongoose';

// The SAML IdP's collections. The SP registry is read per request (a change applies at once); the rest is
// short-lived protocol state with TTL indexes (`expiresAt`), created explicitly by src/db/schema.ts.

export type NameFormatName = 'basic' | 'uri' | 'unspecified';

export interface AttributeRelease {
  /** Our claim (email, name, given_name, family_name, groups ...). */
  claim: string;
  /** The SAML attribute Name, e.g. `email` or `urn:oid:0.9.2342.19200300.100.1.3`. */
  name: string;
  nameFormat: NameFormatName;
  friendlyName?: string;
}

export interface Endpoint {
  binding: string;
  location: string;
  index?: number;
  isDefault?: boolean;
  responseLocation?: string;
}

export interface SamlSpDocument {
  _id: string; // entityID
  clientId: string;
  metadataXml: string;
  acs: Endpoint[];
  slo: Endpoint[];
  authnRequestsSigned: boolean;
  settings: {
    attributes: AttributeRelease[];
    nameIdFormat: string;
    encryptAssertions: boolean;
    signResponse: boolean;
    allowIdpInitiated: boolean;
    firstParty: boolean;
    /** Branding of the SP's pages (client metadata of its internal client: client_name#ja, logo_uri, colours ...). */
    branding?: Record<string, unknown>;
  };
  createdAt: Date;
  updatedAt: Date;
}

export interface SamlPendingDocument {
  _id: string;
  spEntityId: string;
  requestId?: string;
  acsUrl: string;
  relayState?: string;
  nameIdFormat?: string;
  allowCreate: boolean;
  requestedAcr: string[];
  isPassive: boolean;
  /** SHA-256 of the browser-binding cookie: only the browser that sent the request may finish it. */
  browser: string;
  expiresAt: Date;
}

export interface SamlParticipantDocument {
  _id: string;
  sessionUid: string;
  accountId: string;
  spEntityId: string;
  nameId: string;
  nameIdFormat: string;
  sessionIndex: string;
  expiresAt: Date;
}

export interface SamlLogoutDocument {
  _id: string;
  /** The LogoutRequest we are waiting an answer to (InResponseTo of the SP's LogoutResponse). */
  outstandingRequestId?: string;
  pending: Array<Pick<SamlParticipantDocument, 'spEntityId' | 'nameId' | 'nameIdFormat' | 'sessionIndex'>>;
  requester?: { spEntityId: string; requestId: string; relayState?: string };
  finalUrl?: string;
  partial: boolean;
  expiresAt: Date;
}

const ttl = { expiresAt: { type: Date, required: true } };
const endpoint = new Schema<Endpoint>({ binding: String, location: String, index: Number, isDefault: Boolean, responseLocation: String }, { _id: false });

const spSchema = new Schema<SamlSpDocument>({
  _id: { type: String, required: true },
  clientId: { type: String, required: true },
  metadataXml: { type: String, required: true },
  acs: [endpoint],
  slo: [endpoint],
  authnRequestsSigned: { type: Boolean, default: false },
  settings: { type: Schema.Types.Mixed, required: true },
  createdAt: { type: Date, default: () => new Date() },
  updatedAt: { type: Date, default: () => new Date() },
}, { versionKey: false, collection: 'saml_sps' });
spSchema.index({ clientId: 1 }, { name: 'client_id', unique: true });

const pendingSchema = new Schema<SamlPendingDocument>({
  _id: String, spEntityId: String, requestId: String, acsUrl: String, relayState: String, nameIdFormat: String,
  allowCreate: Boolean, requestedAcr: [String], isPassive: Boolean, browser: String, ...ttl,
}, { versionKey: false, collection: 'saml_requests' });
pendingSchema.index({ expiresAt: 1 }, { name: 'ttl', expireAfterSeconds: 0 });

const participantSchema = new Schema<SamlParticipantDocument>({
  _id: String, sessionUid: String, accountId: String, spEntityId: String, nameId: String, nameIdFormat: String,
  sessionIndex: String, ...ttl,
}, { versionKey: false, collection: 'saml_participants' });
participantSchema.index({ expiresAt: 1 }, { name: 'ttl', expireAfterSeconds: 0 });
participantSchema.index({ sessionUid: 1 }, { name: 'session_uid' });
participantSchema.index({ spEntityId: 1, sessionIndex: 1 }, { name: 'sp_session_index' });

const logoutSchema = new Schema<SamlLogoutDocument>({
  _id: String, outstandingRequestId: String, pending: [Schema.Types.Mixed], requester: Schema.Types.Mixed,
  finalUrl: String, partial: Boolean, ...ttl,
}, { versionKey: false, collection: 'saml_logouts' });
logoutSchema.index({ expiresAt: 1 }, { name: 'ttl', expireAfterSeconds: 0 });
logoutSchema.index({ outstandingRequestId: 1 }, { name: 'outstanding_request', sparse: true });

/** Persistent NameIDs already issued (saml-core §3.4.1.1 AllowCreate="false" only accepts existing ones). */
const persistentIdSchema = new Schema<{ _id: string; createdAt: Date }>({
  _id: String, createdAt: { type: Date, default: () => new Date() },
}, { versionKey: false, collection: 'saml_persistent_ids' });

export function samlModels(connection: Connection) {
  return {
    SamlSp: connection.model<SamlSpDocument>('SamlSp', spSchema),
    SamlPending: connection.model<SamlPendingDocument>('SamlPending', pendingSchema),
    SamlParticipant: connection.model<SamlParticipantDocument>('SamlParticipant', participantSchema),
    SamlLogout: connection.model<SamlLogoutDocument>('SamlLogout', logoutSchema),
    SamlPersistentId: connection.model<{ _id: string; createdAt: Date }>('SamlPersistentId', persistentIdSchema),
  };
}

export type SamlModels = ReturnType<typeof samlModels>;
export type SamlSpModel = Model<SamlSpDocument>;

/** The driver's collection behind a model, typed with its documents: for hot paths that skip mongoose's casting. */
export const driverCollection = <T extends { _id: string }>(model: Model<T>): mongo.Collection<T> => model.collection as unknown as mongo.Collection<T>;
