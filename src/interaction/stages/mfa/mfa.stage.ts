import { z } from 'zod';
import { AppError } from '../../../shared/app-error.ts';
import type { RateLimits } from '../../../config/config.schema.ts';
import type { Audit } from '../../../shared/audit.ts';
import { levelOf } from '../../../mfa/acr.ts';
import type { FactorType } from '../../../mfa/mfa-factor.model.ts';
import type { MfaService, Upgraded } from '../../../mfa/mfa.service.ts';
import type { CookieAccess } from '../../../mfa/device/device.service.ts';
import type { Stage, StageContext } from '../../stage.ts';
import {
  allowedFactors, decisionOf, errorKey, FACTOR_LABELS, failure, mfaRequest, renderLocked, sessionOf,
} from './mfa-stage.helpers.ts';

// The `mfa` prompt: the person answers one more factor (or first enrols one, see mfa-enrol.stage.ts), and the
// interaction finishes again as a `login` for the same account with the upgraded acr/amr. auth_time becomes now:
// OIDC Core §2 defines it as the time the End-User last actively authenticated, which they just did.

const factor = z.enum(['totp', 'webauthn', 'email', 'recovery']);
const verifyForm = z.object({
  factor,
  code: z.string().trim().max(64).optional(),
  credential: z.string().max(16_384).optional(),
  remember: z.literal('yes').optional(),
});

export interface DeviceRemembering {
  /** Remembers the browser's device for the account, so the next sign-in from it may skip the second factor. */
  remember(cookies: CookieAccess, accountId: string, userAgent?: string): Promise<void>;
  enabled: boolean;
  days: number;
}

/** The device cookie as the MFA module reads and sets it (httpOnly, first-party, whole site). */
const cookiesOf = (stage: StageContext): CookieAccess => ({
  get: (name) => stage.ctx.cookies.get(name),
  set: (name, value, maxAge) => stage.ctx.cookies.set(name, value, { httpOnly: true, sameSite: 'lax', path: '/', secure: stage.ctx.secure, maxAge, overwrite: true }),
});

export interface MfaStageDeps {
  mfa: MfaService;
  limits: RateLimits;
  audit: Audit;
  devices?: DeviceRemembering;
}

export function createMfaStage(deps: MfaStageDeps): Stage {
  async function showChallenge(stage: StageContext, model: { factor?: string; error?: AppError; sentTo?: string } = {}, status = 200) {
    const decision = decisionOf(stage);
    const enrolled = await deps.mfa.enrolledTypes(sessionOf(stage).accountId);
    const allowed = allowedFactors(decision, enrolled);
    const chosen = allowed.find((type) => type === (model.factor ?? stage.ctx.query.factor)) ?? allowed[0];
    if (!chosen) throw new Error('mfa challenge without a usable factor');
    const webauthn = chosen === 'webauthn' ? await deps.mfa.challenge('webauthn', mfaRequest(stage)) : undefined;
    stage.render('mfa-challenge', {
      title: 'mfa.challenge.title',
      factor: chosen,
      factorLabel: FACTOR_LABELS[chosen],
      isCode: chosen !== 'webauthn' && !(chosen === 'email' && !model.sentTo && !model.error),
      isEmailStart: chosen === 'email' && !model.sentTo && !model.error,
      isWebauthn: chosen === 'webauthn',
      isRecovery: chosen === 'recovery',
      webauthnOptions: webauthn ? JSON.stringify(webauthn.options) : undefined,
      sentTo: model.sentTo,
      reason: `mfa.reason.${decision.reasons.includes('risk') ? 'risk' : decision.reasons.includes('acr_values') ? 'step_up' : 'default'}`,
      others: allowed.filter((type) => type !== chosen).map((type) => ({ label: FACTOR_LABELS[type], url: `?factor=${type}` })),
      // Remembering skips only optional MFA (the person's own choice, or risk), never a client's or an acr's demand.
      rememberOffered: deps.devices?.enabled && decision.reasons.every((reason) => reason === 'risk' || reason === 'enrolled'),
      rememberDays: deps.devices?.days,
      verifyAction: `/interaction/${stage.interaction.uid}/verify`,
      sendAction: `/interaction/${stage.interaction.uid}/send`,
      errorKey: model.error ? errorKey(model.error) : undefined,
    }, status);
  }

  async function guarded(stage: StageContext, work: () => Promise<void>, factorName?: string) {
    try {
      await deps.mfa.assertNotLocked(sessionOf(stage).accountId);
      await work();
    } catch (error) {
      const problem = failure(stage, error);
      if (problem.code === 'mfa.locked') return renderLocked(stage, problem);
      await showChallenge(stage, { factor: factorName, error: problem }, problem.status);
    }
  }

  async function finish(stage: StageContext, upgraded: Upgraded) {
    await stage.finishLogin({ accountId: sessionOf(stage).accountId, acr: upgraded.acr, amr: upgraded.amr });
  }

  return {
    prompt: 'mfa',
    routes: [
      {
        method: 'GET',
        path: '',
        async handle(stage) {
          const decision = decisionOf(stage);
          const session = sessionOf(stage);
          const enrolled = await deps.mfa.enrolledTypes(session.accountId);
          // Enrolment needs either no factor at all, or the existing one answered first: a stolen password alone
          // must never be enough to add a factor of the thief's choosing.
          if (decision.enrol && (enrolled.length === 0 || levelOf(session.acr) >= 2)) {
            stage.ctx.status = 303;
            stage.ctx.redirect(`/interaction/${stage.interaction.uid}/enrol`);
            return;
          }
          await guarded(stage, () => showChallenge(stage));
        },
      },
      {
        method: 'POST',
        path: '/send',
        async handle(stage) {
          await guarded(stage, async () => {
            await deps.limits.consume('mailPerIp', stage.ctx.ip);
            const view = await deps.mfa.challenge('email', mfaRequest(stage));
            await showChallenge(stage, { factor: 'email', sentTo: view.sentTo });
          }, 'email');
        },
      },
      {
        method: 'POST',
        path: '/verify',
        async handle(stage) {
          const parsed = verifyForm.safeParse(stage.form);
          const chosen = parsed.success ? parsed.data.factor : undefined;
          await guarded(stage, async () => {
            if (!parsed.success) throw new AppError('mfa.invalid_code', 400, { field: 'code' });
            const { code, credential, remember } = parsed.data;
            const enrolled = await deps.mfa.enrolledTypes(sessionOf(stage).accountId);
            if (!allowedFactors(decisionOf(stage), enrolled).includes(parsed.data.factor)) throw new AppError('mfa.factor_not_allowed', 400);
            const answer = parsed.data.factor === 'webauthn' ? credential ?? '' : code ?? '';
            const upgraded = await deps.mfa.verify(parsed.data.factor as FactorType, mfaRequest(stage), answer, sessionOf(stage).amr);
            if (remember && deps.devices?.enabled) await deps.devices.remember(cookiesOf(stage), sessionOf(stage).accountId, stage.ctx.get('user-agent'));
            await finish(stage, upgraded);
          }, chosen);
        },
      },
    ],
  };
}
