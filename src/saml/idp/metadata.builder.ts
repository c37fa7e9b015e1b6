import { escapeXml, newId } from './xml-templates.ts';
import { signElement } from './saml-lib.ts';
import { NAMEID_FORMATS } from './saml-constants.ts';
import type { Credentials, IdpIdentity } from './idp-credentials.ts';
import { BINDING } from './saml-lib.ts';

// Our IdP metadata (saml-metadata §2.4.3 IDPSSODescriptor). Every published certificate is a signing
// KeyDescriptor: the next key is listed before it signs, a retired one until its signatures have expired
// (saml-metadata §2.4.1.1 allows several). `signed` adds an enveloped signature over the EntityDescriptor.
export function buildIdpMetadata(identity: IdpIdentity, credentials: Credentials, options: { signed: boolean; validUntil: Date }): string {
  const keys = credentials.published.map((cert) => '<md:KeyDescriptor use="signing"><ds:KeyInfo><ds:X509Data>'
    + `<ds:X509Certificate>${cert}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>`).join('');
  const services = (element: string, url: string) => [BINDING.redirect, BINDING.post]
    .map((binding) => `<md:${element} Binding="${binding}" Location="${escapeXml(url)}"/>`).join('');
  const xml = `<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" xmlns:ds="http://www.w3.org/2000/09/xmldsig#"`
    + ` ID="${newId()}" entityID="${escapeXml(identity.entityId)}" validUntil="${options.validUntil.toISOString()}">`
    + '<md:IDPSSODescriptor WantAuthnRequestsSigned="false" protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">'
    + keys
    + services('SingleLogoutService', identity.sloUrl)
    + NAMEID_FORMATS.map((format) => `<md:NameIDFormat>${format}</md:NameIDFormat>`).join('')
    + services('SingleSignOnService', identity.ssoUrl)
    + '</md:IDPSSODescriptor></md:EntityDescriptor>';
  // The signature is the first child of EntityDescriptor (saml-metadata §2.3.2).
  return options.signed ? signElement(xml, 'root', credentials, 'EntityDescriptor', 'first') : xml;
}
