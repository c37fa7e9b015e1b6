import { importJWK, SignJWT } from 'jose';
import type { PrivateJwk } from '../keys/key-store.service.ts';
import type { ConsentsConfig } from './consents-config.schema.ts';
import type { ConsentRecord } from './consent-record.model.ts';
import type { LegalDocumentVersion } from './legal-document.model.ts';
import { contentFor } from './legal.service.ts';

// Consent receipts: a JWT signed with the IdP's current ES256 key (verifiable with /jwks), carrying the fields of
// the Kantara Initiative Consent Receipt Specification v1.1 (§4: version, jurisdiction, consentTimestamp,
// collectionMethod, consentReceiptID, language, piiPrincipalId, piiControllers, policyUrl, services/purposes,
// sensitive, spiCat), plus the document and version the person agreed to.

const COLLECTION_METHODS: Record<string, string> = {
  signup: 'web form checkbox at sign-up',
  prompt: 'web form checkbox at sign-in (consent prompt)',
  account_page: 'web form on the account page',
  admin: 'recorded by an administrator',
  lite_page: 'web form checkbox on a subscription form (lite registration), confirmed by a mailed link',
  lite_api: 'web form on the site, relayed by its server (lite registration), confirmed by a mailed link',
};

/** Kantara §4.7 purposeCategory / piiCategory, per document kind. */
const PURPOSES: Record<string, { category: string; pii: string[]; primary: boolean }> = {
  terms: { category: 'Core Function', pii: ['Contact', 'Identifier'], primary: true },
  privacy: { category: 'Core Function', pii: ['Contact', 'Identifier', 'Demographic'], primary: true },
  marketing: { category: 'Marketing', pii: ['Contact'], primary: false },
  custom: { category: 'Other', pii: ['Contact'], primary: false },
};

export interface ReceiptDeps {
  issuer: string;
  config: ConsentsConfig;
  privateJwks(): Promise<{ keys: PrivateJwk[] }>;
}

export function createConsentReceiptService(deps: ReceiptDeps) {
  async function signingKey() {
    const jwk = (await deps.privateJwks()).keys.find((k) => k.alg === 'ES256');
    if (!jwk) throw new Error('no ES256 signing key');
    return { key: await importJWK(jwk, 'ES256'), kid: jwk.kid };
  }

  function claims(record: ConsentRecord, version: LegalDocumentVersion, clientName?: string) {
    const content = contentFor(version, record.locale);
    const purpose = PURPOSES[record.kind] ?? PURPOSES.custom!;
    const { controller } = deps.config;
    return {
      version: 'KI-CR-v1.1.0',
      jurisdiction: deps.config.jurisdiction,
      consentTimestamp: Math.floor(new Date(record.at).getTime() / 1000),
      collectionMethod: COLLECTION_METHODS[record.method] ?? record.method,
      consentReceiptID: record._id,
      language: record.locale,
      piiPrincipalId: record.accountId,
      piiControllers: [{
        piiController: controller.name, contact: controller.contact, address: controller.address, email: controller.email,
        phone: controller.phone, ...(controller.url ? { piiControllerUrl: controller.url } : {}),
      }],
      policyUrl: deps.config.policyUrl ?? deps.issuer,
      services: [{
        service: clientName ?? record.clientId ?? deps.issuer,
        purposes: [{
          purpose: version.purpose ?? content.title,
          purposeCategory: [purpose.category],
          consentType: 'EXPLICIT',
          piiCategory: purpose.pii,
          primaryPurpose: purpose.primary,
          termination: 'until withdrawn or the account is deleted',
          thirdPartyDisclosure: false,
        }],
      }],
      sensitive: false,
      spiCat: [],
      // Beyond Kantara: exactly which text was agreed to.
      document: {
        id: record.documentId, version: record.version, title: content.title,
        ...(content.url ? { url: content.url } : {}), effectiveAt: new Date(version.effectiveAt).toISOString(),
      },
      decision: record.decision,
    };
  }

  return {
    claims,
    /** The signed receipt of one granted record. */
    async sign(record: ConsentRecord, version: LegalDocumentVersion, clientName?: string): Promise<string> {
      const { key, kid } = await signingKey();
      return new SignJWT(claims(record, version, clientName))
        .setProtectedHeader({ alg: 'ES256', kid, typ: 'JWT' })
        .setIssuer(deps.issuer)
        .setSubject(record.accountId)
        .setJti(record._id)
        .setIssuedAt()
        .sign(key);
    },
  };
}

export type ConsentReceiptService = ReturnType<typeof createConsentReceiptService>;
