import { createPublicKey, createVerify, randomBytes } from 'node:crypto';
import { inflateRawSync } from 'node:zlib';
import { SignedXml } from 'xml-crypto';
import { keyPair } from './saml-sp.ts';

// A group company's SAML IdP for tests, independent of samlify: hand-built Responses signed with xml-crypto
// (RSA-SHA256, exclusive c14n), plus the knobs to make them wrong (audience, times, signer, no signature).
// Its SSO URL is never served: the test reads our AuthnRequest from the redirect URL and posts the Response itself.

const NS = 'xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion"';
const pemBody = (pem: string) => pem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, '');
const iso = (ms: number) => new Date(Date.now() + ms).toISOString().replace(/\.\d+Z$/, 'Z');
export const newId = () => `_${randomBytes(16).toString('hex')}`;

export interface ResponseOptions {
  acs: string;
  audience: string;
  inResponseTo?: string;
  nameId: string;
  nameIdFormat?: string;
  attributes?: Record<string, string | string[]>;
  /** Shift of the validity window in ms (negative: in the past). */
  shiftMs?: number;
  sign?: 'assertion' | 'response' | 'none';
  signer?: ReturnType<typeof keyPair>;
  assertionId?: string;
}

export function assertionXml(issuer: string, o: ResponseOptions): string {
  const shift = o.shiftMs ?? 0;
  const irt = o.inResponseTo ? ` InResponseTo="${o.inResponseTo}"` : '';
  const attrs = Object.entries(o.attributes ?? {}).map(([name, value]) => `<saml:Attribute Name="${name}" NameFormat="urn:oasis:names:tc:SAML:2.0:attrname-format:uri">`
    + [value].flat().map((v) => `<saml:AttributeValue>${v}</saml:AttributeValue>`).join('') + '</saml:Attribute>').join('');
  return `<saml:Assertion ${NS} ID="${o.assertionId ?? newId()}" Version="2.0" IssueInstant="${iso(shift)}"><saml:Issuer>${issuer}</saml:Issuer>`
    + `<saml:Subject><saml:NameID Format="${o.nameIdFormat ?? 'urn:oasis:names:tc:SAML:2.0:nameid-format:persistent'}">${o.nameId}</saml:NameID>`
    + `<saml:SubjectConfirmation Method="urn:oasis:names:tc:SAML:2.0:cm:bearer"><saml:SubjectConfirmationData NotOnOrAfter="${iso(shift + 300_000)}" Recipient="${o.acs}"${irt}/></saml:SubjectConfirmation></saml:Subject>`
    + `<saml:Conditions NotBefore="${iso(shift - 60_000)}" NotOnOrAfter="${iso(shift + 300_000)}"><saml:AudienceRestriction><saml:Audience>${o.audience}</saml:Audience></saml:AudienceRestriction></saml:Conditions>`
    + `<saml:AuthnStatement AuthnInstant="${iso(shift)}" SessionIndex="${newId()}"><saml:AuthnContext><saml:AuthnContextClassRef>urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport</saml:AuthnContextClassRef></saml:AuthnContext></saml:AuthnStatement>`
    + (attrs ? `<saml:AttributeStatement>${attrs}</saml:AttributeStatement>` : '')
    + '</saml:Assertion>';
}

/** Enveloped signature over the element `local` (Assertion or Response), placed after its Issuer (saml-core §5.4). */
export function sign(xml: string, local: 'Assertion' | 'Response', signer: ReturnType<typeof keyPair>): string {
  const path = local === 'Response' ? "/*[local-name(.)='Response']" : "/*[local-name(.)='Response']/*[local-name(.)='Assertion']";
  const sig = new SignedXml({
    privateKey: signer.privateKey, publicCert: signer.cert,
    signatureAlgorithm: 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256', canonicalizationAlgorithm: 'http://www.w3.org/2001/10/xml-exc-c14n#',
  });
  sig.addReference({ xpath: path, digestAlgorithm: 'http://www.w3.org/2001/04/xmlenc#sha256',
    transforms: ['http://www.w3.org/2000/09/xmldsig#enveloped-signature', 'http://www.w3.org/2001/10/xml-exc-c14n#'] });
  sig.computeSignature(xml, { prefix: 'ds', location: { reference: `${path}/*[local-name(.)='Issuer']`, action: 'after' } });
  return sig.getSignedXml();
}

