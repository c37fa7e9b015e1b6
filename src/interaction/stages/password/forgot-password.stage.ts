import { z } from 'zod';
import type { AccountService } from '../../../accounts/account.service.ts';
import { defineStageForm, email } from '../../forms.ts';
import type { Stage } from '../../stage.ts';

// "Forgot your password?" inside a sign-in: asks for the email and always answers "if an account exists, we sent
// a link". The link opens /password/reset (see mail-links.router.ts), usable in any browser.
const forgotForm = z.object({ email });

export function createForgotPasswordStage(deps: { accounts: AccountService }): Stage {
  const request = defineStageForm({
    path: '/forgot',
    schema: forgotForm,
    errors: 'forgot',
    async valid(stage, input) {
      await deps.accounts.requestPasswordReset(input.email, { ip: stage.ctx.ip, locale: stage.locale, brand: stage.brand });
      stage.render('forgot-password-sent', { email: input.email, loginUrl: `/interaction/${stage.interaction.uid}` });
    },
    invalid: (stage, failure) => stage.render('forgot-password', { loginUrl: `/interaction/${stage.interaction.uid}`, error: failure.code }, failure.status),
  });

  return {
    prompt: 'login',
    forms: [request],
    routes: [
      { method: 'GET', path: '/forgot', handle: async (stage) => stage.render('forgot-password', { loginUrl: `/interaction/${stage.interaction.uid}` }) },
    ],
  };
}
