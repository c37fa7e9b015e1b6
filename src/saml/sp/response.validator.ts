import { AppError } from '../../shared/app-error.ts';
import { decodePostMessage } from '../idp/binding.codec.ts';
import { refuseDoctype, requireResponseShape, XmlRefused } from '../idp/xml-guard.ts';
import { BEARER, STATUS } from '../idp/saml-constants.ts';
import { decryptAssertion, extractDetails, localSp, parseLoginResponse, upstreamIdp, type UpstreamIdpSettings } from './saml-sp-lib.ts';
import type { SigningCredentials } from '../idp/saml-lib.ts';
import type { ReplayCache } from './replay.cache.ts';

// Validation of a SAML Response received at our ACS (saml-profiles §4.1.4.3, saml-sec-consider §7.1.1): shape
// (one assertion, signatures only where they sign their parent), signature with the connector's certificates,
// decryption with our key, issuer, Status, Audience, Destination and Recipient, InResponseTo, the time windows with
// a small skew, and replay (each assertion ID accepted once). Any failure is an AppError `saml_sp.<reason>`.

export const CLOCK_SKEW_SECONDS = 120;

export interface Expectation {
  connectorId: string;
  spEntityId: string;
  acsUrl: string;
  /** The ID of our outstanding AuthnRequest, or undefined for an unsolicited (IdP-initiated) Response. */
  inResponseTo: string | undefined;
}

export interface ValidatedAssertion {
  nameId: string;
  nameIdFormat?: string;
  attributes: Record<string, string | string[]>;
  sessionIndex?: string;
}

const refuse = (reason: string, detail?: string) => new AppError(`saml_sp.${reason}`, 400, { cause: detail });
const first = (value: unknown): string | undefined => (Array.isArray(value) ? first(value[0]) : typeof value === 'string' ? value : undefined);
const time = (value: unknown) => (typeof value === 'string' ? Date.parse(value) : Number.NaN);

const ENCRYPTED = /<(\w+:)?EncryptedAssertion[\s>]/;

function guardShape(xml: string, requireSignature: boolean): void {
  try {
    refuseDoctype(xml);
    requireResponseShape(xml, { requireSignature });
  } catch (error) {
    const message = (error as Error).message;
    if (message === 'no signature') throw refuse('invalid_signature', message);
    throw refuse(error instanceof XmlRefused && /signature|ID|assertion/.test(message) ? 'wrapped' : 'invalid_response', message);
  }
}

function decode(samlResponse: string): string {
  if (!samlResponse) throw refuse('invalid_response', 'missing');
  let xml: string;
  try {
    xml = decodePostMessage(samlResponse); // the one bounded decoder of every binding (binding.codec.ts)
  } catch (error) {
    throw refuse('invalid_response', (error as Error).message);
  }
  guardShape(xml, !ENCRYPTED.test(xml));
  return xml;
}

/** samlify's error names to our reasons; anything unknown is an invalid response. */
function samlifyFailure(error: unknown): AppError {
  const message = String((error as Error)?.message ?? error);
  if (/SIGNATURE|CERTIFICATE|WRAPPING/i.test(message)) return refuse('invalid_signature', message);
  if (/SUBJECT_UNCONFIRMED|EXPIRED/i.test(message)) return refuse('expired', message);
  if (/UNMATCH_ISSUER/.test(message)) return refuse('wrong_issuer', message);
  if (/FAILED_STATUS/.test(message)) return refuse('upstream_status', message);
  return refuse('invalid_response', message);
}

