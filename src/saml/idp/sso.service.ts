import { createHash, randomBytes } from 'node:crypto';
import type { Context } from 'koa';
import type { AccountRepository } from '../../accounts/account.repository.ts';
import type { Config } from '../../config/config.schema.ts';
import { AppError } from '../../shared/app-error.ts';
import type { Audit } from '../../shared/audit.ts';
import { acrValuesFor } from './authn-context.ts';
import type { IdpCredentials } from './idp-credentials.ts';
import type { InboundMessage, MessageReader } from './authn-request.reader.ts';
import { BINDING } from './saml-lib.ts';
import { NAMEID, NAMEID_FORMATS } from './saml-constants.ts';
import { driverCollection, type SamlModels, type SamlPendingDocument, type SamlSpDocument } from './saml.models.ts';
import { SAML_CALLBACK_PATH, scopeOf, type SpRegistry } from './sp-registry.service.ts';

// SP-initiated (saml-profiles §4.1) and IdP-initiated SSO, first half: the AuthnRequest becomes an authorization
// request of the SP's internal client to our own engine, so login, MFA, profile and consent are the engine's.
// ForceAuthn -> prompt=login, IsPassive -> prompt=none, RequestedAuthnContext -> acr_values. The request's
// state is kept in MongoDB under a random id (the OIDC `state`), bound to this browser by a signed cookie.

export interface SsoDeps {
  config: Config;
  models: SamlModels;
  sps: SpRegistry;
  credentials: IdpCredentials;
  read: MessageReader;
  accounts: AccountRepository;
  audit: Audit;
}

const cookieName = (config: Config, id: string) => `${config.cookies.prefix}_saml_${id.slice(0, 12)}`;
/** Absent fields stay absent (the driver would store undefined as null). */
const withoutUndefined = <T extends object>(doc: T): T => Object.fromEntries(Object.entries(doc).filter(([, v]) => v !== undefined)) as T;

/** The ACS the Response goes to: the request's URL or index, only if registered (saml-core §3.4.1), else the default. */
export function resolveAcs(sp: SamlSpDocument, request: { url?: string; index?: string; binding?: string }): string | undefined {
  const post = sp.acs.filter((e) => e.binding === BINDING.post);
  if (request.binding && request.binding !== BINDING.post) return undefined;
  if (request.url !== undefined) return post.find((e) => e.location === request.url)?.location;
  if (request.index !== undefined) return post.find((e) => String(e.index) === request.index)?.location;
  return (post.find((e) => e.isDefault) ?? post[0])?.location;
}

