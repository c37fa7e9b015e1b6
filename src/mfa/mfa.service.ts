import type { AccountRepository } from '../accounts/account.repository.ts';
import type { Config } from '../config/config.schema.ts';
import { AppError } from '../shared/app-error.ts';
import type { Locale } from '../i18n/i18n.ts';
import type { Audit } from '../shared/audit.ts';
import { upgrade, type AcrValue } from './acr.ts';
import type { ChallengeView, EnrolmentView, Factor, FactorAccount, FactorRequest } from './factor.ts';
import type { FactorRecord, FactorType } from './mfa-factor.model.ts';
import type { FactorRepository } from './mfa-factor.repository.ts';
import type { LockoutModel } from './mfa-challenge.model.ts';

// Everything common to the factors, once: lockout after too many wrong answers, audit events (`mfa.*`),
// and the acr/amr a verified factor gives the session. Factors themselves only know their protocol.

export interface MfaRequest {
  accountId: string;
  /** Scope of pending challenges (the interaction uid, or the account page's session). */
  scope: string;
  locale: Locale;
  ip: string;
  client?: string;
  /** The site's branding for a mailed code (src/branding). */
  brand?: FactorRequest['brand'];
}

export interface Upgraded {
  acr: AcrValue;
  amr: string[];
  factor: FactorType;
}

export interface FactorSummary {
  id: string;
  type: FactorType;
  name: string;
  createdAt: Date;
  lastUsedAt?: Date;
  remainingCodes?: number;
}

/** The factors a person can answer a sign-in challenge with (recovery codes only as a fallback). */
export const SIGN_IN_FACTORS: FactorType[] = ['webauthn', 'totp', 'email'];

export interface MfaServiceDeps {
  config: Config;
  records: FactorRepository;
  lockouts: LockoutModel;
  accounts: AccountRepository;
  factors: Factor[];
  generateRecoveryCodes(accountId: string): Promise<string[]>;
  audit: Audit;
}

