import type { KeyObject } from 'node:crypto';
import samlify from 'samlify';
import { refuseDoctype } from './xml-guard.ts';
import { validateSamlProtocol } from './xml-schema.validator.ts';

// The only importer of samlify (default import: STACK-NOTES, named imports lose getter-defined exports in Node).
// samlify parses and verifies inbound messages (after our own DOCTYPE, schema and wrapping checks), signs and
// encrypts; the XML we emit is built by our own templates (response.builder.ts), because samlify's login
// response ignores the request's ACS URL and signs the assertion only on WantAssertionsSigned (STACK-NOTES).

const { Constants, Extractor, SamlLib, Utility } = samlify;

// Every message samlify parses passes the DOCTYPE refusal and the schema first (saml-core §1.3).
samlify.setSchemaValidator({
  validate: async (xml: string) => {
    refuseDoctype(xml);
    await validateSamlProtocol(xml);
    return 'ok';
  },
});

export const BINDING = {
  redirect: Constants.namespace.binding.redirect as string,
  post: Constants.namespace.binding.post as string,
};
export const RSA_SHA256 = 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256';
export const AES256_GCM = 'http://www.w3.org/2009/xmlenc11#aes256-gcm';
export const RSA_OAEP = 'http://www.w3.org/2001/04/xmlenc#rsa-oaep-mgf1p';

export type SpEntity = ReturnType<typeof samlify.ServiceProvider>;
export type IdpEntity = ReturnType<typeof samlify.IdentityProvider>;

export interface SigningCredentials {
  privateKeyPem: string;
  /** The same key parsed once: signing with a PEM string would parse it again for every signature. */
  privateKey: KeyObject;
  /** Base64 DER of the signing certificate (ds:X509Certificate content). */
  certificate: string;
}

export function spEntity(metadataXml: string): SpEntity {
  return samlify.ServiceProvider({ metadata: metadataXml });
}

/** Our IdP as samlify sees it when parsing a request: whether it verifies signatures is decided per message. */
export function idpEntity(input: { entityId: string; credentials: SigningCredentials; verifySignatures: boolean; ssoUrl: string; sloUrl: string }): IdpEntity {
  return samlify.IdentityProvider({
    entityID: input.entityId,
    privateKey: input.credentials.privateKeyPem,
    signingCert: input.credentials.certificate,
    wantAuthnRequestsSigned: input.verifySignatures,
    wantLogoutRequestSigned: input.verifySignatures,
    wantLogoutResponseSigned: input.verifySignatures,
    requestSignatureAlgorithm: RSA_SHA256,
    singleSignOnService: [{ Binding: BINDING.redirect, Location: input.ssoUrl }, { Binding: BINDING.post, Location: input.ssoUrl }],
    singleLogoutService: [{ Binding: BINDING.redirect, Location: input.sloUrl }, { Binding: BINDING.post, Location: input.sloUrl }],
  });
}

export type ParsedRequest = { samlContent: string; extract: Record<string, any> };

export type InboundHttp = { query?: Record<string, unknown>; body?: Record<string, unknown>; octetString?: string };

export function parseLoginRequest(idp: IdpEntity, sp: SpEntity, binding: 'redirect' | 'post', request: InboundHttp): Promise<ParsedRequest> {
  return idp.parseLoginRequest(sp, binding, request as never) as Promise<ParsedRequest>;
}

export function parseLogoutRequest(idp: IdpEntity, sp: SpEntity, binding: 'redirect' | 'post', request: InboundHttp): Promise<ParsedRequest> {
  // samlify checks logout signatures when the *receiving* entity wants signed requests (entity.ts).
  return idp.parseLogoutRequest(sp, binding, request as never) as Promise<ParsedRequest>;
}

export function parseLogoutResponse(idp: IdpEntity, sp: SpEntity, binding: 'redirect' | 'post', request: InboundHttp): Promise<ParsedRequest> {
  return idp.parseLogoutResponse(sp, binding, request as never) as Promise<ParsedRequest>;
}

/**
 * The enveloped signature of a POST-binding message, verified with the SP's signing certificates as samlify's own
 * flow does, for messages that flow stops reading before its signature check (a non-Success Status).
 */
