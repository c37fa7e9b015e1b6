import { randomBytes } from 'node:crypto';
import { ATTRNAME_FORMAT, BEARER, STATUS } from './saml-constants.ts';
import type { AttributeRelease } from './saml.models.ts';

// The XML we emit, as templates (saml-core §3.3.3 Response, §2.3.3 Assertion, §3.7 LogoutRequest/Response).
// Every value is escaped; signatures and encryption are added afterwards (saml-lib.ts).

const NS = 'xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion"';
const ASSERTION_NS = 'xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"';

export const newId = () => `_${randomBytes(20).toString('hex')}`;
/** xs:dateTime in UTC without fractions (saml-core §1.3.3: "MUST be expressed in UTC form"). */
export const instant = (date: Date) => `${date.toISOString().slice(0, 19)}Z`;

export function escapeXml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c]!);
}
const attr = (name: string, value: string | undefined) => (value === undefined ? '' : ` ${name}="${escapeXml(value)}"`);

function status(code: string, second?: string, message?: string) {
  const inner = second ? `<samlp:StatusCode Value="${second}"/>` : '';
  return `<samlp:Status><samlp:StatusCode Value="${code}">${inner}</samlp:StatusCode>${message ? `<samlp:StatusMessage>${escapeXml(message)}</samlp:StatusMessage>` : ''}</samlp:Status>`;
}

export interface AssertionInput {
  issuer: string;
  audience: string;
  recipient: string;
  inResponseTo?: string;
  nameId: { value: string; format: string };
  authnInstant: Date;
  authnContextClassRef: string;
  sessionIndex: string;
  sessionNotOnOrAfter?: Date;
  attributes: Array<{ release: AttributeRelease; values: string[] }>;
  now: Date;
  lifetimeSeconds: number;
}

function attributeStatement(attributes: AssertionInput['attributes']): string {
  if (!attributes.length) return '';
  const items = attributes.map(({ release, values }) => `<saml:Attribute${attr('Name', release.name)}${attr('NameFormat', ATTRNAME_FORMAT[release.nameFormat])}${attr('FriendlyName', release.friendlyName)}>${
    values.map((v) => `<saml:AttributeValue xsi:type="xs:string">${escapeXml(v)}</saml:AttributeValue>`).join('')}</saml:Attribute>`);
  return `<saml:AttributeStatement>${items.join('')}</saml:AttributeStatement>`;
}

/** The Response, and the same as head + assertion + tail (the Assertion declares its own namespaces, so it can be signed alone). */
export function successResponse(input: AssertionInput): { xml: string; id: string; assertionId: string; head: string; assertion: string; tail: string } {
  const id = newId();
  const assertionId = newId();
  const now = instant(input.now);
  const until = instant(new Date(input.now.getTime() + input.lifetimeSeconds * 1000));
  const irt = attr('InResponseTo', input.inResponseTo);
  const assertion = `<saml:Assertion ${ASSERTION_NS} ID="${assertionId}" Version="2.0" IssueInstant="${now}">`
    + `<saml:Issuer>${escapeXml(input.issuer)}</saml:Issuer>`
    + `<saml:Subject><saml:NameID${attr('Format', input.nameId.format)}${attr('SPNameQualifier', input.audience)}>${escapeXml(input.nameId.value)}</saml:NameID>`
    + `<saml:SubjectConfirmation Method="${BEARER}"><saml:SubjectConfirmationData NotOnOrAfter="${until}"${attr('Recipient', input.recipient)}${irt}/></saml:SubjectConfirmation></saml:Subject>`
    + `<saml:Conditions NotBefore="${now}" NotOnOrAfter="${until}"><saml:AudienceRestriction><saml:Audience>${escapeXml(input.audience)}</saml:Audience></saml:AudienceRestriction></saml:Conditions>`
    + `<saml:AuthnStatement AuthnInstant="${instant(input.authnInstant)}"${attr('SessionIndex', input.sessionIndex)}${input.sessionNotOnOrAfter ? attr('SessionNotOnOrAfter', instant(input.sessionNotOnOrAfter)) : ''}>`
    + `<saml:AuthnContext><saml:AuthnContextClassRef>${escapeXml(input.authnContextClassRef)}</saml:AuthnContextClassRef></saml:AuthnContext></saml:AuthnStatement>`
    + attributeStatement(input.attributes)
    + '</saml:Assertion>';
  const head = `<samlp:Response ${NS} ID="${id}" Version="2.0" IssueInstant="${now}"${attr('Destination', input.recipient)}${irt}>`
    + `<saml:Issuer>${escapeXml(input.issuer)}</saml:Issuer>${status(STATUS.success)}`;
  const tail = '</samlp:Response>';
  return { xml: head + assertion + tail, id, assertionId, head, assertion, tail };
}

export function errorResponse(input: { issuer: string; destination: string; inResponseTo?: string; second?: string; top?: string; message?: string }) {
  const id = newId();
  const xml = `<samlp:Response ${NS} ID="${id}" Version="2.0" IssueInstant="${instant(new Date())}"${attr('Destination', input.destination)}${attr('InResponseTo', input.inResponseTo)}>`
    + `<saml:Issuer>${escapeXml(input.issuer)}</saml:Issuer>${status(input.top ?? STATUS.responder, input.second, input.message)}</samlp:Response>`;
  return { xml, id };
}

export function logoutRequest(input: { issuer: string; destination: string; nameId: string; nameIdFormat: string; spEntityId: string; sessionIndex: string; lifetimeSeconds: number }) {
  const id = newId();
  const now = new Date();
  const xml = `<samlp:LogoutRequest ${NS} ID="${id}" Version="2.0" IssueInstant="${instant(now)}"${attr('Destination', input.destination)} NotOnOrAfter="${instant(new Date(now.getTime() + input.lifetimeSeconds * 1000))}">`
    + `<saml:Issuer>${escapeXml(input.issuer)}</saml:Issuer>`
    + `<saml:NameID${attr('Format', input.nameIdFormat)}${attr('SPNameQualifier', input.spEntityId)}>${escapeXml(input.nameId)}</saml:NameID>`
    + `<samlp:SessionIndex>${escapeXml(input.sessionIndex)}</samlp:SessionIndex></samlp:LogoutRequest>`;
  return { xml, id };
}

export function logoutResponse(input: { issuer: string; destination: string; inResponseTo: string; status: string; second?: string }) {
  const id = newId();
  const xml = `<samlp:LogoutResponse ${NS} ID="${id}" Version="2.0" IssueInstant="${instant(new Date())}"${attr('Destination', input.destination)}${attr('InResponseTo', input.inResponseTo)}>`
    + `<saml:Issuer>${escapeXml(input.issuer)}</saml:Issuer>${status(input.status, input.second)}</samlp:LogoutResponse>`;
  return { xml, id };
}