export function createMfaService(deps: MfaServiceDeps) {
  const { config, records, audit } = deps;
  const registry = new Map(deps.factors.map((factor) => [factor.type, factor]));
  const factorOf = (type: FactorType) => {
    const factor = registry.get(type);
    if (!factor) throw new AppError('mfa.unknown_factor', 400);
    return factor;
  };

  async function accountOf(accountId: string): Promise<FactorAccount> {
    const account = await deps.accounts.findById(accountId);
    if (!account || account.status !== 'active') throw new AppError('account.blocked', 403);
    return { id: account._id, email: account.email, emailVerified: account.emailVerified, displayName: account.profile?.name ?? account.email };
  }

  async function factorRequest(type: FactorType, request: MfaRequest): Promise<FactorRequest> {
    const [account, enrolled] = await Promise.all([accountOf(request.accountId), records.list(request.accountId, type)]);
    return { account, records: enrolled, scope: request.scope, locale: request.locale, ip: request.ip, brand: request.brand };
  }

  // Lockout: wrong answers of every factor count together per account; the lock lifts by itself.
  function locked(until: Date): AppError {
    const error = new AppError('mfa.locked', 429);
    (error as AppError & { retryAfter: number }).retryAfter = Math.max(1, Math.ceil((until.getTime() - Date.now()) / 1000));
    (error as AppError & { until: Date }).until = until;
    return error;
  }
  async function assertNotLocked(accountId: string) {
    const state = await deps.lockouts.findById(accountId).lean().exec();
    if (state?.lockedUntil && state.lockedUntil > new Date()) throw locked(state.lockedUntil);
  }
  async function countFailure(accountId: string, type: FactorType, request: MfaRequest) {
    const window = new Date(Date.now() + config.mfa.lockoutSeconds * 1000);
    const state = await deps.lockouts.findOneAndUpdate(
      { _id: accountId }, { $inc: { failures: 1 }, $set: { expiresAt: window } }, { upsert: true, new: true },
    ).lean().exec();
    audit('mfa.challenge.failed', { accountId, factor: type, client: request.client, ip: request.ip, failures: state?.failures });
    if ((state?.failures ?? 0) < config.mfa.maxFailures) return;
    await deps.lockouts.updateOne({ _id: accountId }, { $set: { lockedUntil: window, failures: 0 } }).exec();
    audit('mfa.lockout', { accountId, until: window.toISOString(), ip: request.ip });
    throw locked(window);
  }

  return {
    assertNotLocked,
    async list(accountId: string): Promise<FactorSummary[]> {
      return (await records.list(accountId)).map((record: FactorRecord) => ({
        id: record._id, type: record.type, name: record.name, createdAt: record.createdAt, lastUsedAt: record.lastUsedAt,
        ...(record.type === 'recovery' ? { remainingCodes: record.codeDigests?.length ?? 0 } : {}),
      }));
    },
    /** Enrolled types usable to sign in (recovery codes excluded: they are a fallback, not a factor of their own). */
    async enrolledTypes(accountId: string): Promise<FactorType[]> {
      const types = new Set((await records.list(accountId)).map((record) => record.type));
      return SIGN_IN_FACTORS.filter((type) => types.has(type));
    },
    async challenge(type: FactorType, request: MfaRequest): Promise<ChallengeView> {
      await assertNotLocked(request.accountId);
      return factorOf(type).challenge(await factorRequest(type, request));
    },
    /** Verifies an answer; the session's new acr/amr on success, `mfa.invalid_code` (400) or `mfa.locked` (429). */
    async verify(type: FactorType, request: MfaRequest, answer: string, previousAmr: string[] | undefined): Promise<Upgraded> {
      await assertNotLocked(request.accountId);
      const result = await factorOf(type).verify(await factorRequest(type, request), answer);
      if (!result) {
        await countFailure(request.accountId, type, request);
        throw new AppError('mfa.invalid_code', 400, { field: 'code' });
      }
      await deps.lockouts.deleteOne({ _id: request.accountId }).exec();
      const upgraded = { ...upgrade(previousAmr, result.proof), factor: type };
      audit('mfa.challenge.succeeded', { accountId: request.accountId, factor: type, client: request.client, acr: upgraded.acr, amr: upgraded.amr });
      return upgraded;
    },
    async beginEnrolment(type: FactorType, request: MfaRequest): Promise<EnrolmentView> {
      const factor = factorOf(type);
      if (!factor.beginEnrolment) throw new AppError('mfa.unknown_factor', 400);
      return factor.beginEnrolment(await factorRequest(type, request));
    },
    /**
     * Confirms an enrolment with its first answer, which also proves the factor for this sign-in. The first factor of
     * an account comes with recovery codes, returned once for showing.
     */
    async completeEnrolment(type: FactorType, request: MfaRequest, answer: string, previousAmr: string[] | undefined) {
      const factor = factorOf(type);
      const result = await factor.completeEnrolment!(await factorRequest(type, request), answer);
      if (!result) throw new AppError('mfa.invalid_code', 400, { field: 'code' });
      const record = await records.insert(result.record);
      audit('mfa.enrolled', { accountId: request.accountId, factor: type, factorId: record._id, client: request.client });
      const hasRecovery = (await records.list(request.accountId, 'recovery')).length > 0;
      const recoveryCodes = hasRecovery ? undefined : await this.regenerateRecoveryCodes(request.accountId);
      return { ...upgrade(previousAmr, result.proof), factor: type, record, recoveryCodes };
    },
    async regenerateRecoveryCodes(accountId: string): Promise<string[]> {
      const codes = await deps.generateRecoveryCodes(accountId);
      audit('mfa.recovery_codes.generated', { accountId, count: codes.length });
      return codes;
    },
    async rename(accountId: string, factorId: string, name: string): Promise<void> {
      if (!(await records.rename(accountId, factorId, name))) throw new AppError('mfa.unknown_factor', 404);
      audit('mfa.renamed', { accountId, factorId });
    },
    /** Removes a factor; refused when it is the last one and the account must keep MFA (a client it uses requires MFA). */
    async remove(accountId: string, factorId: string, options: { mfaRequired: boolean }): Promise<void> {
      const all = await records.list(accountId);
      const target = all.find((record) => record._id === factorId);
      if (!target) throw new AppError('mfa.unknown_factor', 404);
      const remaining = all.filter((record) => record._id !== factorId && SIGN_IN_FACTORS.includes(record.type));
      if (options.mfaRequired && SIGN_IN_FACTORS.includes(target.type) && remaining.length === 0) {
        throw new AppError('mfa.last_factor', 409);
      }
      await records.remove(accountId, factorId);
      if (remaining.length === 0) for (const record of all.filter((r) => r.type === 'recovery')) await records.remove(accountId, record._id);
      audit('mfa.removed', { accountId, factor: target.type, factorId });
    },
  };
}

export type MfaService = ReturnType<typeof createMfaService>;
