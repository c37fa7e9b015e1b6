import { createHash } from 'node:crypto';
import type { AccountRepository } from '../../accounts/account.repository.ts';
import type { Config } from '../../config/config.schema.ts';
import { SCOPE_CLAIMS, accountClaimsWithGroups, type GroupNames } from '../../oidc/claims.ts';
import type { Audit } from '../../shared/audit.ts';
import type { AuthorizationCodeTaker } from '../../oidc/engine-store.ts';
import { authnContextClassFor, satisfies } from './authn-context.ts';
import type { IdpCredentials } from './idp-credentials.ts';
import type { NameIds } from './name-id.ts';
import { encryptAssertion, signElement } from './saml-lib.ts';
import { NAMEID, STATUS } from './saml-constants.ts';
import { driverCollection, type SamlModels, type SamlPendingDocument, type SamlSpDocument } from './saml.models.ts';
import type { SpRegistry } from './sp-registry.service.ts';
import { errorResponse, successResponse } from './xml-templates.ts';
import { persistentIdKey } from './saml-account-data.ts';

// SSO second half: the engine's answer (an authorization code of the SP's client, or an error) becomes the SAML
// Response (saml-core §3.3.3, saml-profiles §4.1.4.2): Assertion always signed (RSA-SHA256, exc-c14n), then
// encrypted for SPs that want it (AES-256-GCM, RSA-OAEP), then the Response signed when the SP asks for it.

export interface PostForm {
  action: string;
  fields: Record<string, string>;
  spName: string;
}

export interface ResponseDeps {
  config: Config;
  models: SamlModels;
  sps: SpRegistry;
  credentials: IdpCredentials;
  /** The callback's authorization code, taken once (oidc/engine-store.ts). */
  takeCode: AuthorizationCodeTaker;
  nameIds: NameIds;
  accounts: AccountRepository;
  /** Group display names for a `groups` attribute. */
  groupNames?: GroupNames;
  audit: Audit;
}

const ASSERTION_LIFETIME_SECONDS = 300;

/** Engine errors (OIDC Core §3.1.2.6) -> SAML second-level status (saml-core §3.2.2.2). */
function statusFor(error: string, passive: boolean): { top: string; second?: string } {
  if (error === 'invalid_nameid_policy') return { top: STATUS.requester, second: STATUS.invalidNameIdPolicy };
  if (error === 'no_authn_context') return { top: STATUS.responder, second: STATUS.noAuthnContext };
  if (['login_required', 'interaction_required', 'consent_required', 'account_selection_required'].includes(error)) {
    return { top: STATUS.responder, second: passive ? STATUS.noPassive : STATUS.requestDenied };
  }
  if (error === 'access_denied') return { top: STATUS.responder, second: STATUS.requestDenied };
  return { top: STATUS.responder };
}

/** Claims the grant allows (by scope) -> attribute values; lists become multi-valued attributes. */
function attributesFor(sp: SamlSpDocument, claims: Record<string, unknown>, scope: string) {
  const allowed = new Set(scope.split(' ').flatMap((s) => [...((SCOPE_CLAIMS as Record<string, readonly string[]>)[s] ?? [])]));
  const seen = new Set<string>();
  return sp.settings.attributes.flatMap((release) => {
    const value = claims[release.claim];
    if (!allowed.has(release.claim) || value === undefined || value === null || seen.has(release.name)) return [];
    const values = (Array.isArray(value) ? value : [value]).filter((v) => ['string', 'number', 'boolean'].includes(typeof v)).map(String);
    if (!values.length) return [];
    seen.add(release.name);
    return [{ release, values }];
  });
}

