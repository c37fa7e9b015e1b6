import Router from '@koa/router';
import type { Middleware } from 'koa';
import { z } from 'zod';
import type { AccountService } from '../accounts/account.service.ts';
import { isAppError } from '../shared/app-error.ts';
import type { Pages } from '../http/pages.ts';
import { parseForm } from './forms.ts';

// Pages opened from mails, in whatever browser the mail is read: email verification and password reset. They do
// not depend on a sign-in interaction being open.
const resetForm = z.object({ token: z.string().min(10).max(200), password: z.string().max(1024) });

export function createMailLinksRouter(deps: { accounts: AccountService; pages: Pages; formMiddleware: Middleware[] }): Router {
  const router = new Router();

  router.get('/verify-email', async (ctx) => {
    const token = typeof ctx.query.token === 'string' ? ctx.query.token : '';
    try {
      await deps.accounts.verifyEmailLink(token);
      deps.pages.render(ctx, 'pages/email-verified', { title: 'verify.done_title' });
    } catch (error) {
      if (!isAppError(error) || error.status >= 500) throw error;
      deps.pages.render(ctx, 'pages/error', { code: error.code, title: 'errors.title' }, { status: error.status });
    }
  });

  router.get('/password/reset', ...deps.formMiddleware, async (ctx) => {
    const token = typeof ctx.query.token === 'string' ? ctx.query.token : '';
    if (!token || !(await deps.accounts.isResetTokenValid(token))) {
      deps.pages.render(ctx, 'pages/error', { code: 'password_reset.invalid_link', title: 'errors.title' }, { status: 400 });
      return;
    }
    deps.pages.render(ctx, 'pages/reset-password', { token, title: 'reset.title' });
  });

  router.post('/password/reset', ...deps.formMiddleware, async (ctx) => {
    const form = (ctx.request.body ?? {}) as Record<string, unknown>;
    const token = typeof form.token === 'string' ? form.token : '';
    try {
      const input = parseForm(resetForm, form, 'password_reset');
      const locale = deps.pages.locale(ctx);
      await deps.accounts.resetPassword(input.token, input.password, { ip: ctx.ip, locale });
      deps.pages.render(ctx, 'pages/password-changed', { title: 'reset.done_title' });
    } catch (error) {
      if (!isAppError(error) || error.status >= 500) throw error;
      if (error.code === 'password_reset.invalid_link') {
        deps.pages.render(ctx, 'pages/error', { code: error.code, title: 'errors.title' }, { status: 400 });
        return;
      }
      deps.pages.render(ctx, 'pages/reset-password', { token, error: error.code, title: 'reset.title' }, { status: error.status });
    }
  });

  return router;
}
