import Router from '@koa/router';
import type { Middleware } from 'koa';
import { z } from 'zod';
import type { UserDirectory } from '../accounts/user-directory.service.ts';
import type { Pages } from '../http/pages.ts';
import type { Provider } from '../oidc/provider.ts';
import { requireSignedIn } from './account.router.ts';

// /account/data: the person's own rights over their data, "download my data" (GDPR art. 15/20) and "delete my
// account" (art. 17). Both are POSTs, so the account change guard (account-change-guard.ts) asks for a fresh sign-in
// at the account's own level before either runs; the export is made for the signed-in account only.

export interface AccountDataDeps {
  provider: () => Provider;
  pages: Pages;
  formMiddleware: Middleware[];
  users: Pick<UserDirectory, 'exportData' | 'requestDeletion'>;
  deletionGraceDays: number;
}

const deleteForm = z.object({ confirm: z.literal('yes') });

export function createAccountDataRouter(deps: AccountDataDeps): Router {
  const router = new Router();

  router.get('/account/data', ...deps.formMiddleware, async (ctx) => {
    if (!(await requireSignedIn(ctx, deps.provider()))) return;
    deps.pages.render(ctx, 'account/data', { title: 'account_data.title', graceDays: deps.deletionGraceDays, error: ctx.query.error === 'confirm' ? 'account_data.confirm_required' : undefined });
  });

  router.post('/account/data/export', ...deps.formMiddleware, async (ctx) => {
    const signIn = await requireSignedIn(ctx, deps.provider());
    if (!signIn) return;
    const data = await deps.users.exportData(signIn.accountId, { type: 'user', id: signIn.accountId });
    ctx.set('Cache-Control', 'no-store');
    ctx.set('Content-Disposition', 'attachment; filename="my-data.json"');
    ctx.type = 'application/json';
    ctx.body = JSON.stringify(data, null, 2);
  });

  router.post('/account/data/delete', ...deps.formMiddleware, async (ctx) => {
    const signIn = await requireSignedIn(ctx, deps.provider());
    if (!signIn) return;
    if (!deleteForm.safeParse(ctx.request.body).success) {
      ctx.status = 303;
      return void ctx.redirect('/account/data?error=confirm');
    }
    const outcome = await deps.users.requestDeletion(signIn.accountId, { type: 'user', id: signIn.accountId });
    ctx.set('Cache-Control', 'no-store');
    deps.pages.render(ctx, 'account/deleted', { title: 'account_data.deleted_title', erased: outcome.erased, date: outcome.at.toISOString().slice(0, 10) });
  });

  return router;
}
