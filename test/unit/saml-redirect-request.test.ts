import { generateKeyPairSync, sign } from 'node:crypto';
import { selfSignedCertificate } from '../../src/keys/certificate.ts';
import { rsaKeysOf, verifiesHere, verifyRedirectSignature } from '../../src/saml/idp/redirect-signature.ts';
import { readAuthnRequest } from '../../src/saml/idp/xml-guard.ts';

// The Redirect-binding AuthnRequest path that bypasses samlify: detached signature check and one-pass field reading.

const RSA_SHA256 = 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256';
function rsaCertificate(cn: string) {
  const pair = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const pem = selfSignedCertificate(pair.privateKey.export({ format: 'jwk' }), cn);
  return { privateKey: pair.privateKey, der: pem.replace(/-----[^-]+-----|\s/g, '') };
}

describe('verifyRedirectSignature (saml-bindings §3.4.4.1)', () => {
  const old = rsaCertificate('old');
  const current = rsaCertificate('current');
  const octets = `SAMLRequest=abc%2B&RelayState=r&SigAlg=${encodeURIComponent(RSA_SHA256)}`;
  const signature = sign('sha256', Buffer.from(octets), current.privateKey).toString('base64');

  it('accepts the signature of any signing certificate of the SP (key rollover)', () => {
    expect(verifyRedirectSignature(rsaKeysOf([old.der, current.der]), octets, RSA_SHA256, signature)).toBe(true);
  });

  it('refuses changed octets, another key, another SigAlg, or no signature', () => {
    expect(verifyRedirectSignature(rsaKeysOf([current.der]), octets.replace('r&', 'x&'), RSA_SHA256, signature)).toBe(false);
    expect(verifyRedirectSignature(rsaKeysOf([old.der]), octets, RSA_SHA256, signature)).toBe(false);
    expect(verifyRedirectSignature(rsaKeysOf([current.der]), octets, 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha512', signature)).toBe(false);
    expect(verifyRedirectSignature(rsaKeysOf([current.der]), octets, RSA_SHA256, '')).toBe(false);
    expect(verifiesHere('http://www.w3.org/2007/05/xmldsig-more#sha256-rsa-MGF1')).toBe(false); // samlify's path
  });
});

describe('readAuthnRequest', () => {
  const xml = '<samlp:AuthnRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" '
    + 'ID="_r1" Version="2.0" IssueInstant="2026-01-01T00:00:00Z" ForceAuthn="true" AssertionConsumerServiceURL="https://sp/acs">'
    + '<saml:Issuer> https://sp.test/sp </saml:Issuer><samlp:NameIDPolicy Format="urn:x" AllowCreate="false"/>'
    + '<samlp:RequestedAuthnContext><saml:AuthnContextClassRef> urn:a </saml:AuthnContextClassRef>'
    + '<saml:AuthnContextClassRef>urn:b</saml:AuthnContextClassRef></samlp:RequestedAuthnContext></samlp:AuthnRequest>';

  it('reads the fields SSO needs; absent attributes stay undefined', () => {
    expect(readAuthnRequest(xml)).toEqual({
      issuer: 'https://sp.test/sp', id: '_r1', forceAuthn: 'true', isPassive: undefined, acsUrl: 'https://sp/acs',
      acsIndex: undefined, protocolBinding: undefined, destination: undefined, nameIdFormat: 'urn:x', allowCreate: 'false',
      classRefs: ['urn:a', 'urn:b'],
    });
  });

  it('matches by namespace: an Issuer in another namespace is not the issuer; another root is refused', () => {
    expect(readAuthnRequest(xml.replace('<saml:Issuer> https://sp.test/sp </saml:Issuer>', '<x:Issuer xmlns:x="urn:other">https://sp.test/sp</x:Issuer>')).issuer).toBeUndefined();
    expect(() => readAuthnRequest(xml.replaceAll('samlp:AuthnRequest', 'samlp:LogoutRequest'))).toThrow(/not an AuthnRequest/);
    expect(() => readAuthnRequest('<samlp:AuthnRequest')).toThrow(/well-formed/);
  });
});
