import { hkdfSync } from 'node:crypto';
import type { AccountRepository } from '../accounts/account.repository.ts';
import type { Config } from '../config/config.schema.ts';
import { createSecretBox } from '../keys/secret-box.ts';
import type { Mailer } from '../mail/mailer.ts';
import type { Audit } from '../shared/audit.ts';
import { createChallengeStore } from './challenge-store.ts';
import { createEmailOtpFactor } from './factors/email-otp.factor.ts';
import { createRecoveryCodeFactor } from './factors/recovery-code.factor.ts';
import { createTotpFactor } from './factors/totp.factor.ts';
import { createWebAuthnFactor } from './factors/webauthn.factor.ts';
import { upgrade } from './acr.ts';
import type { ChallengeModel, LockoutModel } from './mfa-challenge.model.ts';
import type { FactorModel, FactorType } from './mfa-factor.model.ts';
import { createFactorRepository } from './mfa-factor.repository.ts';
import { createMfaPolicyService } from './mfa-policy.service.ts';
import { createMfaService, type MfaService } from './mfa.service.ts';
import type { ChangeCaches } from '../db/change-cache.ts';
import { evictOnWrite } from '../db/write-hook.ts';
import type { DeviceModel } from './device/device.model.ts';
import { createDeviceService, type CookieAccess } from './device/device.service.ts';
import type { RiskDecisionModel, RiskProfileModel } from './risk/risk.model.ts';
import { auditWithRiskFeed, createRiskService } from './risk/risk.service.ts';
import type { AccountSection } from '../account/account.router.ts';
import type { FeatureModule } from '../modules/feature-module.ts';

// Wires the MFA capability (factors, service, policy) for the composition root, so container.ts gains one call.
export interface MfaModuleDeps {
  config: Config;
  models: {
    MfaFactor: FactorModel; MfaChallenge: ChallengeModel; MfaLockout: LockoutModel;
    MfaDevice: DeviceModel; MfaRiskProfile: RiskProfileModel; MfaRiskDecision: RiskDecisionModel;
  };
  accounts: AccountRepository;
  mailer: Mailer;
  audit: Audit;
  /** Change-evicted caches (db/change-cache.ts): the factor types each account has, asked at every sign-in. */
  caches?: ChangeCaches;
}

/**
 * Every sign-in asks which factors the account has enrolled; the answer is kept in the factors collection's change
 * cache, dropped entirely by any write to the collection, whoever makes it (enrolment, removal, erasure, claims,
 * on this instance through the write hook or on another through the change stream).
 */
function cacheEnrolledTypes(mfa: MfaService, collection: { collectionName: string }, caches: ChangeCaches): MfaService {
  const cache = caches.derived<FactorType[]>(collection.collectionName);
  evictOnWrite(collection, () => cache.clear());
  const read = mfa.enrolledTypes;
  mfa.enrolledTypes = async (accountId) => {
    const cached = cache.get(accountId);
    if (cached) return [...cached];
    const types = await read(accountId);
    cache.set(accountId, types);
    return [...types];
  };
  return mfa;
}

export function createMfaModule(deps: MfaModuleDeps) {
  const { config } = deps;
  const secret = config.secrets.keyEncryptionKey;
  // Separate keys per use, derived from the one configured secret (RFC 5869), as keys/secret-box.ts does.
  const digestKey = (purpose: string) => Buffer.from(hkdfSync('sha256', secret, Buffer.alloc(0), `idp:mfa:${purpose}`, 32));
  const devices = createDeviceService({
    model: deps.models.MfaDevice, cookieName: `${config.cookies.prefix}_device`, cookieDays: config.mfa.deviceCookieDays, audit: deps.audit,
  });
  const risk = createRiskService({
    config, profiles: deps.models.MfaRiskProfile, decisions: deps.models.MfaRiskDecision, devices, audit: deps.audit,
  });
  /** The audit function for services whose failures feed the risk check (accounts, MFA). */
  const audit = auditWithRiskFeed(deps.audit, risk);
  const records = createFactorRepository(deps.models.MfaFactor);
  const challenges = createChallengeStore(deps.models.MfaChallenge);
  const issuer = new URL(config.issuer);
  const webauthn = createWebAuthnFactor({
    rpName: config.mfa.webauthn.rpName, rpId: config.mfa.webauthn.rpId ?? issuer.hostname, origin: issuer.origin, records, challenges,
  });
  const recovery = createRecoveryCodeFactor({ digestKey: digestKey('recovery'), records, count: config.mfa.recoveryCodes });
  const factors = [
    createTotpFactor({
      issuer: config.mfa.totpIssuer, toleranceSteps: config.mfa.totpToleranceSteps,
      box: createSecretBox(secret, 'mfa'), records, challenges,
    }),
    createEmailOtpFactor({
      ttlSeconds: config.mfa.emailCodeTtl, maxAttempts: config.mfa.emailCodeMaxAttempts,
      digestKey: digestKey('email-code'), mailer: deps.mailer, challenges,
    }),
    webauthn.factor,
    recovery,
  ];
  const service = createMfaService({
    config, records, lockouts: deps.models.MfaLockout, accounts: deps.accounts, factors,
    generateRecoveryCodes: (accountId) => recovery.generate(accountId), audit,
  });
  const mfa = deps.caches ? cacheEnrolledTypes(service, deps.models.MfaFactor.collection, deps.caches) : service;
  const policy = createMfaPolicyService({ mfa, risk });
  const rememberDays = config.mfa.rememberDeviceDays;
  const remembering = {
    enabled: rememberDays > 0,
    days: rememberDays,
    async remember(cookies: CookieAccess, accountId: string, userAgent?: string) {
      await devices.remember(devices.ensure(cookies), accountId, rememberDays, userAgent);
    },
  };
  const passkeys = {
    options: (scope: string) => webauthn.passkeyOptions(scope),
    /** A passkey alone: the account and the acr/amr it proves, or undefined (an unknown or unverified credential). */
    async signIn(scope: string, answer: string, ip: string) {
      const result = await webauthn.verifyPasskey(scope, answer);
      const account = result && await deps.accounts.findById(result.accountId);
      if (!result || !account || account.status !== 'active') {
        deps.audit('mfa.passkey.failed', { ip });
        return undefined;
      }
      const upgraded = upgrade(undefined, result.proof);
      deps.audit('mfa.challenge.succeeded', { accountId: account._id, factor: 'webauthn', passkeyOnly: true, acr: upgraded.acr, amr: upgraded.amr });
      return { accountId: account._id, ...upgraded };
    },
  };
  // The security page itself (factors, devices) is mounted by app.ts beside the other /account pages.
  const accountSections: AccountSection[] = [{ href: '/account/security', label: 'mfa.account.title' }];
  return { mfa, policy: { mfa: policy }, records, challenges, passkeys, devices, risk, remembering, audit, accountSections } satisfies FeatureModule;
}

export type MfaModule = ReturnType<typeof createMfaModule>;
