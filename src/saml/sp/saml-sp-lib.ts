import samlify from 'samlify';
import { BINDING, extract, type SigningCredentials } from '../idp/saml-lib.ts';

// samlify as our SP sees it (the schema validator and DOCTYPE refusal are registered by ../idp/saml-lib.ts, which
// this module imports first). samlify verifies the XML signature with the connector's certificates and decrypts;
// our own checks (xml-guard.ts shape, audience, recipient, InResponseTo, replay) run around it.

export interface UpstreamIdpSettings {
  entityId: string;
  ssoUrl: string;
  /** Base64 DER signing certificates from the IdP's metadata (several during its key rollover). */
  certificates: string[];
}

export interface IdpMetadataSummary extends UpstreamIdpSettings {
  wantAuthnRequestsSigned: boolean;
}

/** The fields of an IdP's metadata we keep (saml-metadata §2.4.3): entityID, SSO (HTTP-Redirect), signing certificates. */
export function readIdpMetadata(xml: string): IdpMetadataSummary {
  const idp = samlify.IdentityProvider({ metadata: xml });
  const meta = idp.entityMeta as unknown as {
    getEntityID(): string; getSingleSignOnService(binding: string): string | undefined;
    getX509Certificate(use: string): string | string[] | null; isWantAuthnRequestsSigned(): boolean;
  };
  const certificate = meta.getX509Certificate('signing');
  const certificates = (Array.isArray(certificate) ? certificate : certificate ? [certificate] : []).map((c) => c.replace(/\s+/g, ''));
  const ssoUrl = meta.getSingleSignOnService('redirect'); // samlify names bindings by short name here
  return { entityId: meta.getEntityID(), ssoUrl: typeof ssoUrl === 'string' ? ssoUrl : '', certificates, wantAuthnRequestsSigned: meta.isWantAuthnRequestsSigned() };
}

export type UpstreamIdp = ReturnType<typeof samlify.IdentityProvider>;
export type LocalSp = ReturnType<typeof samlify.ServiceProvider>;

export function upstreamIdp(settings: UpstreamIdpSettings): UpstreamIdp {
  return samlify.IdentityProvider({
    entityID: settings.entityId,
    signingCert: settings.certificates,
    singleSignOnService: [{ Binding: BINDING.redirect, Location: settings.ssoUrl }],
  });
}

/** Our SP for one connector: its entityID and ACS, our key for decryption, the clock skew for Conditions. */
export function localSp(input: { entityId: string; acsUrl: string; credentials: SigningCredentials; clockSkewMs: number }): LocalSp {
  return samlify.ServiceProvider({
    entityID: input.entityId,
    privateKey: input.credentials.privateKeyPem,
    encPrivateKey: input.credentials.privateKeyPem,
    signingCert: input.credentials.certificate,
    encryptCert: input.credentials.certificate,
    authnRequestsSigned: true,
    wantAssertionsSigned: true,
    assertionConsumerService: [{ Binding: BINDING.post, Location: input.acsUrl }],
    clockDrifts: [-input.clockSkewMs, input.clockSkewMs],
  });
}

/** Replaces the EncryptedAssertion by the Assertion decrypted with our key (xmlenc-core; AES-GCM or CBC, RSA-OAEP). */
export async function decryptAssertion(sp: LocalSp, xml: string): Promise<string> {
  const [document] = await samlify.SamlLib.decryptAssertion(sp as never, xml) as [string, string];
  return document;
}

export interface ParsedResponse {
  samlContent: string;
  extract: Record<string, any>;
}

/** Signature (Response or Assertion, the metadata's certificates only), decryption, issuer and Conditions times. */
export function parseLoginResponse(sp: LocalSp, idp: UpstreamIdp, samlResponse: string): Promise<ParsedResponse> {
  return sp.parseLoginResponse(idp, 'post', { body: { SAMLResponse: samlResponse } } as never) as Promise<ParsedResponse>;
}

/** Values samlify's default extraction leaves out (one attribute -> its value as a string; several -> an object) (saml-core §2.4.1.2 SubjectConfirmationData, §3.2.2 Status). */
export function extractDetails(xml: string) {
  return extract(xml, [
    { key: 'assertion', localPath: ['Response', 'Assertion'], attributes: ['ID', 'IssueInstant'] },
    { key: 'confirmation', localPath: ['Response', 'Assertion', 'Subject', 'SubjectConfirmation', 'SubjectConfirmationData'], attributes: ['Recipient', 'NotOnOrAfter', 'NotBefore', 'InResponseTo'] },
    { key: 'method', localPath: ['Response', 'Assertion', 'Subject', 'SubjectConfirmation'], attributes: ['Method'] },
    { key: 'nameIdFormat', localPath: ['Response', 'Assertion', 'Subject', 'NameID'], attributes: ['Format'] },
    { key: 'status', localPath: ['Response', 'Status', 'StatusCode'], attributes: ['Value'] },
  ]);
}
