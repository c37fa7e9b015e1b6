import { hkdfSync } from 'node:crypto';
import type { AccountRepository } from '../accounts/account.repository.ts';
import type { Config } from '../config/config.schema.ts';
import { createSecretBox } from '../keys/secret-box.ts';
import type { Mailer } from '../mail/mailer.ts';
import type { Audit } from '../ops/audit.ts';
import { createChallengeStore } from './challenge-store.ts';
import { createEmailOtpFactor } from './factors/email-otp.factor.ts';
import { createRecoveryCodeFactor } from './factors/recovery-code.factor.ts';
import { createTotpFactor } from './factors/totp.factor.ts';
import { createWebAuthnFactor } from './factors/webauthn.factor.ts';
import { upgrade } from './acr.ts';
import type { ChallengeModel, LockoutModel } from './mfa-challenge.model.ts';
import type { FactorModel } from './mfa-factor.model.ts';
import { createFactorRepository } from './mfa-factor.repository.ts';
import { createMfaPolicyService, type RiskAssessor } from './mfa-policy.service.ts';
import { createMfaService } from './mfa.service.ts';

// Wires the MFA capability (factors, service, policy) for the composition root, so container.ts gains one call.
export interface MfaModuleDeps {
  config: Config;
  models: { MfaFactor: FactorModel; MfaChallenge: ChallengeModel; MfaLockout: LockoutModel };
  accounts: AccountRepository;
  mailer: Mailer;
  audit: Audit;
  risk?: RiskAssessor;
}

export function createMfaModule(deps: MfaModuleDeps) {
  const { config } = deps;
  const secret = config.secrets.keyEncryptionKey;
  // Separate keys per use, derived from the one configured secret (RFC 5869), as keys/secret-box.ts does.
  const digestKey = (purpose: string) => Buffer.from(hkdfSync('sha256', secret, Buffer.alloc(0), `idp:mfa:${purpose}`, 32));
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
  const mfa = createMfaService({
    config, records, lockouts: deps.models.MfaLockout, accounts: deps.accounts, factors,
    generateRecoveryCodes: (accountId) => recovery.generate(accountId), audit: deps.audit,
  });
  const policy = createMfaPolicyService({ mfa, risk: deps.risk });
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
  return { mfa, policy, records, challenges, passkeys };
}

export type MfaModule = ReturnType<typeof createMfaModule>;