export function verifyEnvelopedSignature(xml: string, sp: SpEntity): boolean {
  try {
    const [verified] = SamlLib.verifySignature(xml, {
      metadata: sp.entityMeta, signatureAlgorithm: sp.entitySetting.requestSignatureAlgorithm,
    } as never) as [boolean, unknown];
    return verified === true;
  } catch {
    return false;
  }
}

/** A Redirect-binding detached signature (saml-bindings §3.4.4.1) with a SigAlg redirect-signature.ts does not verify. */
export function verifyDetachedSignature(sp: SpEntity, octetString: string, sigAlg: string, signature: string): boolean {
  try {
    return SamlLib.verifyMessageSignature(sp.entityMeta as never, octetString, Buffer.from(signature, 'base64'), sigAlg) === true;
  } catch {
    return false;
  }
}

type Field = { key: string; localPath: string[]; attributes: string[]; context?: boolean };
export function extract(xml: string, fields: Field[]): Record<string, any> {
  return Extractor.extract(xml, fields as never) as Record<string, any>;
}

/** Enveloped RSA-SHA256 signature with exclusive c14n (xmldsig-core §6.6.4, exc-c14n), placed after Issuer. */
export function signElement(xml: string, target: 'assertion' | 'root', credentials: SigningCredentials, rootName: string, placement: 'afterIssuer' | 'first' = 'afterIssuer'): string {
  const rootPath = `/*[local-name(.)='${rootName}']`;
  const reference = target === 'assertion' ? `${rootPath}/*[local-name(.)='Assertion']` : rootPath;
  return SamlLib.constructSAMLSignature({
    rawSamlMessage: xml,
    referenceTagXPath: reference,
    privateKey: credentials.privateKey as unknown as string, // xml-crypto hands it to crypto.Sign#sign as is
    signatureAlgorithm: RSA_SHA256,
    signingCert: credentials.certificate,
    isBase64Output: false,
    transformationAlgorithms: ['http://www.w3.org/2000/09/xmldsig#enveloped-signature', 'http://www.w3.org/2001/10/xml-exc-c14n#'],
    signatureConfig: {
      prefix: 'ds',
      location: placement === 'first' ? { reference, action: 'prepend' } : { reference: `${reference}/*[local-name(.)='Issuer']`, action: 'after' },
    },
  });
}

/** Replaces the Assertion with an EncryptedAssertion for the SP's encryption certificate (AES-256-GCM, RSA-OAEP). */
export async function encryptAssertion(xml: string, sp: SpEntity): Promise<string> {
  const source = {
    entitySetting: {
      isAssertionEncrypted: true, dataEncryptionAlgorithm: AES256_GCM, keyEncryptionAlgorithm: RSA_OAEP,
      tagPrefix: { encryptedAssertion: 'saml' },
    },
  };
  const encoded = await SamlLib.encryptAssertion(source as never, sp as never, xml);
  return Buffer.from(encoded, 'base64').toString('utf8');
}

/** The HTTP-Redirect binding's signed query (saml-bindings §3.4.4.1), e.g. for a LogoutRequest to an SP. */
export function redirectQuery(type: 'SAMLRequest' | 'SAMLResponse', xml: string, relayState: string | undefined, credentials: SigningCredentials): string {
  const parts = [`${type}=${encodeURIComponent(Utility.base64Encode(Utility.deflateString(xml)))}`];
  if (relayState) parts.push(`RelayState=${encodeURIComponent(relayState)}`);
  parts.push(`SigAlg=${encodeURIComponent(RSA_SHA256)}`);
  const octetString = parts.join('&');
  const signature = SamlLib.constructMessageSignature(octetString, credentials.privateKeyPem, undefined, true, RSA_SHA256) as string;
  return `${octetString}&Signature=${encodeURIComponent(signature)}`;
}

export function certificatesOf(sp: SpEntity, use: 'signing' | 'encryption'): string[] {
  const value = (sp.entityMeta as unknown as { getX509Certificate(use: string): string | string[] | null }).getX509Certificate(use);
  return value ? (Array.isArray(value) ? value : [value]) : [];
}
