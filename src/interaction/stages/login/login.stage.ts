import { z } from 'zod';
import type { AccountService } from '../../../accounts/account.service.ts';
import type { Account } from '../../../accounts/account.repository.ts';
import { waitingSignIn, type PasswordStamp } from '../../../accounts/password-stamp.ts';
import type { Config } from '../../../config/config.schema.ts';
import { AppError } from '../../../shared/app-error.ts';
import type { Audit } from '../../../shared/audit.ts';
import { ACR } from '../../../mfa/acr.ts';
import { code, defineStageForm, email, password } from '../../forms.ts';
import type { Stage, StageContext } from '../../stage.ts';

// The `login` prompt: email + password, then (when the address is not yet verified) the mailed code.
// Field errors show the same form again with a 400; unknown email and wrong password look the same.
// The sign-in waiting for its code holds the account and a stamp of the password it proved: if the address is proven
// meanwhile by someone else (the mailbox owner claiming an account they never opened, or a password reset), that
// password is gone, and the waiting sign-in must not be finished by the verification that came from elsewhere.

const loginForm = z.object({ email, password });
const codeForm = z.object({ code });

export interface LoginStageDeps {
  config: Config;
  accounts: AccountService;
  /** The current password's stamp, to tell whether a sign-in waiting for its code still holds a valid password. */
  passwordStamp: PasswordStamp;
  audit: Audit;
  /** Capabilities that add to the sign-in and sign-up pages (upstream sign-in buttons ...). */
  pageExtensions?: LoginPageExtension[];
}

export interface LoginPageExtension {
  /** May answer the sign-in page itself (e.g. a hint that jumps to one upstream IdP); true when it did. */
  intercept?(stage: StageContext): Promise<boolean>;
  /** Extra view-model entries for the sign-in and sign-up pages. */
  model?(stage: StageContext): Promise<Record<string, unknown>>;
}

/** The view-model entries every extension adds. */
export async function extensionModel(extensions: LoginPageExtension[] = [], stage: StageContext): Promise<Record<string, unknown>> {
  const parts = await Promise.all(extensions.map((extension) => extension.model?.(stage) ?? {}));
  return Object.assign({}, ...parts);
}

export function createLoginStage(deps: LoginStageDeps): Stage {
  const showLogin = async (stage: StageContext, model: Record<string, unknown> = {}, status = 200) => stage.render('login', {
    email: stage.interaction.params.login_hint ?? '',
    registerUrl: `/interaction/${stage.interaction.uid}/register`,
    forgotUrl: `/interaction/${stage.interaction.uid}/forgot`,
    ...(await extensionModel(deps.pageExtensions, stage)),
    ...model,
  }, status);

  async function signedIn(stage: StageContext, account: Account) {
    if (!account.emailVerified && deps.config.accounts.requireVerifiedEmail) {
      await deps.accounts.sendVerification(account, { ip: stage.ctx.ip, locale: stage.locale, brand: stage.brand });
      // The stamp is read after authenticate(), which may just have rehashed the password.
      stage.pending.set(waitingSignIn.value(account._id, await deps.passwordStamp(account._id)));
      showVerify(stage, account.email);
      return;
    }
    deps.audit('login.succeeded', { accountId: account._id, client: stage.interaction.client.clientId, amr: ['pwd'] });
    await stage.finishLogin({ accountId: account._id, acr: ACR.password, amr: ['pwd'] });
  }

  const signIn = defineStageForm({
    path: '',
    schema: loginForm,
    errors: 'login',
    echo: ['email'],
    // The legacy store could not tell (lazy migration): said on the form, like a wrong password, not an error page.
    showOnForm: ['login.legacy_unavailable'],
    async valid(stage, input) {
      const account = await deps.accounts.authenticate(input.email, input.password, stage.ctx.ip);
      await signedIn(stage, account);
    },
    invalid: (stage, failure) => showLogin(stage, { email: failure.typed.email, error: failure.code }, failure.status),
  });

  /** The address is proven (now, or meanwhile through the mailed link): the waiting sign-in finishes. */
  async function verified(stage: StageContext, accountId: string) {
    deps.audit('login.succeeded', { accountId, client: stage.interaction.client.clientId, amr: ['pwd'] });
    await stage.finishLogin({ accountId, acr: ACR.password, amr: ['pwd'] });
  }

  // The waiting sign-in is checked before the code is read: a password changed meanwhile means signing in again, and
  // an address verified meanwhile through the mailed link (in another browser) consumed the code: no code is needed.
  const verify = defineStageForm({
    path: '/verify',
    schema: codeForm,
    errors: 'verification',
    async load(stage) {
      const { accountId, stamp } = waitingSignIn.read(stage.pending.get());
      if (accountId && (!stamp || stamp !== (await deps.passwordStamp(accountId)))) {
        stage.pending.clear();
        deps.audit('login.refused', { accountId, reason: 'password_changed_while_verifying', ip: stage.ctx.ip });
        await showLogin(stage, { error: 'login.sign_in_again' }, 400);
        return { skip: true };
      }
      if (accountId && (await deps.accounts.isEmailVerified(accountId))) {
        await verified(stage, accountId);
        return { skip: true };
      }
      return { value: accountId };
    },
    async valid(stage, input, accountId) {
      if (!accountId) throw new AppError('verification.invalid_code', 400, { field: 'code' });
      await deps.accounts.verifyEmailCode(accountId, input.code);
    },
    done: (stage, _input, accountId) => verified(stage, accountId!),
    invalid: (stage, failure) => showVerify(stage, undefined, failure.code, failure.status),
  });

  return {
    prompt: 'login',
    forms: [signIn, verify],
    routes: [
      {
        method: 'GET',
        path: '',
        async handle(stage) {
          for (const extension of deps.pageExtensions ?? []) if (await extension.intercept?.(stage)) return;
          await showLogin(stage);
        },
      },
    ],
  };
}

export function showVerify(stage: StageContext, emailAddress?: string, error?: string, status = 200): void {
  stage.render('verify-email', { email: emailAddress, error, verifyAction: `/interaction/${stage.interaction.uid}/verify` }, status);
}
