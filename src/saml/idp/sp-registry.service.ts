import { createHash, type KeyObject } from 'node:crypto';
import { z } from 'zod';
import { AppError } from '../../shared/app-error.ts';
import type { ChangeCaches } from '../../db/change-cache.ts';
import type { ClientService } from '../../oidc/client.service.ts';
import { SCOPE_CLAIMS } from '../../oidc/claims.ts';
import { rsaKeysOf } from './redirect-signature.ts';
import { certificatesOf, spEntity, type SpEntity } from './saml-lib.ts';
import { ATTRNAME_FORMAT, NAMEID, NAMEID_FORMATS } from './saml-constants.ts';
import type { AttributeRelease, NameFormatName, SamlSpDocument, SamlSpModel } from './saml.models.ts';
import { parseSpMetadata } from './sp-metadata.parser.ts';
import { spBrandingMembers } from '../../branding/branding-metadata.ts';

// The registry of partner SPs. Each SP is also an internal OIDC client of our own engine (DESIGN.md: the SAML
// side is a client of the engine), so sign-in, MFA, profile completion and consent apply to it unchanged.
// Adding an SP whose entityID exists replaces it. Registrations are read on every SSO (twice: request and Response),
// so they are served from the project's change-stream cache (src/db/change-cache.ts): a change made here is evicted
// at once, one made by the CLI or another instance within milliseconds, and while the stream is down every read
// goes to MongoDB, so changes still apply at once.

/** The registry's collection, watched by the change-stream cache (src/container.ts). */
export const SP_COLLECTION = 'saml_sps';

export const SAML_CALLBACK_PATH = '/saml/sso/callback';

export const DEFAULT_ATTRIBUTES: AttributeRelease[] = ['email', 'name', 'given_name', 'family_name']
  .map((claim) => ({ claim, name: claim, nameFormat: 'basic' as const }));

const nameFormat = z.string().transform((value, ctx): NameFormatName => {
  const short = Object.entries(ATTRNAME_FORMAT).find(([key, urn]) => value === key || value === urn)?.[0];
  if (!short) ctx.addIssue({ code: 'custom', message: `unknown NameFormat ${value}` });
  return short as NameFormatName;
});
const mappingEntry = z.union([
  z.string().min(1).max(512),
  z.object({ name: z.string().min(1).max(512), nameFormat: nameFormat.optional(), friendlyName: z.string().max(256).optional() }).strict(),
]);
/** `{"email": "urn:oid:0.9.2342.19200300.100.1.3", "name": {"name": "displayName", "nameFormat": "basic"}}` */
export const attributeMapping = z.record(z.string().regex(/^[a-z_]+$/), mappingEntry).transform((mapping) =>
  Object.entries(mapping).map(([claim, entry]): AttributeRelease => {
    const spec = typeof entry === 'string' ? { name: entry } : entry;
    // OID names are URIs (saml-core §8.2.2): the uri format unless said otherwise.
    const format = spec.nameFormat ?? (spec.name.startsWith('urn:') ? 'uri' : 'basic');
    return { claim, name: spec.name, nameFormat: format, ...(spec.friendlyName ? { friendlyName: spec.friendlyName } : {}) };
  }));

export function nameIdFormat(value: string): string {
  const format = (NAMEID as Record<string, string>)[value] ?? value;
  if (!NAMEID_FORMATS.includes(format)) throw new AppError(`saml.nameid_format_unknown: ${value}`, 400);
  return format;
}

export interface SpOptions {
  attributes?: AttributeRelease[];
  nameIdFormat?: string;
  encryptAssertions?: boolean;
  signResponse?: boolean;
  allowIdpInitiated?: boolean;
  firstParty?: boolean;
  /** Client metadata that brands the SP's sign-in pages (src/branding): client_name#ja, logo_uri, colours ... */
  branding?: Record<string, unknown>;
}

export const clientIdFor = (entityId: string) => `saml-${createHash('sha256').update(entityId).digest('base64url').slice(0, 32)}`;

/** The scopes whose claims the SP's attributes need (the engine releases claims per granted scope). */
function scopesFor(attributes: AttributeRelease[]): string {
  const scopes = new Set(['openid']);
  for (const { claim } of attributes) {
    for (const [scope, claims] of Object.entries(SCOPE_CLAIMS)) if ((claims as readonly string[]).includes(claim)) scopes.add(scope);
  }
  return [...scopes].join(' ');
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value) && !(value instanceof Date)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}

/** The scope the SP's internal client was registered with (add() below), for its authorization requests. */
export const scopeOf = (sp: SamlSpDocument): string => scopesFor(sp.settings.attributes);

