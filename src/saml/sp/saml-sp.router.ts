import Router from '@koa/router';
import type { Context, Middleware } from 'koa';
import type { BindingCookie } from '../../federation/binding-cookie.ts';
import type { ConnectorService } from '../../federation/connector.service.ts';
import { sameDigest, type TransactionService } from '../../federation/transaction.service.ts';
import { isAppError } from '../../shared/app-error.ts';
import type { Pages } from '../../http/pages.ts';
import type { Audit } from '../../shared/audit.ts';
import type { IdpCredentials } from '../idp/idp-credentials.ts';
import { isSamlConnector, requestIdOf, type SamlConnector, type SamlSpEndpoints } from './saml.connector.ts';
import { buildSpMetadata } from './sp-metadata.builder.ts';

// /saml/sp/<connector>/metadata and the ACS /saml/sp/<connector>/acs (HTTP-POST, saml-bindings §3.5). The IdP posts
// cross-site, so no CSRF token: the RelayState must name a federation transaction started for this connector in
// this browser (binding cookie), and the Response's InResponseTo must be that transaction's AuthnRequest ID. Then,
// as for OIDC upstreams, the browser goes back to its interaction, where the outcome (or a retry) is shown.

export interface SamlSpRouterDeps {
  connectors: ConnectorService;
  transactions: TransactionService;
  binding: BindingCookie;
  credentials: IdpCredentials;
  endpoints: SamlSpEndpoints;
  pages: Pages;
  audit: Audit;
  bodyParser: Middleware;
  metadataValidSeconds: number;
}

const reasonOf = (error: unknown) => (isAppError(error) ? error.code : 'saml_sp.invalid_response');
const detailOf = (error: unknown) => String((error as { cause?: unknown }).cause ?? (error as Error).message ?? '').slice(0, 200);

export function createSamlSpRouter(deps: SamlSpRouterDeps): Router {
  const router = new Router();

  async function samlConnector(id: string): Promise<SamlConnector | undefined> {
    const connector = await deps.connectors.get(id);
    return isSamlConnector(connector) ? connector : undefined;
  }

  function refuse(ctx: Context, connectorId: string, code: string, detail: string, back?: string) {
    deps.audit('saml_sp.response.refused', { connectorId, reason: code, detail, ip: ctx.ip });
    deps.pages.render(ctx, 'federation/callback-error', { code, back }, { status: 400 });
  }

  router.get('/saml/sp/:id/metadata', async (ctx) => {
    if (!(await samlConnector(ctx.params.id!))) return; // 404
    ctx.type = 'application/samlmetadata+xml';
    ctx.set('Cache-Control', 'public, max-age=3600');
    ctx.body = buildSpMetadata({
      entityId: deps.endpoints.entityId(ctx.params.id!), acsUrl: deps.endpoints.acsUrl(ctx.params.id!),
      credentials: await deps.credentials.credentials(), validUntil: new Date(Date.now() + deps.metadataValidSeconds * 1000),
    });
  });

  /** IdP-initiated (saml-profiles §4.1.5), only where the connector allows it: validated, then sent where configured. */
  async function unsolicited(ctx: Context, connector: SamlConnector, samlResponse: string) {
    const id = connector.record.id;
    if (!connector.allowsIdpInitiated) return refuse(ctx, id, 'saml_sp.unsolicited', 'IdP-initiated not allowed for this connector');
    try {
      await connector.validate(samlResponse, undefined);
    } catch (error) {
      return refuse(ctx, id, reasonOf(error), detailOf(error));
    }
    deps.audit('saml_sp.response.accepted', { connectorId: id, unsolicited: true });
    ctx.status = 303;
    ctx.redirect(connector.record.options.idpInitiatedUrl ?? '/account');
  }

  router.post('/saml/sp/:id/acs', deps.bodyParser, async (ctx) => {
    const id = ctx.params.id!;
    const body = (ctx.request.body ?? {}) as Record<string, unknown>;
    const samlResponse = typeof body.SAMLResponse === 'string' ? body.SAMLResponse : '';
    const relayState = typeof body.RelayState === 'string' ? body.RelayState : '';
    ctx.set('Cache-Control', 'no-store');
    const connector = await samlConnector(id);
    if (!connector) return refuse(ctx, id, 'federation.unknown_connector', 'no such SAML connector');
    const tx = relayState ? await deps.transactions.claim(relayState) : undefined;
    // A RelayState naming no live transaction: used already, expired, or an IdP-initiated target (§4.1.5).
    if (!tx && relayState && !connector.allowsIdpInitiated) return refuse(ctx, id, 'federation.invalid_state', 'unknown_or_used_state');
    if (!tx) return unsolicited(ctx, connector, samlResponse);
    const binding = deps.binding.read(ctx);
    if (tx.connectorId !== id || !binding || !sameDigest(binding.value, tx.bindingDigest)) {
      return refuse(ctx, id, 'federation.invalid_state', tx.connectorId !== id ? 'wrong_connector' : 'other_browser');
    }
    try {
      const profile = await connector.validate(samlResponse, requestIdOf(tx.upstream));
      await deps.transactions.authenticated(tx._id, profile);
      deps.audit('saml_sp.response.accepted', { connectorId: id, emailVerified: profile.emailVerified });
      deps.audit('federation.upstream.succeeded', { connectorId: id, emailVerified: profile.emailVerified });
    } catch (error) {
      await deps.transactions.failed(tx._id, reasonOf(error));
      deps.audit('saml_sp.response.refused', { connectorId: id, reason: reasonOf(error), detail: detailOf(error), ip: ctx.ip });
    }
    ctx.status = 303;
    ctx.redirect(tx.interactionUid === 'account' ? '/account/identities/continue' : `/interaction/${tx.interactionUid}/federation/continue`);
  });

  return router;
}
