import { randomBytes } from 'node:crypto';
import type { Context } from 'koa';
import type { Config } from '../../config/config.schema.ts';
import { AppError } from '../../shared/app-error.ts';
import type { Pages } from '../../http/pages.ts';
import type { Audit } from '../../shared/audit.ts';
import { endSessionByUid } from '../../oidc/end-session.ts';
import type { Provider } from '../../oidc/provider.ts';
import type { InboundMessage, MessageReader } from './authn-request.reader.ts';
import type { IdpCredentials } from './idp-credentials.ts';
import { renderPost } from './post-binding.ts';
import { BINDING, redirectQuery, signElement } from './saml-lib.ts';
import { STATUS } from './saml-constants.ts';
import type { SamlLogoutDocument, SamlModels, SamlParticipantDocument, SamlSpDocument } from './saml.models.ts';
import type { SpRegistry } from './sp-registry.service.ts';
import { logoutRequest, logoutResponse } from './xml-templates.ts';

// Single Logout (saml-profiles §4.4). A LogoutRequest from an SP, or the end of a session on our own logout page,
// ends the engine session (back-channel logout to OIDC clients included, see oidc/end-session.ts), then walks
// the browser through the other SAML SPs of that session one by one (front-channel, each answers with a
// LogoutResponse to /saml/slo), and finally answers the requesting SP (or goes where the logout page would).

export interface SloDeps {
  config: Config;
  provider: () => Provider;
  models: SamlModels;
  sps: SpRegistry;
  credentials: IdpCredentials;
  read: MessageReader;
  pages: Pages;
  audit: Audit;
}

type Participant = SamlLogoutDocument['pending'][number];

function sloEndpoint(sp: SamlSpDocument, response: boolean) {
  const endpoint = sp.slo.find((e) => e.binding === BINDING.post) ?? sp.slo.find((e) => e.binding === BINDING.redirect);
  if (!endpoint) return undefined;
  return { binding: endpoint.binding, location: (response && endpoint.responseLocation) || endpoint.location };
}

