import Router from '@koa/router';
import type { Context, Middleware } from 'koa';
import { z } from 'zod';
import { requireSignedIn } from '../account/account.router.ts';
import type { Pages } from '../http/pages.ts';
import type { Audit } from '../shared/audit.ts';
import { approveBackchannelRequest, denyBackchannelRequest } from '../oidc/ciba.ts';
import type { Provider } from '../oidc/provider.ts';
import { scopeLabels } from '../oidc/scope-labels.ts';
import type { CibaApprovalDocument } from './ciba-approval.model.ts';
import type { CibaApprovals } from './ciba-approval.service.ts';

// /ciba/<id>: the authentication device's page of OpenID CIBA Core 1.0 (§7.1, "the OP authenticates the user and
// obtains consent"). The person signs in through /account/login, that is /auth with every prompt (MFA included),
// then sees which client asks, for what, and the binding_message to compare with the consumption device (§7.1
// binding_message), and approves or denies. /account/requests lists the requests still waiting.

export interface CibaRouterDeps {
  provider: () => Provider;
  pages: Pages;
  approvals: CibaApprovals;
  audit: Audit;
  formMiddleware: Middleware[];
}

const decisionForm = z.object({ decision: z.enum(['approve', 'deny']) });

export function createCibaRouter(deps: CibaRouterDeps): Router {
  const router = new Router();

  /** The pending request of this page for the signed-in person, or a page saying why there is none. */
  async function load(ctx: Context, accountId: string): Promise<CibaApprovalDocument | undefined> {
    const approval = await deps.approvals.pending(String(ctx.params.id));
    // Another account's request is answered like an unknown one: the link tells nothing about whose it is.
    if (!approval || approval.accountId !== accountId) {
      deps.pages.render(ctx, 'ciba/gone', { title: 'ciba.gone_title' }, { status: 404 });
      return undefined;
    }
    return approval;
  }

  router.get('/ciba/:id', ...deps.formMiddleware, async (ctx) => {
    const signIn = await requireSignedIn(ctx, deps.provider());
    if (!signIn) return;
    const approval = await load(ctx, signIn.accountId);
    if (!approval) return;
    const client = await deps.provider().Client.find(approval.clientId);
    const locale = deps.pages.locale(ctx);
    const metadata = (client?.metadata() ?? {}) as Record<string, unknown>;
    deps.pages.render(ctx, 'ciba/approve', {
      title: 'ciba.title', action: `/ciba/${approval._id}`,
      clientName: metadata[`client_name#${locale}`] ?? metadata.client_name ?? approval.clientId,
      bindingMessage: approval.bindingMessage, scopes: scopeLabels(approval.scope), expiresAt: approval.expiresAt.toISOString(),
    });
  });

  router.post('/ciba/:id', ...deps.formMiddleware, async (ctx) => {
    const signIn = await requireSignedIn(ctx, deps.provider());
    if (!signIn) return;
    const approval = await load(ctx, signIn.accountId);
    if (!approval) return;
    const parsed = decisionForm.safeParse(ctx.request.body);
    if (!parsed.success) return void ctx.redirect(`/ciba/${approval._id}`);
    const { decision } = parsed.data;
    if (!(await deps.approvals.decide(approval._id, decision === 'approve' ? 'approved' : 'denied'))) {
      deps.pages.render(ctx, 'ciba/gone', { title: 'ciba.gone_title' }, { status: 404 });
      return;
    }
    const decided = decision === 'approve'
      ? approveBackchannelRequest(deps.provider(), approval.authReqId, signIn)
      : denyBackchannelRequest(deps.provider(), approval.authReqId);
    // In ping mode the engine notifies the client after storing the result (CIBA Core §10.2). An unreachable client
    // endpoint does not undo the decision: the client can still poll for it (§10.2 "the Client ... MAY poll").
    const failure = await decided.then(() => undefined, (error: Error) => error);
    if (failure && !isNotificationFailure(failure)) throw failure;
    deps.audit(decision === 'approve' ? 'ciba.approved' : 'ciba.denied', { accountId: signIn.accountId, client: approval.clientId });
    if (failure) deps.audit('ciba.notification_failed', { client: approval.clientId, error: failure.message.slice(0, 200) });
    deps.pages.render(ctx, 'ciba/done', { title: 'ciba.done_title', approved: decision === 'approve' });
  });

  router.get('/account/requests', ...deps.formMiddleware, async (ctx) => {
    const signIn = await requireSignedIn(ctx, deps.provider());
    if (!signIn) return;
    const pending = await deps.approvals.pendingFor(signIn.accountId);
    const requests = await Promise.all(pending.map(async (approval) => {
      const client = await deps.provider().Client.find(approval.clientId);
      const name = (client?.metadata() as Record<string, unknown> | undefined)?.client_name ?? approval.clientId;
      return { href: `/ciba/${approval._id}`, clientName: name, bindingMessage: approval.bindingMessage, createdAt: approval.createdAt.toISOString() };
    }));
    deps.pages.render(ctx, 'ciba/pending', { title: 'ciba.pending.title', requests });
  });

  return router;
}

/** The engine's ping (client.backchannelPing) failed: a fetch error, or a status other than 200/204. */
function isNotificationFailure(error: Error): boolean {
  return error.name === 'TypeError' || error.name === 'TimeoutError' || error.name === 'AbortError' || /expected 204 No Content/.test(error.message);
}