export function createSsoService(deps: SsoDeps) {
  const refuse = (reason: string, fields: Record<string, unknown>): never => {
    deps.audit('saml.request.refused', { reason, ...fields });
    throw new AppError('saml.request_refused', 400);
  };

  /** Stores the pending request and sends the browser to /auth. */
  async function toEngine(ctx: Context, sp: SamlSpDocument, pending: Omit<SamlPendingDocument, '_id' | 'browser' | 'expiresAt'>, prompt?: string): Promise<{ id: string; url: string }> {
    const id = randomBytes(24).toString('base64url');
    const secret = randomBytes(24).toString('base64url');
    const ttl = deps.config.ttl.interaction * 1000;
    // The driver's insert, not mongoose's create (document build, cast, validate): the fields are ours, typed above.
    await driverCollection(deps.models.SamlPending).insertOne(withoutUndefined({
      _id: id, ...pending, browser: createHash('sha256').update(secret).digest('base64url'), expiresAt: new Date(Date.now() + ttl),
    }));
    ctx.cookies.set(cookieName(deps.config, id), secret, {
      signed: true, httpOnly: true, sameSite: 'lax', path: SAML_CALLBACK_PATH, maxAge: ttl, secure: ctx.secure, overwrite: true,
    });
    const verifier = randomBytes(32).toString('base64url'); // never used: the code is consumed, not redeemed
    const params = new URLSearchParams({
      client_id: sp.clientId, response_type: 'code', redirect_uri: `${deps.config.issuer}${SAML_CALLBACK_PATH}`,
      scope: scopeOf(sp), state: id, // the internal client's scope, as the registry set it (no client lookup)
      code_challenge: createHash('sha256').update(verifier).digest('base64url'), code_challenge_method: 'S256',
    });
    if (prompt) params.set('prompt', prompt);
    if (pending.requestedAcr.length) params.set('acr_values', pending.requestedAcr.join(' '));
    if (typeof ctx.query.ui_locales === 'string') params.set('ui_locales', ctx.query.ui_locales);
    return { id, url: `/auth?${params}` };
  }

  return {
    async begin(ctx: Context, message: InboundMessage): Promise<string> {
      const { sp, relayState, authn } = await deps.read('AuthnRequest', message);
      const request = authn!; // the reader reads every AuthnRequest's fields (xml-guard.ts readAuthnRequest)
      // saml-bindings §3.4.5.2 / §3.5.5.2: a Destination, when present, must be this endpoint.
      if (request.destination !== undefined && request.destination !== deps.credentials.identity.ssoUrl) {
        refuse('wrong_destination', { sp: sp._id });
      }
      const acsUrl = resolveAcs(sp, { url: request.acsUrl, index: request.acsIndex, binding: request.protocolBinding });
      if (!acsUrl) refuse('acs_not_registered', { sp: sp._id, acs: request.acsUrl?.slice(0, 300) });
      const requestedAcr = acrValuesFor(request.classRefs);
      const format = request.nameIdFormat && request.nameIdFormat !== NAMEID.unspecified ? request.nameIdFormat : undefined;
      const pending = {
        spEntityId: sp._id, requestId: request.id, acsUrl: acsUrl!, relayState,
        nameIdFormat: format, allowCreate: request.allowCreate !== 'false', requestedAcr: requestedAcr ?? [],
        isPassive: request.isPassive === 'true',
      };
      deps.audit('saml.request.accepted', { sp: sp._id, requestId: request.id, binding: message.binding, force: request.forceAuthn === 'true', passive: pending.isPassive });
      // Unknown NameID format or AuthnContext class: the Response says so (saml-core §3.4.1.1, §3.3.2.2.1).
      const unsupported = (format && !NAMEID_FORMATS.includes(format)) ? 'nameid' : requestedAcr === undefined ? 'context' : undefined;
      const prompt = pending.isPassive ? 'none' : request.forceAuthn === 'true' ? 'login' : undefined;
      const { id, url } = await toEngine(ctx, sp, pending, prompt);
      if (!unsupported) return url;
      // Straight to our callback, which answers the SP with the matching status.
      return `${SAML_CALLBACK_PATH}?${new URLSearchParams({ state: id, error: unsupported === 'nameid' ? 'invalid_nameid_policy' : 'no_authn_context' })}`;
    },

    /** /saml/sso/init?sp=<entityID>: unsolicited Response (saml-profiles §4.1.5), only for SPs that allow it. */
    async beginIdpInitiated(ctx: Context, entityId: unknown, relayState: unknown): Promise<string> {
      const sp = typeof entityId === 'string' ? await deps.sps.find(entityId) : undefined;
      if (!sp) return refuse('unknown_sp', { kind: 'idp_initiated', issuer: String(entityId ?? '').slice(0, 200) });
      if (!sp.settings.allowIdpInitiated) refuse('idp_initiated_not_allowed', { sp: sp._id });
      if (relayState !== undefined && (typeof relayState !== 'string' || relayState.length > 1024)) refuse('relay_state_too_long', { sp: sp._id });
      const acsUrl = resolveAcs(sp, {})!;
      deps.audit('saml.idp_initiated.started', { sp: sp._id });
      return (await toEngine(ctx, sp, { spEntityId: sp._id, acsUrl, relayState: relayState as string | undefined, allowCreate: true, requestedAcr: [], isPassive: false })).url;
    },

    /** The pending request of this callback, once (deleted on read), only in the browser that started it. */
    async takePending(ctx: Context): Promise<SamlPendingDocument> {
      const state = typeof ctx.query.state === 'string' ? ctx.query.state : '';
      const secret = state ? ctx.cookies.get(cookieName(deps.config, state), { signed: true }) : undefined;
      if (state) ctx.cookies.set(cookieName(deps.config, state), null, { path: SAML_CALLBACK_PATH });
      const pending = secret ? await driverCollection(deps.models.SamlPending).findOneAndDelete({ _id: state }) : undefined;
      if (!pending || pending.expiresAt < new Date() || pending.browser !== createHash('sha256').update(secret!).digest('base64url')) {
        deps.audit('saml.callback.refused', { reason: 'unknown_state' });
        throw new AppError('saml.sign_in_failed', 400);
      }
      return pending;
    },
  };
}

export type SsoService = ReturnType<typeof createSsoService>;
