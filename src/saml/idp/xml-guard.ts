import { DOMParser } from '@xmldom/xmldom';

// Checks made on the raw XML of every inbound message before samlify sees it. The only importer of xmldom.

const DSIG = 'http://www.w3.org/2000/09/xmldsig#';

export class XmlRefused extends Error {
  override name = 'XmlRefused';
}

/** saml-sec-consider §6.3.1 (XXE, entity expansion): SAML messages never need a DTD, so any is refused. */
export function refuseDoctype(xml: string): void {
  if (/<!DOCTYPE|<!ENTITY/i.test(xml)) throw new XmlRefused('DOCTYPE or entity declaration');
}

function parse(xml: string) {
  const errors: string[] = [];
  const doc = new DOMParser({
    errorHandler: { warning: () => undefined, error: (message: string) => errors.push(message), fatalError: (message: string) => errors.push(message) },
  }).parseFromString(xml, 'text/xml');
  if (errors.length || !doc.documentElement) throw new XmlRefused(`not well-formed XML: ${errors[0] ?? 'empty'}`);
  return doc.documentElement;
}

/** True when the message carries an enveloped XML signature anywhere. */
export function hasXmlSignature(xml: string): boolean {
  return parse(xml).getElementsByTagNameNS(DSIG, 'Signature').length > 0;
}

/**
 * GHSA-63ch-w8pw-4mf2 (signature wrapping of signed POST-binding requests, open in samlify): a signed request is
 * accepted only with exactly one ds:Signature in the whole document, a direct child of the root, whose single
 * Reference points at the root's ID. Anything else (a second signature, a signature of a wrapped copy) is refused.
 */
export function requireRootEnvelopedSignature(xml: string): void {
  const root = parse(xml);
  const signatures = root.getElementsByTagNameNS(DSIG, 'Signature');
  if (signatures.length !== 1) throw new XmlRefused(`expected exactly one signature, found ${signatures.length}`);
  const signature = signatures.item(0)!;
  if (signature.parentNode !== root) throw new XmlRefused('signature is not a direct child of the root element');
  const references = signature.getElementsByTagNameNS(DSIG, 'Reference');
  const rootId = root.getAttribute('ID');
  if (references.length !== 1 || !rootId || references.item(0)!.getAttribute('URI') !== `#${rootId}`) {
    throw new XmlRefused('signature does not reference the root element');
  }
  const ids = [...xml.matchAll(/\sID\s*=\s*["']([^"']*)["']/g)].map((m) => m[1]);
  if (ids.filter((id) => id === rootId).length !== 1) throw new XmlRefused('duplicate ID');
}

const PROTOCOL = 'urn:oasis:names:tc:SAML:2.0:protocol';
const ASSERTION = 'urn:oasis:names:tc:SAML:2.0:assertion';

/**
 * The shape of an inbound SAML Response we accept as SP (saml-sec-consider §6.4.2, signature wrapping): exactly
 * one Assertion (or EncryptedAssertion) in the whole document, a direct child of the Response; every ds:Signature a
 * direct child of the Response or of that Assertion, with one Reference to its parent's ID; IDs unique. With one
 * assertion only, the assertion read is the one signed, whatever library resolves the references.
 */
export function requireResponseShape(xml: string, options: { requireSignature: boolean }): void {
  const root = parse(xml);
  if (root.namespaceURI !== PROTOCOL || root.localName !== 'Response') throw new XmlRefused('not a samlp:Response');
  const assertions = [...Array.from(root.getElementsByTagNameNS(ASSERTION, 'Assertion')),
    ...Array.from(root.getElementsByTagNameNS(ASSERTION, 'EncryptedAssertion'))];
  if (assertions.length !== 1 || assertions[0]!.parentNode !== root) throw new XmlRefused(`expected one assertion, a child of the Response, found ${assertions.length}`);
  const signatures = Array.from(root.getElementsByTagNameNS(DSIG, 'Signature'));
  if (options.requireSignature && signatures.length === 0) throw new XmlRefused('no signature');
  const parents = new Set<unknown>();
  for (const signature of signatures) {
    const parent = signature.parentNode as Element | null;
    if (!parent || (parent !== root && parent !== assertions[0]) || parents.has(parent)) throw new XmlRefused('signature in an unexpected place');
    parents.add(parent);
    const references = signature.getElementsByTagNameNS(DSIG, 'Reference');
    const id = parent.getAttribute('ID');
    if (references.length !== 1 || !id || references.item(0)!.getAttribute('URI') !== `#${id}`) throw new XmlRefused('signature does not reference its parent');
  }
  const ids = [...xml.matchAll(/\sID\s*=\s*["']([^"']*)["']/g)].map((m) => m[1]);
  if (new Set(ids).size !== ids.length) throw new XmlRefused('duplicate ID');
}


/** What SSO needs from an AuthnRequest (saml-core §3.4.1); absent attributes are undefined. */
export interface AuthnRequestFields {
  issuer?: string;
  id?: string;
  forceAuthn?: string;
  isPassive?: string;
  acsUrl?: string;
  acsIndex?: string;
  protocolBinding?: string;
  destination?: string;
  nameIdFormat?: string;
  allowCreate?: string;
  classRefs: string[];
}

type El = ReturnType<typeof parse>;
const children = (element: El, ns: string, name: string): El[] => {
  const found: El[] = [];
  for (let node = element.firstChild; node; node = node.nextSibling) {
    if (node.nodeType === 1 && (node as El).namespaceURI === ns && (node as El).localName === name) found.push(node as El);
  }
  return found;
};
const attribute = (element: El | undefined, name: string) => (element?.hasAttribute(name) ? element.getAttribute(name)! : undefined);

/**
 * The AuthnRequest's fields from ONE parse, walking the tree by namespace and local name (no XPath: samlify's
 * extractor parsed the message again and compiled an XPath per field). Called after refuseDoctype; the schema
 * validation of the same string decides whether the message is acceptable at all.
 */
export function readAuthnRequest(xml: string): AuthnRequestFields {
  const root = parse(xml);
  if (root.namespaceURI !== PROTOCOL || root.localName !== 'AuthnRequest') throw new XmlRefused('not an AuthnRequest');
  const policy = children(root, PROTOCOL, 'NameIDPolicy')[0];
  const context = children(root, PROTOCOL, 'RequestedAuthnContext')[0];
  return {
    issuer: children(root, ASSERTION, 'Issuer')[0]?.textContent?.trim() || undefined,
    id: attribute(root, 'ID'),
    forceAuthn: attribute(root, 'ForceAuthn'),
    isPassive: attribute(root, 'IsPassive'),
    acsUrl: attribute(root, 'AssertionConsumerServiceURL'),
    acsIndex: attribute(root, 'AssertionConsumerServiceIndex'),
    protocolBinding: attribute(root, 'ProtocolBinding'),
    destination: attribute(root, 'Destination'),
    nameIdFormat: attribute(policy, 'Format'),
    allowCreate: attribute(policy, 'AllowCreate'),
    classRefs: context ? children(context, ASSERTION, 'AuthnContextClassRef').map((e) => (e.textContent ?? '').trim()) : [],
  };
}