export function createSloService(deps: SloDeps) {
  const identity = deps.credentials.identity;
  const lifetime = () => deps.config.ttl.interaction;

  /** Ends the session and takes its SAML participants (all but `except`) for the front-channel chain. */
  async function endSession(sessionUid: string, except?: string): Promise<Participant[]> {
    const participants = await deps.models.SamlParticipant.find({ sessionUid }).lean<SamlParticipantDocument[]>().exec();
    await deps.models.SamlParticipant.deleteMany({ sessionUid }).exec();
    const ended = await endSessionByUid(deps.provider(), sessionUid);
    for (const outcome of ended.backchannel) deps.audit(outcome.ok ? 'backchannel.delivered' : 'backchannel.failed', { client: outcome.clientId, error: outcome.error });
    deps.audit('saml.session.ended', { accountId: ended.accountId, participants: participants.length, ended: ended.ended });
    return participants.filter((p) => p.spEntityId !== except)
      .map(({ spEntityId, nameId, nameIdFormat, sessionIndex }) => ({ spEntityId, nameId, nameIdFormat, sessionIndex }));
  }

  async function send(ctx: Context, sp: SamlSpDocument, type: 'SAMLRequest' | 'SAMLResponse', xml: string, endpoint: { binding: string; location: string }, relayState?: string) {
    const credentials = await deps.credentials.credentials();
    if (endpoint.binding === BINDING.redirect) {
      const separator = endpoint.location.includes('?') ? '&' : '?';
      ctx.redirect(`${endpoint.location}${separator}${redirectQuery(type, xml, relayState, credentials)}`);
      return;
    }
    const rootName = type === 'SAMLRequest' ? 'LogoutRequest' : 'LogoutResponse';
    const signed = signElement(xml, 'root', credentials, rootName);
    renderPost(ctx, deps.pages, {
      action: endpoint.location, spName: sp._id,
      fields: { [type]: Buffer.from(signed, 'utf8').toString('base64'), ...(relayState ? { RelayState: relayState } : {}) },
    });
  }

  /** Sends the browser to the next SP of the chain, or finishes it. */
  async function advance(ctx: Context, chain: SamlLogoutDocument): Promise<void> {
    while (chain.pending.length) {
      const next = chain.pending.shift()!;
      const sp = await deps.sps.find(next.spEntityId);
      const endpoint = sp && sloEndpoint(sp, false);
      if (!sp || !endpoint) {
        chain.partial = true;
        continue;
      }
      const { xml, id } = logoutRequest({ issuer: identity.entityId, destination: endpoint.location, ...next, lifetimeSeconds: lifetime() });
      await deps.models.SamlLogout.replaceOne({ _id: chain._id }, { ...chain, outstandingRequestId: id }, { upsert: true }).exec();
      deps.audit('saml.logout_request.sent', { sp: sp._id });
      await send(ctx, sp, 'SAMLRequest', xml, endpoint);
      return;
    }
    await deps.models.SamlLogout.deleteOne({ _id: chain._id }).exec();
    await finish(ctx, chain);
  }

  async function finish(ctx: Context, chain: SamlLogoutDocument) {
    const requester = chain.requester && (await deps.sps.find(chain.requester.spEntityId));
    const endpoint = requester && sloEndpoint(requester, true);
    if (chain.requester && requester && endpoint) {
      const { xml } = logoutResponse({
        issuer: identity.entityId, destination: endpoint.location, inResponseTo: chain.requester.requestId,
        status: STATUS.success, second: chain.partial ? STATUS.partialLogout : undefined,
      });
      deps.audit('saml.logout.completed', { sp: requester._id, partial: chain.partial });
      await send(ctx, requester, 'SAMLResponse', xml, endpoint, chain.requester.relayState);
      return;
    }
    deps.audit('saml.logout.completed', { partial: chain.partial });
    if (chain.finalUrl) {
      ctx.status = 303;
      ctx.redirect(chain.finalUrl);
    } else {
      deps.pages.render(ctx, 'pages/logged-out', {});
    }
  }

  const newChain = (pending: Participant[], extra: Partial<SamlLogoutDocument>): SamlLogoutDocument => ({
    _id: randomBytes(18).toString('base64url'), pending, partial: false,
    expiresAt: new Date(Date.now() + lifetime() * 1000), ...extra,
  });

  async function onLogoutRequest(ctx: Context, message: InboundMessage) {
    const { sp, extract, relayState } = await deps.read('LogoutRequest', message);
    const requestId = String(extract.request?.id ?? '');
    const nameId = typeof extract.nameID === 'string' ? extract.nameID : undefined;
    const sessionIndexes = (Array.isArray(extract.sessionIndex) ? extract.sessionIndex : [extract.sessionIndex]).filter((s): s is string => typeof s === 'string');
    if (extract.request?.destination !== undefined && extract.request.destination !== identity.sloUrl) {
      deps.audit('saml.request.refused', { reason: 'wrong_destination', kind: 'LogoutRequest', sp: sp._id });
      throw new AppError('saml.request_refused', 400);
    }
    const filter = sessionIndexes.length ? { spEntityId: sp._id, sessionIndex: { $in: sessionIndexes } } : { spEntityId: sp._id, nameId };
    const participants = await deps.models.SamlParticipant.find(filter).lean<SamlParticipantDocument[]>().exec();
    const mine = participants.filter((p) => p.nameId === nameId);
    deps.audit('saml.logout_request.received', { sp: sp._id, sessions: mine.length });
    const pending: Participant[] = [];
    for (const participant of mine) pending.push(...(await endSession(participant.sessionUid, sp._id)));
    await advance(ctx, newChain(pending, { requester: { spEntityId: sp._id, requestId, relayState }, partial: false }));
  }

  async function onLogoutResponse(ctx: Context, message: InboundMessage) {
    const { sp, extract, failedStatus } = await deps.read('LogoutResponse', message);
    const inResponseTo = extract.response?.inResponseTo;
    const chain = typeof inResponseTo === 'string'
      ? await deps.models.SamlLogout.findOne({ outstandingRequestId: inResponseTo }).lean<SamlLogoutDocument>().exec() : null;
    if (!chain) {
      deps.audit('saml.request.refused', { reason: 'unknown_logout_response', kind: 'LogoutResponse', sp: sp._id });
      throw new AppError('saml.request_refused', 400);
    }
    if (failedStatus) chain.partial = true;
    deps.audit('saml.logout_response.received', { sp: sp._id, success: !failedStatus });
    await advance(ctx, { ...chain, outstandingRequestId: undefined });
  }

  return {
    async handle(ctx: Context, message: InboundMessage) {
      if (message.params.SAMLRequest !== undefined) return onLogoutRequest(ctx, message);
      if (message.params.SAMLResponse !== undefined) return onLogoutResponse(ctx, message);
      throw new AppError('saml.request_refused', 400);
    },
    /** After our logout page ended a session: the session's SAML SPs, then where the engine was going. */
    async afterEngineLogout(ctx: Context, sessionUid: string, finalUrl: string | undefined): Promise<boolean> {
      const participants = await deps.models.SamlParticipant.find({ sessionUid }).lean<SamlParticipantDocument[]>().exec();
      if (!participants.length) return false;
      const pending = await endSession(sessionUid);
      await advance(ctx, newChain(pending, { finalUrl }));
      return true;
    },
  };
}

export type SloService = ReturnType<typeof createSloService>;
