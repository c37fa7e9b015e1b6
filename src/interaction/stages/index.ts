import type { AccountRepository } from '../../accounts/account.repository.ts';
import type { AccountService } from '../../accounts/account.service.ts';
import { createPasswordStamp } from '../../accounts/password-stamp.ts';
import type { Config } from '../../config/config.schema.ts';
import type { ConsentsModule } from '../../consents/consents.module.ts';
import type { FederationModule } from '../../federation/federation.module.ts';
import type { RateLimits } from '../../config/config.schema.ts';
import type { Mailer } from '../../mail/mailer.ts';
import type { MfaModule } from '../../mfa/mfa.module.ts';
import type { Audit } from '../../shared/audit.ts';
import type { Provider } from '../../oidc/provider.ts';
import type { ProfileModule } from '../../profile/profile.module.ts';
import { createStageRegistry, type StageRegistry } from '../stage.ts';
import { createConsentStage } from './consent/consent.stage.ts';
import { createFederatedStage } from './federated/federated.stage.ts';
import { createFederationLoginExtension } from './federated/login-page.extension.ts';
import { createLegalStage } from './legal/legal.stage.ts';
import { createLoginStage } from './login/login.stage.ts';
import { createMfaEnrolStage } from './mfa/mfa-enrol.stage.ts';
import { createMfaStage } from './mfa/mfa.stage.ts';
import { createPasskeyLoginStage } from './mfa/passkey-login.stage.ts';
import { createForgotPasswordStage } from './password/forgot-password.stage.ts';
import { createProfileStage } from './profile/profile.stage.ts';
import { createRegisterStage } from './register/register.stage.ts';

// Every hosted page of the engine's prompts, built in this one place from the services the feature modules expose
// (the modules never import src/interaction). Registry order decides which stage answers first for a prompt.

export interface StagesDeps {
  config: Config;
  provider: () => Provider;
  accounts: AccountService;
  accountRepository: AccountRepository;
  mailer: Mailer;
  limits: RateLimits;
  audit: Audit;
  mfa: MfaModule;
  federation: Pick<FederationModule, 'connectors' | 'transactions' | 'linking' | 'binding'>;
  profile: Pick<ProfileModule, 'schema' | 'profile' | 'findAccount'>;
  consents: Pick<ConsentsModule, 'legal'>;
}

export function createStages(deps: StagesDeps): StageRegistry {
  const { config, provider, accounts, audit, limits, mfa, federation, profile } = deps;
  // The upstream sign-in buttons on both the sign-in and the sign-up page.
  const loginExtension = createFederationLoginExtension({ provider, connectors: federation.connectors, transactions: federation.transactions });
  return createStageRegistry([
    createLoginStage({ config, accounts, passwordStamp: createPasswordStamp(deps.accountRepository), audit, pageExtensions: [loginExtension] }),
    createRegisterStage({
      accounts, pageExtensions: [loginExtension],
      validateProfile: (input, keys) => profile.schema.validate(input, keys, []),
    }),
    createFederatedStage({
      config, provider, connectors: federation.connectors, transactions: federation.transactions, linking: federation.linking,
      binding: federation.binding, accounts, mailer: deps.mailer, limits, audit,
    }),
    createForgotPasswordStage({ accounts }),
    createConsentStage({ provider, audit }),
    createMfaStage({ mfa: mfa.mfa, limits, audit, devices: mfa.remembering }),
    createMfaEnrolStage({ mfa: mfa.mfa, limits }),
    createPasskeyLoginStage({ passkeys: mfa.passkeys, limits, audit }),
    createLegalStage({ legal: deps.consents.legal, findAccount: profile.findAccount, audit }),
    createProfileStage({ profile: profile.profile, findAccount: profile.findAccount, audit }),
  ]);
}
