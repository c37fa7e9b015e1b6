import { AppError } from '../../shared/app-error.ts';
import type { Audit } from '../../shared/audit.ts';
import type { IdpCredentials } from './idp-credentials.ts';
import { BindingRefused, decodeMessage, type RedirectQuery } from './binding.codec.ts';
import {
  extract, parseLoginRequest, parseLogoutRequest, parseLogoutResponse, verifyDetachedSignature, verifyEnvelopedSignature, type InboundHttp,
} from './saml-lib.ts';
import type { SamlSpDocument } from './saml.models.ts';
import type { SpRegistry } from './sp-registry.service.ts';
import { verifiesHere, verifyRedirectSignature } from './redirect-signature.ts';
import { hasXmlSignature, readAuthnRequest, refuseDoctype, requireRootEnvelopedSignature, type AuthnRequestFields } from './xml-guard.ts';
import { validateSamlProtocol } from './xml-schema.validator.ts';

// Reads an inbound SAML message from an SP (AuthnRequest, LogoutRequest, LogoutResponse) on HTTP-Redirect or
// HTTP-POST: DOCTYPE refused, SP known, signature required when the SP is registered as signing, the POST
// signature-wrapping guard (GHSA-63ch-w8pw-4mf2), then schema validation and signature verification: by samlify,
// except for Redirect-binding AuthnRequests (every SP-initiated SSO), which are checked here in one pass.
// Every refusal is an audit event and an AppError `saml.request_refused` (an error page, never an assertion).

export type Binding = 'redirect' | 'post';
export type MessageKind = 'AuthnRequest' | 'LogoutRequest' | 'LogoutResponse';

export type InboundMessage =
  /** The form body. */
  | { binding: 'post'; params: Record<string, unknown> }
  /** The query read once (binding.codec.ts): `params` and the signed octets come from the same pairs. */
  | { binding: 'redirect'; params: Record<string, unknown>; query: RedirectQuery };

export interface ReadMessage {
  sp: SamlSpDocument;
  xml: string;
  extract: Record<string, any>;
  /** AuthnRequests: the fields SSO needs, read in the same pass as the issuer. */
  authn?: AuthnRequestFields;
  relayState?: string;
  signed: boolean;
  /** A LogoutResponse whose status is not Success (samlify stops before verifying those). */
  failedStatus?: boolean;
}

const PARAM: Record<MessageKind, 'SAMLRequest' | 'SAMLResponse'> = {
  AuthnRequest: 'SAMLRequest', LogoutRequest: 'SAMLRequest', LogoutResponse: 'SAMLResponse',
};

