import type { Connector, ConnectorFactory, ConnectorRecord, NormalizedProfile, UpstreamTransaction } from '../../federation/connector.ts';
import { mapProfile } from '../../federation/claim-mapping.ts';
import { AppError } from '../../shared/app-error.ts';
import { BINDING, redirectQuery, type SigningCredentials } from '../idp/saml-lib.ts';
import { NAMEID } from '../idp/saml-constants.ts';
import { escapeXml, instant } from '../idp/xml-templates.ts';
import type { ResponseValidator, ValidatedAssertion } from './response.validator.ts';
import type { UpstreamIdpSettings } from './saml-sp-lib.ts';

// A group company's SAML IdP as a login connector (saml-profiles §4.1 Web Browser SSO): the sign-in starts with a
// signed AuthnRequest on HTTP-Redirect whose ID is derived from the federation transaction's nonce and whose
// RelayState is the transaction's state; the Response comes back to /saml/sp/<id>/acs (HTTP-POST) and ends in
// the same NormalizedProfile -> linking step as social login.

export interface SamlSpEndpoints {
  entityId(connectorId: string): string;
  acsUrl(connectorId: string): string;
}

export interface SamlConnector extends Connector {
  /** Validates a Response; `requestId` is our AuthnRequest's ID, or undefined for an unsolicited one. */
  validate(samlResponse: string, requestId: string | undefined): Promise<NormalizedProfile>;
  allowsIdpInitiated: boolean;
}

/** Our AuthnRequest ID for a transaction (an NCName: saml-core §1.3.4 requires IDs to be xs:ID). */
export const requestIdOf = (transaction: Pick<UpstreamTransaction, 'nonce'>) => `_${transaction.nonce}`;

export const isSamlConnector = (connector: Connector | undefined): connector is SamlConnector => connector?.record.type === 'saml';

export function idpSettingsOf(record: ConnectorRecord): UpstreamIdpSettings {
  const certificates = (record.options.certificates ?? '').split(/\s+/).filter(Boolean);
  // The entityID lives in options: SAML entityIDs may be URNs, which the connector's `issuer` (a URL) cannot hold.
  const entityId = record.options.entityId;
  if (!entityId || !record.endpoints.authorization || certificates.length === 0) {
    throw new Error(`connector ${record.id}: a SAML connector needs the IdP's entityID, SSO URL and certificate`);
  }
  return { entityId, ssoUrl: record.endpoints.authorization, certificates };
}

function authnRequest(record: ConnectorRecord, endpoints: SamlSpEndpoints, id: string): string {
  // saml-core §3.4.1; persistent NameIDs (§8.3.7) are stable per SP, which the linking step needs.
  return '<samlp:AuthnRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion"'
    + ` ID="${id}" Version="2.0" IssueInstant="${instant(new Date())}" Destination="${escapeXml(record.endpoints.authorization!)}"`
    + ` ProtocolBinding="${BINDING.post}" AssertionConsumerServiceURL="${escapeXml(endpoints.acsUrl(record.id))}">`
    + `<saml:Issuer>${escapeXml(endpoints.entityId(record.id))}</saml:Issuer>`
    + `<samlp:NameIDPolicy Format="${NAMEID.persistent}" AllowCreate="true"/></samlp:AuthnRequest>`;
}

/** The mapping names SAML attributes (or `nameID`); mapProfile then applies the usual text and email rules. */
function toProfile(record: ConnectorRecord, assertion: ValidatedAssertion): NormalizedProfile {
  const valueOf = (name: string | undefined) => {
    if (!name) return undefined;
    if (name === 'nameID') return assertion.nameId;
    const value = assertion.attributes[name];
    return Array.isArray(value) ? value[0] : value;
  };
  const { email_verified: verified, ...paths } = record.mapping;
  const document: Record<string, unknown> = {};
  for (const [claim, name] of Object.entries(paths)) document[claim] = valueOf(name as string);
  const identity = Object.fromEntries(Object.keys(paths).map((claim) => [claim, claim]));
  return mapProfile(record.id, { ...identity, subject: 'subject', email_verified: verified === true } as never, document);
}

export function samlConnectorFactory(deps: {
  endpoints: SamlSpEndpoints; validator: ResponseValidator; credentials: () => Promise<SigningCredentials>;
}): ConnectorFactory {
  return (record) => {
    const idp = idpSettingsOf(record);
    const validate = async (samlResponse: string, requestId: string | undefined) => {
      const assertion = await deps.validator(samlResponse, idp, {
        connectorId: record.id, spEntityId: deps.endpoints.entityId(record.id), acsUrl: deps.endpoints.acsUrl(record.id), inResponseTo: requestId,
      });
      // A transient NameID changes at every sign-in (saml-core §8.3.8): as the subject it would create an account each time.
      if (record.mapping.subject === 'nameID' && assertion.nameIdFormat === NAMEID.transient) throw new AppError('saml_sp.transient_nameid', 400);
      return toProfile(record, assertion);
    };
    const connector: SamlConnector = {
      record,
      allowsIdpInitiated: record.options.allowIdpInitiated === 'true',
      async authorizationUrl(transaction) {
        const xml = authnRequest(record, deps.endpoints, requestIdOf(transaction));
        const url = new URL(idp.ssoUrl);
        // saml-bindings §3.4.4.1: signed with RSA-SHA256 over the query; RelayState (≤ 80 bytes, §3.4.3) is the state.
        const query = redirectQuery('SAMLRequest', xml, transaction.state, await deps.credentials());
        return new URL(`${url.origin}${url.pathname}?${url.search ? `${url.search.slice(1)}&` : ''}${query}`);
      },
      async complete(callback, transaction) {
        const form = await callback.formData();
        const samlResponse = form.get('SAMLResponse');
        return validate(typeof samlResponse === 'string' ? samlResponse : '', requestIdOf(transaction));
      },
      validate,
    };
    return connector;
  };
}