function checkTimes(conditions: Record<string, unknown> | undefined, confirmation: Record<string, unknown>, now: number): number {
  const skew = CLOCK_SKEW_SECONDS * 1000;
  const notBefore = time(conditions?.notBefore);
  const notOnOrAfter = time(conditions?.notOnOrAfter);
  const confirmUntil = time(confirmation.notOnOrAfter);
  // saml-profiles §4.1.4.2: bearer SubjectConfirmationData MUST carry NotOnOrAfter.
  if (Number.isNaN(confirmUntil)) throw refuse('invalid_response', 'SubjectConfirmationData without NotOnOrAfter');
  if (!Number.isNaN(notBefore) && now + skew < notBefore) throw refuse('expired', 'not yet valid');
  if ((!Number.isNaN(notOnOrAfter) && now - skew >= notOnOrAfter) || now - skew >= confirmUntil) throw refuse('expired', 'expired');
  return Math.max(confirmUntil, Number.isNaN(notOnOrAfter) ? 0 : notOnOrAfter) + skew;
}

function checkAddressing(parsed: Record<string, any>, details: Record<string, any>, expected: Expectation): void {
  const audiences = ([] as unknown[]).concat(parsed.audience ?? []);
  if (!audiences.includes(expected.spEntityId)) throw refuse('wrong_audience', `audience ${String(audiences)}`);
  const destination = parsed.response?.destination;
  if (destination !== undefined && destination !== expected.acsUrl) throw refuse('wrong_recipient', 'Destination');
  if (details.confirmation?.recipient !== expected.acsUrl) throw refuse('wrong_recipient', 'Recipient');
  if (details.method !== BEARER) throw refuse('invalid_response', 'not a bearer confirmation');
  const inResponseTo = [parsed.response?.inResponseTo, details.confirmation?.inResponseTo];
  if (expected.inResponseTo === undefined) {
    if (inResponseTo.some((value) => value !== undefined)) throw refuse('unsolicited', 'InResponseTo without an outstanding request');
  } else if (inResponseTo.some((value) => value !== expected.inResponseTo)) {
    throw refuse('wrong_request', 'InResponseTo does not match this browser\'s request');
  }
}

export function createResponseValidator(deps: { replay: ReplayCache; credentials: () => Promise<SigningCredentials> }) {
  return async function validate(samlResponse: string, idp: UpstreamIdpSettings, expected: Expectation): Promise<ValidatedAssertion> {
    let xml = decode(samlResponse);
    const sp = localSp({ entityId: expected.spEntityId, acsUrl: expected.acsUrl, credentials: await deps.credentials(), clockSkewMs: CLOCK_SKEW_SECONDS * 1000 });
    if (ENCRYPTED.test(xml)) {
      // Sign-then-encrypt (saml-core §6.2): decrypted first, then the signed assertion inside is checked like any
      // other. A signature over the Response only (around the EncryptedAssertion) cannot verify after that: refused.
      xml = await decryptAssertion(sp, xml).catch((error) => { throw refuse('invalid_response', `decryption: ${(error as Error).message}`); });
      guardShape(xml, true);
    }
    const parsed = await parseLoginResponse(sp, upstreamIdp(idp), Buffer.from(xml).toString('base64')).catch((error) => { throw samlifyFailure(error); });
    const details = extractDetails(parsed.samlContent);
    if (details.status !== STATUS.success) throw refuse('upstream_status', String(details.status));
    checkAddressing(parsed.extract, details, expected);
    const keepUntil = checkTimes(parsed.extract.conditions, details.confirmation ?? {}, Date.now());
    const nameId = first(parsed.extract.nameID);
    if (!nameId) throw refuse('invalid_response', 'no NameID');
    const assertionId = details.assertion?.id;
    if (typeof assertionId !== 'string' || !(await deps.replay.remember(expected.connectorId, assertionId, new Date(keepUntil)))) {
      throw refuse('replayed', 'assertion ID seen before');
    }
    const format = details.nameIdFormat as string | undefined;
    return {
      nameId, nameIdFormat: format, sessionIndex: parsed.extract.sessionIndex?.sessionIndex,
      attributes: (parsed.extract.attributes ?? {}) as Record<string, string | string[]>,
    };
  };
}

export type ResponseValidator = ReturnType<typeof createResponseValidator>;
