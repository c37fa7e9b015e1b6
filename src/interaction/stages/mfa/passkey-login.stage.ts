import { z } from 'zod';
import type { RateLimits } from '../../../config/config.schema.ts';
import type { Audit } from '../../../shared/audit.ts';
import type { MfaModule } from '../../../mfa/mfa.module.ts';
import type { Stage, StageContext } from '../../stage.ts';

// Sign-in with a passkey alone (a discoverable credential), beside the password form of the `login`
// prompt. The authenticator verified the user (PIN or biometrics), so the login is multi-factor and phishing-resistant
// at once; the mfa prompt then finds nothing missing.
const passkeyForm = z.object({ credential: z.string().min(2).max(16_384) });

export function createPasskeyLoginStage(deps: { passkeys: MfaModule['passkeys']; limits: RateLimits; audit: Audit }): Stage {
  async function show(stage: StageContext, error?: string, status = 200) {
    const options = await deps.passkeys.options(stage.interaction.uid);
    stage.render('mfa-passkey', {
      title: 'mfa.passkey.title', webauthnOptions: JSON.stringify(options), errorKey: error,
      passkeyAction: `/interaction/${stage.interaction.uid}/passkey`, backUrl: `/interaction/${stage.interaction.uid}`,
    }, status);
  }

  return {
    prompt: 'login',
    routes: [
      { method: 'GET', path: '/passkey', handle: (stage) => show(stage) },
      {
        method: 'POST',
        path: '/passkey',
        async handle(stage) {
          await deps.limits.check('loginPerIp', stage.ctx.ip);
          const parsed = passkeyForm.safeParse(stage.form);
          const result = parsed.success ? await deps.passkeys.signIn(stage.interaction.uid, parsed.data.credential, stage.ctx.ip) : undefined;
          if (!result) {
            await deps.limits.consume('loginPerIp', stage.ctx.ip).catch(() => undefined);
            return show(stage, 'mfa.errors.webauthn_failed', 400);
          }
          deps.audit('login.succeeded', { accountId: result.accountId, client: stage.interaction.client.clientId, amr: result.amr });
          await stage.finishLogin({ accountId: result.accountId, acr: result.acr, amr: result.amr });
        },
      },
    ],
  };
}
