import { isAppError, type AppError } from '../../../shared/app-error.ts';
import { formError } from '../../forms.ts';
import { levelOf } from '../../../mfa/acr.ts';
import type { MfaDecision } from '../../../mfa/mfa-policy.service.ts';
import type { FactorType } from '../../../mfa/mfa-factor.model.ts';
import type { MfaRequest } from '../../../mfa/mfa.service.ts';
import type { StageContext } from '../../stage.ts';

// What the mfa stages read from the interaction: the engine's decision (prompt details, stored server-side with the
// interaction, never from the form) and the session the step adds to.

export interface MfaSession {
  accountId: string;
  acr?: string;
  amr?: string[];
}

export const decisionOf = (stage: StageContext): MfaDecision => {
  const decision = stage.interaction.prompt.details.mfa as MfaDecision | undefined;
  if (!decision) throw new Error('mfa prompt without a decision');
  return decision;
};

export const sessionOf = (stage: StageContext): MfaSession => {
  const session = stage.interaction.session as Partial<MfaSession> | undefined;
  if (!session?.accountId) throw new Error('mfa prompt without a signed-in account');
  return session as MfaSession;
};

export const mfaRequest = (stage: StageContext): MfaRequest => ({
  accountId: sessionOf(stage).accountId,
  scope: stage.interaction.uid,
  locale: stage.locale,
  ip: stage.ctx.ip,
  client: stage.interaction.client.clientId,
  brand: stage.brand,
});

/** Factors that may answer this challenge: the decision's, plus recovery codes where MFA (not more) is asked. */
export function allowedFactors(decision: MfaDecision, enrolled: FactorType[]): FactorType[] {
  const base = decision.enrol ? enrolled : decision.factors;
  const recovery = levelOf(decision.requiredAcr) <= 2 && enrolled.length > 0 ? ['recovery' as const] : [];
  return [...base, ...recovery];
}

/** The i18n key of an error shown on our pages (our own texts live in the `mfa` section). */
export function errorKey(error: AppError): string {
  return error.code.startsWith('mfa.') ? `mfa.errors.${error.code.slice(4)}` : `errors.${error.code}`;
}

/** A form-level failure (wrong code, rate limit, lockout) as an AppError, anything else rethrown. */
export function failure(stage: StageContext, error: unknown): AppError {
  if (!isAppError(error)) throw error;
  return formError(stage.ctx, error);
}

/** The lockout page: what happened and until when, in the person's language, so a locked-out person knows when to try again. */
export function renderLocked(stage: StageContext, error: AppError): void {
  const retryAfter = (error as AppError & { retryAfter?: number }).retryAfter ?? 60;
  stage.render('mfa-locked', { title: 'mfa.locked.title', minutes: Math.max(1, Math.ceil(retryAfter / 60)) }, 429);
}

export const FACTOR_LABELS: Record<FactorType, string> = {
  totp: 'mfa.factor.totp', webauthn: 'mfa.factor.webauthn', email: 'mfa.factor.email', recovery: 'mfa.factor.recovery',
};