export function createMessageReader(deps: { sps: SpRegistry; credentials: IdpCredentials; audit: Audit }) {
  const refuse = (reason: string, fields: Record<string, unknown> = {}, cause?: unknown): never => {
    deps.audit('saml.request.refused', { reason, ...fields, ...(cause ? { detail: (cause as Error).message?.slice(0, 200) } : {}) });
    throw new AppError('saml.request_refused', 400, { cause });
  };
  const reasonOf = (error: unknown) => {
    const text = String((error as Error)?.message ?? error);
    return /SIGNATURE|SIG_ALG/i.test(text) ? 'bad_signature' : /XML|schema|valid/i.test(text) ? 'schema' : 'invalid';
  };

  /** The message's issuer: AuthnRequests are read whole here (one parse), the others through samlify's extractor. */
  function issuerOf(kind: MessageKind, xml: string): { issuer?: string; authn?: AuthnRequestFields } {
    try {
      if (kind === 'AuthnRequest') {
        const authn = readAuthnRequest(xml);
        return { issuer: authn.issuer, authn };
      }
      const fields = extract(xml, [{ key: 'root', localPath: [kind], attributes: [] }, { key: 'issuer', localPath: [kind, 'Issuer'], attributes: [] }]);
      return { issuer: typeof fields.issuer === 'string' ? fields.issuer.trim() : undefined };
    } catch (error) {
      return refuse('malformed', { kind }, error);
    }
  }

  /**
   * A Redirect-binding AuthnRequest (the SSO hot path) without samlify: the schema validation samlify would run, then
   * the detached signature, checked here against the SP's keys parsed once (redirect-signature.ts).
   */
  async function verifyRedirectHere(message: InboundMessage & { binding: 'redirect' }, xml: string, sp: SamlSpDocument): Promise<void> {
    try {
      await validateSamlProtocol(xml);
    } catch (error) {
      refuse('schema', { kind: 'AuthnRequest', sp: sp._id }, error);
    }
    const { SigAlg: sigAlg, Signature: signature } = message.params;
    if (signature === undefined) return;
    const valid = typeof sigAlg === 'string' && typeof signature === 'string'
      && verifyRedirectSignature(deps.sps.signingKeys(sp), message.query.octetString('SAMLRequest'), sigAlg, signature);
    if (!valid) refuse('bad_signature', { kind: 'AuthnRequest', sp: sp._id });
  }

  /**
   * The signature of a message samlify stopped reading before its signature check: a LogoutResponse whose Status is
   * not Success (samlify checks the Status first). Same keys, same octets as samlify would use; the POST shape
   * (one signature, a child of the root, over the root) was required before.
   */
  function verifiesUnread(message: InboundMessage, xml: string, sp: SamlSpDocument, param: 'SAMLRequest' | 'SAMLResponse'): boolean {
    if (message.binding === 'post') return verifyEnvelopedSignature(xml, deps.sps.entity(sp));
    const { SigAlg: sigAlg, Signature: signature } = message.params;
    if (typeof sigAlg !== 'string' || typeof signature !== 'string') return false;
    const octets = message.query.octetString(param);
    return verifiesHere(sigAlg)
      ? verifyRedirectSignature(deps.sps.signingKeys(sp), octets, sigAlg, signature)
      : verifyDetachedSignature(deps.sps.entity(sp), octets, sigAlg, signature);
  }

  return async function read(kind: MessageKind, message: InboundMessage): Promise<ReadMessage> {
    const param = PARAM[kind];
    const encoded = message.params[param];
    if (message.binding === 'redirect' && message.query.refusal) refuse(message.query.refusal.reason, { kind }, message.query.refusal);
    if (typeof encoded !== 'string' || !encoded) return refuse('missing_message', { kind });
    const relayState = typeof message.params.RelayState === 'string' ? message.params.RelayState : undefined;
    if (relayState && relayState.length > 1024) refuse('relay_state_too_long', { kind });
    let xml = '';
    try {
      xml = decodeMessage(encoded, message.binding);
      refuseDoctype(xml);
    } catch (error) {
      refuse(error instanceof BindingRefused ? error.reason : xml ? 'doctype' : 'undecodable', { kind, binding: message.binding }, error);
    }
    const { issuer, authn } = issuerOf(kind, xml);
    const sp = issuer ? await deps.sps.find(issuer) : undefined;
    if (!sp) return refuse('unknown_sp', { kind, issuer: issuer?.slice(0, 200) });

    let signed: boolean;
    try {
      signed = message.binding === 'redirect' ? typeof message.params.Signature === 'string' : hasXmlSignature(xml);
      if (signed && message.binding === 'post') requireRootEnvelopedSignature(xml);
    } catch (error) {
      return refuse('signature_wrapping', { kind, sp: sp._id }, error);
    }
    // A signing SP's requests are always signed; its logout messages too (saml-profiles §4.4.3.1 requires it).
    if (!signed && (sp.authnRequestsSigned || kind !== 'AuthnRequest')) refuse('unsigned', { kind, sp: sp._id });

    if (authn && message.binding === 'redirect' && (!signed || verifiesHere(message.params.SigAlg))) {
      await verifyRedirectHere(message, xml, sp);
      return { sp, xml, extract: {}, authn, relayState, signed };
    }
    const http: InboundHttp = message.binding === 'redirect'
      ? { query: message.params, octetString: message.query.octetString(param) }
      : { body: message.params };
    const idp = await deps.credentials.entity(signed);
    const spEntity = deps.sps.entity(sp);
    try {
      const parse = kind === 'AuthnRequest' ? parseLoginRequest : kind === 'LogoutRequest' ? parseLogoutRequest : parseLogoutResponse;
      const parsed = await parse(idp, spEntity, message.binding, http);
      return { sp, xml, extract: parsed.extract, ...(authn ? { authn } : {}), relayState, signed };
    } catch (error) {
      // A failed logout only marks the chain partial, but it advances the chain: its signature is verified all the same.
      if (kind === 'LogoutResponse' && String((error as Error)?.message ?? error).includes('ERR_FAILED_STATUS')) {
        if (!verifiesUnread(message, xml, sp, param)) return refuse('bad_signature', { kind, sp: sp._id, status: 'failed' });
        const fields = extract(xml, [{ key: 'response', localPath: ['LogoutResponse'], attributes: ['ID', 'InResponseTo', 'Destination'] }]);
        return { sp, xml, extract: fields, relayState, signed, failedStatus: true };
      }
      return refuse(reasonOf(error), { kind, sp: sp._id }, error);
    }
  };
}

export type MessageReader = ReturnType<typeof createMessageReader>;
