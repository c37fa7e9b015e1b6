import { z } from 'zod';
import type { AccountService } from '../../../accounts/account.service.ts';
import { stampOf, waitingSignIn } from '../../../accounts/password-stamp.ts';
import { AppError } from '../../../shared/app-error.ts';
import { defineStageForm, email } from '../../forms.ts';
import type { Stage } from '../../stage.ts';
import { extensionModel, showVerify, type LoginPageExtension } from '../login/login.stage.ts';

// Sign-up, another way through the `login` prompt: create the account, mail a code and a link, and continue with
// the code page. For an address that already has an account the page looks exactly the same (no enumeration);
// that person receives a mail telling them so instead of a code.

const registerForm = z.object({
  email,
  password: z.string().max(1024),
  // Only a cap on input size here: the attribute schema decides what a valid name is (see validateProfile).
  name: z.string().trim().max(1024).optional().transform((v) => v || undefined),
});

/** Checks profile attributes typed at sign-up with the attribute schema (the same rules as everywhere else). */
export type ProfileValidator = (input: Record<string, unknown>, keys: string[]) => { values: Record<string, unknown>; errors: Record<string, string> };

export function createRegisterStage(deps: { accounts: AccountService; pageExtensions?: LoginPageExtension[]; validateProfile?: ProfileValidator }): Stage {
  const signUp = defineStageForm({
    path: '/register',
    schema: registerForm,
    errors: 'register',
    echo: ['email', 'name'],
    async valid(stage, input) {
      const checked = deps.validateProfile?.({ name: input.name }, ['name']) ?? { values: { name: input.name }, errors: {} };
      const [field, code] = Object.entries(checked.errors)[0] ?? [];
      if (field && code) throw new AppError(code, 400, { field });
      const name = checked.values.name as string | undefined;
      const account = await deps.accounts.register(
        { email: input.email, password: input.password, profile: name ? { name } : undefined },
        { ip: stage.ctx.ip, locale: stage.locale, brand: stage.brand },
      );
      // Waiting for the code with the password just chosen (see login.stage.ts).
      if (account) stage.pending.set(waitingSignIn.value(account._id, stampOf(account.passwordHash)));
      else stage.pending.clear();
      showVerify(stage, input.email);
    },
    invalid: async (stage, failure) => stage.render('register', {
      ...failure.typed, loginUrl: `/interaction/${stage.interaction.uid}`, error: failure.code, errorField: failure.field,
      ...(await extensionModel(deps.pageExtensions, stage)),
    }, failure.status),
  });

  return {
    prompt: 'login',
    forms: [signUp],
    routes: [
      {
        method: 'GET',
        path: '/register',
        handle: async (stage) => stage.render('register', {
          email: stage.interaction.params.login_hint ?? '', loginUrl: `/interaction/${stage.interaction.uid}`,
          ...(await extensionModel(deps.pageExtensions, stage)),
        }),
      },
    ],
  };
}
