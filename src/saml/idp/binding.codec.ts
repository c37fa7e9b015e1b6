import { unescape } from 'node:querystring';
import { inflateRawSync } from 'node:zlib';

// How SAML messages arrive on the two bindings we accept, decoded in one place for every reader (IdP SSO and SLO,
// and the SP's ACS): HTTP-Redirect carries base64 of raw-DEFLATEd XML in the query (saml-bindings §3.4.4.1),
// HTTP-POST plain base64 XML in a form field (§3.5.4). Both are bounded before anything is known about the sender:
// a few kilobytes of DEFLATE inflate to megabytes (saml-sec-consider §6.3 denial of service).

/** The largest SAML message (XML, in bytes) we decode: generous for signed, encrypted messages with many attributes. */
export const MAX_SAML_MESSAGE_BYTES = 256 * 1024;
/** Its base64 form; an encoded message longer than this is refused before it is decoded. */
export const MAX_ENCODED_MESSAGE_CHARS = Math.ceil(MAX_SAML_MESSAGE_BYTES / 3) * 4 + 4096; // + line breaks some senders add

export type BindingRefusal = 'too_large' | 'undecodable' | 'duplicate_parameter' | 'encoded_parameter_name';

export class BindingRefused extends Error {
  override name = 'BindingRefused';
  readonly reason: BindingRefusal;
  constructor(reason: BindingRefusal, message: string) {
    super(message);
    this.reason = reason;
  }
}

function requireEncodedSize(encoded: string): void {
  if (encoded.length > MAX_ENCODED_MESSAGE_CHARS) throw new BindingRefused('too_large', `encoded message of ${encoded.length} characters`);
}

/** HTTP-Redirect: base64, then raw DEFLATE inflated with an output bound (zlib stops there, it never allocates more). */
export function inflateRedirectMessage(encoded: string): string {
  requireEncodedSize(encoded);
  let inflated: Buffer;
  try {
    inflated = inflateRawSync(Buffer.from(encoded, 'base64'), { maxOutputLength: MAX_SAML_MESSAGE_BYTES });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') {
      throw new BindingRefused('too_large', `inflates beyond ${MAX_SAML_MESSAGE_BYTES} bytes`);
    }
    throw new BindingRefused('undecodable', `not raw DEFLATE: ${(error as Error).message}`);
  }
  return inflated.toString('utf8');
}

/** HTTP-POST: base64 XML, bounded by its length before decoding. */
export function decodePostMessage(encoded: string): string {
  requireEncodedSize(encoded);
  return Buffer.from(encoded, 'base64').toString('utf8');
}

export function decodeMessage(encoded: string, binding: 'redirect' | 'post'): string {
  return binding === 'redirect' ? inflateRedirectMessage(encoded) : decodePostMessage(encoded);
}

/** The parameters a Redirect-binding message and its detached signature are made of (saml-bindings §3.4.4.1). */
const PROTOCOL_PARAMETERS = new Set(['SAMLRequest', 'SAMLResponse', 'RelayState', 'SigAlg', 'Signature']);

export interface RedirectQuery {
  /** Decoded values by decoded name; a protocol parameter appears once at most (else `refusal` is set). */
  params: Record<string, string>;
  /** The signed octets: SAMLRequest|SAMLResponse, RelayState, SigAlg, in that order, with their values as received. */
  octetString(message: 'SAMLRequest' | 'SAMLResponse'): string;
  /** Why the query cannot be trusted: a protocol parameter sent twice, or under a percent-encoded name. */
  refusal?: BindingRefused;
}

// application/x-www-form-urlencoded, as koa's query parser reads it ('+' is a space, malformed escapes kept as is).
const formDecode = (raw: string) => unescape(raw.replace(/\+/g, ' '));

/**
 * Reads a Redirect-binding query ONCE into (decoded name, raw value) pairs; the parameters we read and the octets
 * whose signature we check both come from that list, so no parameter can be read without being signed. A protocol
 * parameter whose name is sent percent-encoded (`RelayStat%65=`) is refused: the signer's octets would not contain
 * it under its name, yet a decoding reader would take it. A repeated one is refused: which copy was signed is unknown.
 */
export function readRedirectQuery(rawQuery: string): RedirectQuery {
  const raw = new Map<string, string>();
  const params = Object.create(null) as Record<string, string>; // names like __proto__ are just names here
  let refusal: BindingRefused | undefined;
  for (const pair of rawQuery.split('&')) {
    if (!pair) continue;
    const at = pair.indexOf('=');
    const rawName = at === -1 ? pair : pair.slice(0, at);
    const rawValue = at === -1 ? '' : pair.slice(at + 1);
    const name = formDecode(rawName);
    if (PROTOCOL_PARAMETERS.has(name)) {
      if (rawName !== name) refusal ??= new BindingRefused('encoded_parameter_name', `${name} sent with an encoded name`);
      if (raw.has(name)) refusal ??= new BindingRefused('duplicate_parameter', `${name} sent more than once`);
      raw.set(name, rawValue);
    }
    if (!Object.hasOwn(params, name)) params[name] = formDecode(rawValue);
  }
  return {
    params,
    refusal,
    octetString: (message) => [message, 'RelayState', 'SigAlg'].filter((key) => raw.has(key)).map((key) => `${key}=${raw.get(key)}`).join('&'),
  };
}
