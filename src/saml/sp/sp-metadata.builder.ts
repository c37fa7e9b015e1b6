import type { Credentials } from '../idp/idp-credentials.ts';
import { BINDING, signElement } from '../idp/saml-lib.ts';
import { NAMEID } from '../idp/saml-constants.ts';
import { escapeXml, newId } from '../idp/xml-templates.ts';

// Our SP metadata for one connector (saml-metadata §2.4.4 SPSSODescriptor), to register at the group company's
// IdP: signed AuthnRequests, signed assertions wanted, persistent NameIDs, one HTTP-POST ACS. The key store's
// certificates sign (current and next, so the IdP learns a new key before we use it) and encrypt (current).
export function buildSpMetadata(input: { entityId: string; acsUrl: string; credentials: Credentials; validUntil: Date }): string {
  const key = (use: string, cert: string) => `<md:KeyDescriptor use="${use}"><ds:KeyInfo><ds:X509Data>`
    + `<ds:X509Certificate>${cert}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>`;
  const xml = `<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" xmlns:ds="http://www.w3.org/2000/09/xmldsig#"`
    + ` ID="${newId()}" entityID="${escapeXml(input.entityId)}" validUntil="${input.validUntil.toISOString()}">`
    + '<md:SPSSODescriptor AuthnRequestsSigned="true" WantAssertionsSigned="true" protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">'
    + input.credentials.published.map((cert) => key('signing', cert)).join('')
    + key('encryption', input.credentials.certificate)
    + `<md:NameIDFormat>${NAMEID.persistent}</md:NameIDFormat>`
    + `<md:AssertionConsumerService Binding="${BINDING.post}" Location="${escapeXml(input.acsUrl)}" index="0" isDefault="true"/>`
    + '</md:SPSSODescriptor></md:EntityDescriptor>';
  return signElement(xml, 'root', input.credentials, 'EntityDescriptor', 'first');
}