export function createUpstreamIdp(name: string) {
  const entityId = `urn:example:${name}:idp`;
  const ssoUrl = `http://127.0.0.1:9/${name}/sso`;
  const keys = keyPair(name);
  const metadata = `<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" xmlns:ds="http://www.w3.org/2000/09/xmldsig#" entityID="${entityId}">`
    + '<md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">'
    + `<md:KeyDescriptor use="signing"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>${pemBody(keys.cert)}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>`
    + '<md:NameIDFormat>urn:oasis:names:tc:SAML:2.0:nameid-format:persistent</md:NameIDFormat>'
    + `<md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="${ssoUrl}"/>`
    + '</md:IDPSSODescriptor></md:EntityDescriptor>';

  return {
    entityId, ssoUrl, keys, metadata,
    /** The Response XML (not yet base64), signed as asked. */
    responseXml(o: ResponseOptions, assertion = assertionXml(entityId, o)): string {
      const irt = o.inResponseTo ? ` InResponseTo="${o.inResponseTo}"` : '';
      let xml = `<samlp:Response ${NS} ID="${newId()}" Version="2.0" IssueInstant="${iso(o.shiftMs ?? 0)}" Destination="${o.acs}"${irt}>`
        + `<saml:Issuer>${entityId}</saml:Issuer><samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/></samlp:Status>`
        + `${assertion}</samlp:Response>`;
      const mode = o.sign ?? 'assertion';
      if (mode === 'assertion') xml = sign(xml, 'Assertion', o.signer ?? keys);
      if (mode === 'response') xml = sign(xml, 'Response', o.signer ?? keys);
      return xml;
    },
    /** Reads (and checks the signature of) our AuthnRequest from the HTTP-Redirect URL (saml-bindings §3.4.4.1). */
    readRequest(url: string, spCertPem: string) {
      const raw = new URL(url).search.slice(1);
      const params = new URLSearchParams(raw);
      const octets = raw.split('&').filter((p) => /^(SAMLRequest|RelayState|SigAlg)=/.test(p)).join('&');
      const signed = createVerify('RSA-SHA256').update(octets).verify(spCertPem, params.get('Signature') ?? '', 'base64');
      const xml = inflateRawSync(Buffer.from(params.get('SAMLRequest')!, 'base64')).toString('utf8');
      return { xml, id: /\sID="([^"]+)"/.exec(xml)![1]!, relayState: params.get('RelayState')!, signed, sigAlg: params.get('SigAlg') };
    },
  };
}

export type UpstreamIdp = ReturnType<typeof createUpstreamIdp>;

/** Sign-then-encrypt (saml-core §6.2): the signed Assertion becomes an EncryptedAssertion for the SP's certificate. */
export async function encryptAssertion(signedResponse: string, spCertPem: string): Promise<string> {
  const { encrypt } = (await import('xml-encryption')) as unknown as { encrypt: (content: string, options: object, cb: (e: Error | null, r: string) => void) => void };
  const assertion = /<saml:Assertion[\s\S]*<\/saml:Assertion>/.exec(signedResponse)![0];
  const encrypted = await new Promise<string>((resolve, reject) => encrypt(assertion, {
    rsa_pub: createPublicKey(spCertPem).export({ format: 'pem', type: 'spki' }), pem: spCertPem,
    encryptionAlgorithm: 'http://www.w3.org/2009/xmlenc11#aes256-gcm', keyEncryptionAlgorithm: 'http://www.w3.org/2001/04/xmlenc#rsa-oaep-mgf1p',
  }, (error, result) => (error ? reject(error) : resolve(result))));
  return signedResponse.replace(assertion, `<saml:EncryptedAssertion>${encrypted}</saml:EncryptedAssertion>`);
}