export function createSpRegistry(deps: { model: SamlSpModel; clients: ClientService; issuer: string; caches?: ChangeCaches }) {
  const entities = new Map<string, { updatedAt: number; entity: SpEntity; signingKeys?: KeyObject[] }>();
  const cache = deps.caches?.for<SamlSpDocument>(SP_COLLECTION);
  const parsed = (sp: SamlSpDocument) => {
    const cached = entities.get(sp._id);
    if (cached && cached.updatedAt === +sp.updatedAt) return cached;
    const fresh = { updatedAt: +sp.updatedAt, entity: spEntity(sp.metadataXml) };
    entities.set(sp._id, fresh);
    return fresh as { updatedAt: number; entity: SpEntity; signingKeys?: KeyObject[] };
  };

  return {
    async add(metadataXml: string, options: SpOptions = {}): Promise<SamlSpDocument> {
      const metadata = parseSpMetadata(metadataXml);
      const attributes = options.attributes ?? DEFAULT_ATTRIBUTES;
      if (options.encryptAssertions && !metadata.encryptionCertificates.length) {
        throw new AppError('saml.metadata_invalid: --encrypt needs an encryption certificate in the metadata', 400);
      }
      if (metadata.authnRequestsSigned && !metadata.signingCertificates.length) {
        throw new AppError('saml.metadata_invalid: AuthnRequestsSigned without a signing certificate', 400);
      }
      const clientId = clientIdFor(metadata.entityId);
      const { branding, unknown } = spBrandingMembers(options.branding ?? {});
      if (unknown) throw new AppError(`saml.branding_invalid: ${unknown} is not a branding setting`, 400);
      await deps.clients.ensureInternal({
        client_id: clientId,
        client_name: metadata.name ?? metadata.entityId,
        ...branding,
        redirect_uris: [`${deps.issuer}${SAML_CALLBACK_PATH}`],
        grant_types: ['authorization_code'],
        response_types: ['code'],
        token_endpoint_auth_method: 'none',
        scope: scopesFor(attributes),
        first_party: options.firstParty ?? false,
      }).catch((error: { error?: string; error_description?: string }) => {
        // The engine validated the branding with the rest of the metadata: its sentence names the key.
        if (error.error !== 'invalid_client_metadata') throw error;
        throw new AppError(`saml.branding_invalid: ${error.error_description}`, 400, { cause: error });
      });
      const now = new Date();
      const doc: SamlSpDocument = {
        _id: metadata.entityId, clientId, metadataXml,
        acs: metadata.acs, slo: metadata.slo, authnRequestsSigned: metadata.authnRequestsSigned,
        settings: {
          attributes,
          nameIdFormat: options.nameIdFormat ?? NAMEID.persistent,
          encryptAssertions: options.encryptAssertions ?? false,
          signResponse: options.signResponse ?? false,
          allowIdpInitiated: options.allowIdpInitiated ?? false,
          firstParty: options.firstParty ?? false,
          ...(Object.keys(branding).length ? { branding } : {}),
        },
        createdAt: now, updatedAt: now,
      };
      const existing = await deps.model.findById(metadata.entityId, { createdAt: 1 }).lean().exec();
      if (existing) doc.createdAt = existing.createdAt;
      await deps.model.replaceOne({ _id: metadata.entityId }, doc, { upsert: true }).exec();
      cache?.evict(metadata.entityId); // this process sees it at once; others when the change stream tells them
      return doc;
    },

    /** The registration, frozen: it may be the cached copy other requests share. */
    async find(entityId: string): Promise<SamlSpDocument | undefined> {
      const cached = cache?.get(entityId);
      if (cached) return cached;
      const sp = await deps.model.findById(entityId).lean<SamlSpDocument>().exec();
      if (!sp) return undefined;
      deepFreeze(sp);
      cache?.set(entityId, sp);
      return sp;
    },

    async list() {
      const sps = await deps.model.find({}, { metadataXml: 0 }).sort({ _id: 1 }).lean<SamlSpDocument[]>().exec();
      return sps.map(({ _id, ...rest }) => ({ entityId: _id, ...rest }));
    },

    async remove(entityId: string): Promise<void> {
      const removed = await deps.model.findOneAndDelete({ _id: entityId }).lean<SamlSpDocument>().exec();
      cache?.evict(entityId);
      if (!removed) throw new AppError(`saml.sp_not_found: ${entityId}`, 404);
      await deps.clients.removeInternal(removed.clientId);
      entities.delete(entityId);
    },

    /** samlify's view of the SP (parsed metadata), cached until the registration changes. */
    entity(sp: SamlSpDocument): SpEntity {
      return parsed(sp).entity;
    },

    /** The RSA keys of the SP's signing certificates (redirect-signature.ts), parsed once per registration. */
    signingKeys(sp: SamlSpDocument): KeyObject[] {
      const state = parsed(sp);
      state.signingKeys ??= rsaKeysOf(certificatesOf(state.entity, 'signing'));
      return state.signingKeys;
    },
  };
}

export type SpRegistry = ReturnType<typeof createSpRegistry>;
