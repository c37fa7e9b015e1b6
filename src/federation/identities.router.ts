import Router from '@koa/router';
import type { Context, Middleware } from 'koa';
import { z } from 'zod';
import { requireSignedIn } from '../account/account.router.ts';
import { isAppError } from '../shared/app-error.ts';
import type { Pages } from '../http/pages.ts';
import type { UpstreamProfile } from './linking.service.ts';
import type { FederationFlowDeps } from './federation-flow-deps.ts';

// /account/identities: the signed-in person sees the upstream identities linked to the account, links another
// one (an upstream sign-in started from here, bound to this account) or unlinks one, never the last way to sign
// in. Every change is a CSRF-protected POST (starting a link, confirming it, unlinking); the account change guard in
// front of all account pages (src/account/account-change-guard.ts) asks for a recent sign-in at the account's level.
// The upstream's redirect back lands on a GET (RFC 6749 §4.1.2), which only shows what would be linked: the link is
// made by the person's POST from that page, so a link followed from elsewhere changes nothing.

const PAGE = '/account/identities';
const linkForm = z.object({ connector: z.string().min(1).max(100) });

export interface IdentitiesRouterDeps extends FederationFlowDeps {
  pages: Pages;
  formMiddleware: Middleware[];
}

export function createIdentitiesRouter(deps: IdentitiesRouterDeps): Router {
  const router = new Router();

  async function show(ctx: Context, accountId: string, message?: { error?: string; notice?: string }, status = 200) {
    const [identities, connectors] = await Promise.all([deps.linking.identitiesOf(accountId), deps.connectors.enabled()]);
    const names = new Map(connectors.map((c) => [c.id, c.displayName]));
    const linked = new Set(identities.map((i) => i.connectorId));
    deps.pages.render(ctx, 'federation/identities', {
      title: 'federation.account.title', ...message,
      identities: identities.map((i) => ({
        id: i._id, connectorId: i.connectorId, name: names.get(i.connectorId) ?? i.connectorId, email: i.email,
        linkedAt: new Date(i.createdAt).toISOString().slice(0, 10),
      })),
      available: connectors.filter((c) => !linked.has(c.id)).map((c) => ({ id: c.id, name: c.displayName })),
      linkAction: `${PAGE}/link`, unlinkAction: `${PAGE}/unlink`, backUrl: '/account',
    }, { status });
  }

  router.get(PAGE, ...deps.formMiddleware, async (ctx) => {
    const signIn = await requireSignedIn(ctx, deps.provider());
    if (signIn) await show(ctx, signIn.accountId);
  });

  router.post(`${PAGE}/link`, ...deps.formMiddleware, async (ctx) => {
    const signIn = await requireSignedIn(ctx, deps.provider());
    if (!signIn) return;
    const form = linkForm.safeParse(ctx.request.body);
    const connector = form.success ? await deps.connectors.get(form.data.connector) : undefined;
    if (!connector) return show(ctx, signIn.accountId, { error: 'federation.unknown_connector' }, 404);
    const binding = deps.binding.create(ctx, 'account', deps.config.ttl.interaction);
    const redirectUri = `${deps.config.issuer}/federation/${connector.record.id}/callback`;
    const upstream = await deps.transactions.start(connector.record.id, 'account', binding.value, redirectUri, signIn.accountId);
    ctx.set('Cache-Control', 'no-store');
    ctx.status = 303;
    ctx.redirect((await connector.authorizationUrl(upstream)).toString());
  });

  /** This browser's upstream sign-in for this account, after the callback; or the page with why there is none. */
  async function authenticatedTransaction(ctx: Context, accountId: string) {
    const tx = await deps.transactions.current('account', deps.binding.read(ctx)?.value);
    if (!tx || tx.accountId !== accountId) return void await show(ctx, accountId, { error: 'federation.no_transaction' }, 400);
    if (tx.status !== 'authenticated') return void await show(ctx, accountId, { error: tx.error ?? 'federation.no_transaction' }, 400);
    return tx;
  }

  // Where the upstream's redirect lands: a confirmation page, nothing changes on this GET.
  router.get(`${PAGE}/continue`, ...deps.formMiddleware, async (ctx) => {
    const signIn = await requireSignedIn(ctx, deps.provider());
    if (!signIn) return;
    const tx = await authenticatedTransaction(ctx, signIn.accountId);
    if (!tx) return;
    const connector = await deps.connectors.get(tx.connectorId);
    ctx.set('Cache-Control', 'no-store');
    deps.pages.render(ctx, 'federation/identities-confirm', {
      title: 'federation.account.confirm_title', name: connector?.record.displayName ?? tx.connectorId,
      email: (tx.profile as UpstreamProfile | undefined)?.email, action: `${PAGE}/continue`, backUrl: PAGE,
    });
  });

  router.post(`${PAGE}/continue`, ...deps.formMiddleware, async (ctx) => {
    const signIn = await requireSignedIn(ctx, deps.provider());
    if (!signIn) return;
    const tx = await authenticatedTransaction(ctx, signIn.accountId);
    if (!tx) return;
    await deps.transactions.set(tx._id, 'done');
    try {
      await deps.linking.link(signIn.accountId, tx.connectorId, tx.profile as UpstreamProfile, 'signed_in');
    } catch (error) {
      if (!isAppError(error) || error.status >= 500) throw error;
      return show(ctx, signIn.accountId, { error: error.code }, error.status);
    }
    ctx.status = 303;
    ctx.redirect(`${PAGE}?linked=${encodeURIComponent(tx.connectorId)}`);
  });

  router.post(`${PAGE}/unlink`, ...deps.formMiddleware, async (ctx) => {
    const signIn = await requireSignedIn(ctx, deps.provider());
    if (!signIn) return;
    const identity = (ctx.request.body as Record<string, unknown>).identity;
    try {
      await deps.linking.unlink(signIn.accountId, typeof identity === 'string' ? identity : '');
    } catch (error) {
      if (!isAppError(error) || error.status >= 500) throw error;
      return show(ctx, signIn.accountId, { error: error.code }, error.status);
    }
    await show(ctx, signIn.accountId, { notice: 'federation.account.unlinked' });
  });

  return router;
}
