import { z } from 'zod';
import { AppError } from '../../../shared/app-error.ts';
import type { RateLimits } from '../../../config/config.schema.ts';
import { ACR_VALUES, levelOf } from '../../../mfa/acr.ts';
import type { FactorType } from '../../../mfa/mfa-factor.model.ts';
import type { MfaDecision } from '../../../mfa/mfa-policy.service.ts';
import type { MfaService } from '../../../mfa/mfa.service.ts';
import type { Stage, StageContext } from '../../stage.ts';
import { decisionOf, errorKey, FACTOR_LABELS, failure, mfaRequest, renderLocked, sessionOf } from './mfa-stage.helpers.ts';

// Enrolment inside a sign-in: a client that requires MFA, or an acr the person has no factor for,
// takes them through enrolling one, then back to the client. The confirmed first answer is this sign-in's second
// factor. The first factor of an account comes with recovery codes, shown once before continuing.

const ENROLLABLE: FactorType[] = ['totp', 'webauthn', 'email'];
const startForm = z.object({ factor: z.enum(['totp', 'webauthn', 'email']) });
const completeForm = startForm.extend({
  code: z.string().trim().max(16).optional(),
  credential: z.string().max(16_384).optional(),
});
// Tells the engine's mfa check that a factor was enrolled in this authorization request, so an "add a method" request
// from the account page (src/oidc/policy/mfa.prompt.ts) is satisfied instead of asking to enrol again.
const ENROLLED = { mfa: { enrolled: true } };
/** How long the recovery-codes page may stay open before "continue" needs a fresh factor. */
const RECOVERY_CODES_SECONDS = 15 * 60;
const proofSchema = z.object({ acr: z.enum(ACR_VALUES as [string, ...string[]]), amr: z.array(z.string()).max(8) });

/** Why the person sees this page: a site demands a factor, or they chose to add one on their account page. */
const introOf = (decision: MfaDecision) => (decision.reasons.includes('add_factor') ? 'mfa.enrol.intro_add' : 'mfa.enrol.intro');

export function createMfaEnrolStage(deps: { mfa: MfaService; limits: RateLimits }): Stage {
  /** Factors this person may enrol now, or none when enrolment is not allowed in this sign-in. */
  async function enrollable(stage: StageContext): Promise<FactorType[]> {
    const decision = decisionOf(stage);
    const session = sessionOf(stage);
    if (!decision.enrol) return [];
    const enrolled = await deps.mfa.enrolledTypes(session.accountId);
    if (enrolled.length > 0 && levelOf(session.acr) < 2) return [];
    return levelOf(decision.requiredAcr) >= 3 ? ['webauthn'] : ENROLLABLE;
  }

  async function showChoices(stage: StageContext, error?: AppError) {
    const choices = (await enrollable(stage)).map((type) => ({ type, label: FACTOR_LABELS[type] }));
    if (!choices.length) {
      stage.ctx.status = 303;
      stage.ctx.redirect(`/interaction/${stage.interaction.uid}`);
      return;
    }
    stage.render('mfa-enrol', {
      title: 'mfa.enrol.title', choices, intro: introOf(decisionOf(stage)), startAction: `/interaction/${stage.interaction.uid}/enrol/start`,
      errorKey: error ? errorKey(error) : undefined,
    }, error?.status ?? 200);
  }

  async function showFactorEnrolment(stage: StageContext, type: FactorType, error?: AppError) {
    const view = await deps.mfa.beginEnrolment(type, mfaRequest(stage));
    stage.render('mfa-enrol-factor', {
      title: `mfa.enrol.${type}_title`, factor: type,
      isTotp: type === 'totp', isEmail: type === 'email', isWebauthn: type === 'webauthn',
      secret: view.secret, qrDataUrl: view.qrDataUrl, sentTo: view.sentTo,
      webauthnOptions: view.options ? JSON.stringify(view.options) : undefined,
      completeAction: `/interaction/${stage.interaction.uid}/enrol`,
      backUrl: `/interaction/${stage.interaction.uid}/enrol`,
      errorKey: error ? errorKey(error) : undefined,
    }, error?.status ?? 200);
  }

  async function start(stage: StageContext) {
    const parsed = startForm.safeParse(stage.form);
    if (!parsed.success || !(await enrollable(stage)).includes(parsed.data.factor)) return showChoices(stage);
    try {
      if (parsed.data.factor === 'email') await deps.limits.consume('mailPerIp', stage.ctx.ip);
      await showFactorEnrolment(stage, parsed.data.factor);
    } catch (error) {
      await showChoices(stage, failure(stage, error));
    }
  }

  async function complete(stage: StageContext) {
    const parsed = completeForm.safeParse(stage.form);
    if (!parsed.success || !(await enrollable(stage)).includes(parsed.data.factor)) return showChoices(stage);
    const { factor, code, credential } = parsed.data;
    try {
      await deps.mfa.assertNotLocked(sessionOf(stage).accountId);
      const result = await deps.mfa.completeEnrolment(factor, mfaRequest(stage), factor === 'webauthn' ? credential ?? '' : code ?? '', sessionOf(stage).amr);
      if (!result.recoveryCodes) {
        await stage.finishLogin({ accountId: sessionOf(stage).accountId, acr: result.acr, amr: result.amr }, ENROLLED);
        return;
      }
      // Bound to this interaction and account, for as long as reading the codes takes: the result of this enrolment
      // proves a factor of this account only (a copy planted on someone else's sign-in reads back as nothing).
      stage.pending.set(JSON.stringify({ acr: result.acr, amr: result.amr }), { accountId: sessionOf(stage).accountId, ttlSeconds: RECOVERY_CODES_SECONDS });
      stage.render('mfa-recovery-codes', {
        title: 'mfa.recovery.title', codes: result.recoveryCodes, continueAction: `/interaction/${stage.interaction.uid}/continue`,
      });
    } catch (error) {
      const problem = failure(stage, error);
      if (problem.code === 'mfa.locked') return renderLocked(stage, problem);
      // WebAuthn needs a fresh challenge; a wrong TOTP or mailed code keeps its pending key or code, so the person
      // only types again (a fresh TOTP page would make a new key they have not scanned).
      if (factor === 'webauthn') return showFactorEnrolment(stage, factor, problem);
      stage.render('mfa-enrol-retry', {
        title: `mfa.enrol.${factor}_title`, factor, errorKey: errorKey(problem),
        completeAction: `/interaction/${stage.interaction.uid}/enrol`, backUrl: `/interaction/${stage.interaction.uid}/enrol`,
      }, problem.status);
    }
  }

  return {
    prompt: 'mfa',
    routes: [
      { method: 'GET', path: '/enrol', handle: (stage) => showChoices(stage) },
      { method: 'POST', path: '/enrol/start', handle: start },
      { method: 'POST', path: '/enrol', handle: complete },
      {
        method: 'POST',
        path: '/continue',
        async handle(stage) {
          const raw = stage.pending.get({ accountId: sessionOf(stage).accountId });
          const proof = raw ? proofSchema.safeParse(JSON.parse(raw)) : undefined;
          if (!proof?.success) throw new AppError('mfa.enrolment_expired', 400);
          await stage.finishLogin({ accountId: sessionOf(stage).accountId, acr: proof.data.acr, amr: proof.data.amr }, ENROLLED);
        },
      },
    ],
  };
}
