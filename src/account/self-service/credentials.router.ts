import Router from '@koa/router';
import type { Context, Middleware } from 'koa';
import { z } from 'zod';
import type { AccountRepository } from '../../accounts/account.repository.ts';
import type { Pages } from '../../http/pages.ts';
import { sessionUidOf } from '../../oidc/signed-in.ts';
import type { Provider } from '../../oidc/provider.ts';
import { requireSignedIn } from '../account.router.ts';
import type { EmailChangeService } from './email-change.service.ts';
import { formRefusal, readForm, seeOther } from './page-helpers.ts';
import type { PasswordChangeService } from './password-change.service.ts';

// /account/password and /account/email. Every POST here has passed the account change guard (a recent sign-in at
// the account's own level, account-change-guard.ts) and the CSRF check of the form middleware; the routers only read
// the form and call one service each.

export interface CredentialsRouterDeps {
  provider: () => Provider;
  pages: Pages;
  formMiddleware: Middleware[];
  accounts: Pick<AccountRepository, 'findById'>;
  passwords: PasswordChangeService;
  emails: EmailChangeService;
  /** mfa.recentAuthSeconds: how fresh the sign-in must be to set a first password (no current one to ask). */
  freshSignInSeconds: number;
}

const passwordForm = z.object({ current_password: z.string().max(1024).optional(), new_password: z.string().min(1).max(1024) });
const emailForm = z.object({ email: z.email().max(254) });
const codeForm = z.object({ code: z.string().trim().regex(/^\d{6}$/) });

export function createCredentialsRouter(deps: CredentialsRouterDeps): Router {
  const router = new Router();

  /** Signed in; for an account without a password, signed in recently (its fresh sign-in stands for the old password). */
  async function passwordPageSignIn(ctx: Context) {
    const signIn = await requireSignedIn(ctx, deps.provider());
    if (!signIn) return undefined;
    const hasPassword = await deps.passwords.hasPassword(signIn.accountId);
    if (hasPassword) return { signIn, hasPassword };
    const fresh = await requireSignedIn(ctx, deps.provider(), { maxAgeSeconds: deps.freshSignInSeconds });
    return fresh ? { signIn: fresh, hasPassword } : undefined;
  }

  function showPassword(ctx: Context, hasPassword: boolean, model: Record<string, unknown> = {}, status = 200) {
    deps.pages.render(ctx, 'account/password', {
      title: hasPassword ? 'self_service.password.title' : 'self_service.password.set_title', hasPassword, nav: 'password', ...model,
    }, { status });
  }

  router.get('/account/password', ...deps.formMiddleware, async (ctx) => {
    const page = await passwordPageSignIn(ctx);
    if (page) showPassword(ctx, page.hasPassword, { changed: ctx.query.changed === '1', ended: Number(ctx.query.ended) || 0 });
  });

  router.post('/account/password', ...deps.formMiddleware, async (ctx) => {
    const page = await passwordPageSignIn(ctx);
    if (!page) return;
    const form = readForm(passwordForm, ctx);
    if (!form) return showPassword(ctx, page.hasPassword, { errorKey: 'self_service.errors.password_required' }, 400);
    try {
      const outcome = await deps.passwords.change({
        accountId: page.signIn.accountId, sessionUid: await sessionUidOf(deps.provider(), ctx), current: form.current_password,
        next: form.new_password, ip: ctx.ip, locale: deps.pages.locale(ctx),
      });
      seeOther(ctx, `/account/password?changed=1&ended=${outcome.sessionsEnded}`);
    } catch (error) {
      const refusal = formRefusal(ctx, error);
      if (!refusal) throw error;
      showPassword(ctx, page.hasPassword, { errorKey: refusal.errorKey }, refusal.status);
    }
  });

  async function showEmail(ctx: Context, accountId: string, model: Record<string, unknown> = {}, status = 200) {
    const account = await deps.accounts.findById(accountId);
    deps.pages.render(ctx, 'account/email', { title: 'self_service.email.title', email: account?.email, nav: 'email', ...model }, { status });
  }

  router.get('/account/email', ...deps.formMiddleware, async (ctx) => {
    const signIn = await requireSignedIn(ctx, deps.provider());
    if (signIn) await showEmail(ctx, signIn.accountId, { changed: ctx.query.changed === '1' });
  });

  router.post('/account/email', ...deps.formMiddleware, async (ctx) => {
    const signIn = await requireSignedIn(ctx, deps.provider());
    if (!signIn) return;
    const form = readForm(emailForm, ctx);
    if (!form) return showEmail(ctx, signIn.accountId, { errorKey: 'errors.login.invalid_email' }, 400);
    try {
      await deps.emails.request(signIn.accountId, form.email, { ip: ctx.ip, locale: deps.pages.locale(ctx) });
    } catch (error) {
      const refusal = formRefusal(ctx, error);
      if (!refusal) throw error;
      return showEmail(ctx, signIn.accountId, { errorKey: refusal.errorKey, value: form.email }, refusal.status);
    }
    deps.pages.render(ctx, 'account/email-code', { title: 'self_service.email.code_title', newEmail: form.email, nav: 'email' });
  });

  router.post('/account/email/confirm', ...deps.formMiddleware, async (ctx) => {
    const signIn = await requireSignedIn(ctx, deps.provider());
    if (!signIn) return;
    // Shown on the page again only; the address that changes is the one stored with the code.
    const shown = (ctx.request.body as Record<string, unknown> | undefined)?.email;
    const codePage = (errorKey: string, status: number) => deps.pages.render(ctx, 'account/email-code', {
      title: 'self_service.email.code_title', newEmail: typeof shown === 'string' ? shown.slice(0, 254) : '', nav: 'email', errorKey,
    }, { status });
    const form = readForm(codeForm, ctx);
    if (!form) return codePage('errors.verification.invalid_code', 400);
    try {
      await deps.emails.confirm(signIn.accountId, form.code, { locale: deps.pages.locale(ctx) });
      seeOther(ctx, '/account/email?changed=1');
    } catch (error) {
      const refusal = formRefusal(ctx, error);
      if (!refusal) throw error;
      codePage(refusal.errorKey, refusal.status);
    }
  });

  return router;
}
