import Router from '@koa/router';
import { bodyParser } from '@koa/bodyparser';
import type { Context } from 'koa';
import type { Config } from '../config/config.schema.ts';
import { AppError, isAppError } from '../shared/app-error.ts';
import type { Pages } from '../http/pages.ts';
import type { Audit } from '../shared/audit.ts';
import type { BindingCookie } from './binding-cookie.ts';
import type { ConnectorService } from './connector.service.ts';
import { sameDigest, type TransactionService } from './transaction.service.ts';
import { client } from './types/upstream-client.ts';

// /federation/<connector>/callback: the one fixed redirect URI per connector. GET for query responses, POST for
// form_post (Apple). The state must name a transaction started for this connector, not used before, from this
// browser; then openid-client validates the response. Whatever happens, the browser goes back to its
// interaction (/interaction/<uid>/federation/continue), which shows the outcome: a failure is a page with a way
// to try again, never a dead end. No CSRF token here: the request comes from the upstream, the state is the check.

export interface FederationRouterDeps {
  config: Config;
  connectors: ConnectorService;
  transactions: TransactionService;
  binding: BindingCookie;
  pages: Pages;
  audit: Audit;
}

/** An upstream error response (RFC 6749 §4.1.2.1) or a failed validation, as one of our error codes. */
export function upstreamFailure(error: unknown): string {
  if (isAppError(error)) return error.code;
  if (error instanceof client.AuthorizationResponseError) {
    return error.error === 'access_denied' ? 'federation.cancelled' : 'federation.upstream_error';
  }
  return 'federation.invalid_response';
}

export function createFederationRouter(deps: FederationRouterDeps): Router {
  const router = new Router();
  const form = bodyParser({ enableTypes: ['form'], formLimit: '16kb', encoding: 'utf-8' });

  async function callback(ctx: Context) {
    const params = ctx.method === 'POST' ? (ctx.request.body ?? {}) as Record<string, string> : ctx.query as Record<string, string>;
    const binding = deps.binding.read(ctx);
    const tx = typeof params.state === 'string' && params.state ? await deps.transactions.claim(params.state) : undefined;
    if (!tx || tx.connectorId !== ctx.params.id) {
      deps.audit('federation.callback.refused', { connectorId: ctx.params.id, reason: tx ? 'wrong_connector' : 'unknown_or_used_state', ip: ctx.ip });
      const back = binding && binding.uid !== 'account' ? `/interaction/${binding.uid}` : undefined;
      deps.pages.render(ctx, 'federation/callback-error', { code: 'federation.invalid_state', back }, { status: 400 });
      return;
    }
    const next = tx.interactionUid === 'account' ? '/account/identities/continue' : `/interaction/${tx.interactionUid}/federation/continue`;
    if (!binding || !sameDigest(binding.value, tx.bindingDigest)) {
      deps.audit('federation.callback.refused', { connectorId: tx.connectorId, reason: 'other_browser', ip: ctx.ip });
      deps.pages.render(ctx, 'federation/callback-error', { code: 'federation.invalid_state' }, { status: 400 });
      return;
    }
    try {
      const connector = await deps.connectors.get(tx.connectorId);
      if (!connector) throw new AppError('federation.unknown_connector', 404);
      const url = new URL(ctx.originalUrl, deps.config.issuer);
      const request = ctx.method === 'POST'
        ? new Request(url, { method: 'POST', body: new URLSearchParams(params), headers: { 'content-type': 'application/x-www-form-urlencoded' } })
        : new Request(url);
      const profile = await connector.complete(request, { ...tx.upstream, redirectUri: `${deps.config.issuer}/federation/${tx.connectorId}/callback` });
      await deps.transactions.authenticated(tx._id, profile);
      deps.audit('federation.upstream.succeeded', { connectorId: tx.connectorId, emailVerified: profile.emailVerified });
    } catch (error) {
      const code = upstreamFailure(error);
      await deps.transactions.failed(tx._id, code);
      deps.audit('federation.upstream.failed', {
        connectorId: tx.connectorId, error: code, reason: (error as { code?: string }).code ?? (error as Error).name, detail: (error as Error).message?.slice(0, 200),
      });
    }
    ctx.set('Cache-Control', 'no-store');
    ctx.status = 303;
    ctx.redirect(next);
  }

  router.get('/federation/:id/callback', callback);
  router.post('/federation/:id/callback', form, callback);
  return router;
}
