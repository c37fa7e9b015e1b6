import { z } from 'zod';
import type { AccountService } from '../../../accounts/account.service.ts';
import { email, formError, parseForm } from '../../forms.ts';
import type { Stage } from '../../stage.ts';

// "Forgot your password?" inside a sign-in: asks for the email and always answers "if an account exists, we sent
// a link". The link opens /password/reset (see mail-links.router.ts), usable in any browser.
const forgotForm = z.object({ email });

export function createForgotPasswordStage(deps: { accounts: AccountService }): Stage {
  return {
    prompt: 'login',
    routes: [
      { method: 'GET', path: '/forgot', handle: async (stage) => stage.render('forgot-password', { loginUrl: `/interaction/${stage.interaction.uid}` }) },
      {
        method: 'POST',
        path: '/forgot',
        async handle(stage) {
          try {
            const input = parseForm(forgotForm, stage.form, 'forgot');
            await deps.accounts.requestPasswordReset(input.email, { ip: stage.ctx.ip, locale: stage.locale, brand: stage.brand });
            stage.render('forgot-password-sent', { email: input.email, loginUrl: `/interaction/${stage.interaction.uid}` });
          } catch (error) {
            const failure = formError(stage.ctx, error);
            stage.render('forgot-password', { loginUrl: `/interaction/${stage.interaction.uid}`, error: failure.code }, failure.status);
          }
        },
      },
    ],
  };
}