export function createResponseService(deps: ResponseDeps) {
  const identity = deps.credentials.identity;

  async function deliver(sp: SamlSpDocument, pending: SamlPendingDocument, xml: string): Promise<PostForm> {
    return {
      action: pending.acsUrl,
      fields: { SAMLResponse: Buffer.from(xml, 'utf8').toString('base64'), ...(pending.relayState ? { RelayState: pending.relayState } : {}) },
      spName: sp._id,
    };
  }

  async function failure(sp: SamlSpDocument, pending: SamlPendingDocument, error: string): Promise<PostForm> {
    const { top, second } = statusFor(error, pending.isPassive);
    const { xml } = errorResponse({ issuer: identity.entityId, destination: pending.acsUrl, inResponseTo: pending.requestId, top, second });
    deps.audit('saml.response.failed', { sp: sp._id, requestId: pending.requestId, status: second ?? top, error });
    return deliver(sp, pending, signElement(xml, 'root', await deps.credentials.credentials(), 'Response'));
  }

  return {
    async complete(pending: SamlPendingDocument, query: { code?: string; error?: string }): Promise<PostForm | undefined> {
      const sp = await deps.sps.find(pending.spEntityId);
      if (!sp) return undefined;
      if (!sp.acs.some((e) => e.location === pending.acsUrl)) return undefined; // re-registered meanwhile without this ACS
      if (query.error || !query.code) return failure(sp, pending, query.error ?? 'server_error');

      const code = await deps.takeCode(query.code, sp.clientId);
      if (!code || !code.accountId || !code.sessionUid) return failure(sp, pending, 'invalid_grant');
      deps.audit('authorization_code.consumed', { client: code.clientId }); // as the engine's event would say
      if (!satisfies(code.acr, pending.requestedAcr)) return failure(sp, pending, 'no_authn_context');
      const account = await deps.accounts.findById(code.accountId);
      if (!account || account.status !== 'active') return failure(sp, pending, 'access_denied');

      const format = pending.nameIdFormat ?? sp.settings.nameIdFormat;
      const nameId = deps.nameIds.value(format, { accountId: account._id, spEntityId: sp._id, email: account.emailVerified ? account.email : undefined });
      if (!nameId) return failure(sp, pending, 'invalid_nameid_policy');
      if (format === NAMEID.persistent) {
        const key = persistentIdKey(sp._id, nameId);
        if (!pending.allowCreate && !(await deps.models.SamlPersistentId.exists({ _id: key }))) return failure(sp, pending, 'invalid_nameid_policy');
        await deps.models.SamlPersistentId.updateOne({ _id: key }, { $setOnInsert: { createdAt: new Date() } }, { upsert: true }).exec();
      }
      const sessionIndex = code.sid ?? code.sessionUid;
      // The driver's update (no mongoose cast: every value here is already of its schema type).
      await driverCollection(deps.models.SamlParticipant).updateOne(
        { _id: createHash('sha256').update(`${code.sessionUid}\u0000${sp._id}`).digest('base64url') },
        { $set: { sessionUid: code.sessionUid, accountId: account._id, spEntityId: sp._id, nameId, nameIdFormat: format, sessionIndex, expiresAt: new Date(Date.now() + deps.config.ttl.session * 1000) } },
        { upsert: true },
      );

      const credentials = await deps.credentials.credentials();
      const built = successResponse({
        issuer: identity.entityId, audience: sp._id, recipient: pending.acsUrl, inResponseTo: pending.requestId,
        nameId: { value: nameId, format }, authnInstant: new Date((code.authTime ?? Math.floor(Date.now() / 1000)) * 1000),
        authnContextClassRef: authnContextClassFor(code.acr), sessionIndex,
        attributes: attributesFor(sp, await accountClaimsWithGroups(account, deps.groupNames), String(code.scope ?? 'openid')),
        now: new Date(), lifetimeSeconds: ASSERTION_LIFETIME_SECONDS,
      });
      // The Assertion signed as its own document, then put in place: exclusive c14n (the signature's transform) makes
      // the digest independent of the enclosing Response, and xml-crypto parses and walks a smaller tree.
      let xml = built.head + signElement(built.assertion, 'root', credentials, 'Assertion') + built.tail;
      if (sp.settings.encryptAssertions) xml = await encryptAssertion(xml, deps.sps.entity(sp));
      if (sp.settings.signResponse) xml = signElement(xml, 'root', credentials, 'Response');
      deps.audit('saml.response.issued', { sp: sp._id, accountId: account._id, requestId: pending.requestId, acr: code.acr, format });
      return deliver(sp, pending, xml);
    },
  };
}

export type ResponseService = ReturnType<typeof createResponseService>;
