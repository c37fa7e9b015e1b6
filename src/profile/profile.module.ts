import type { AccountSection } from '../account/account.router.ts';
import type { Config } from '../config/config.schema.ts';
import type { Models } from '../db/models.ts';
import type { Audit } from '../shared/audit.ts';
import type { FeatureModule, WebDeps } from '../modules/feature-module.ts';
import { createAttributeSchema } from './attribute-schema.ts';
import { createProfileAccountRouter } from './profile-account.router.ts';
import { createProfileGate } from './profile-gate.ts';
import { createProfileRepository } from './profile.repository.ts';
import { createProfileService } from './profile.service.ts';

// Wiring of per-site attributes and progressive profiling, called once from the composition root (container.ts):
// repository -> service -> the `profile` prompt's gate -> the account page. Its stage is built with the others
// (src/interaction/stages/index.ts).

export interface ProfileModuleDeps {
  config: Config;
  models: Models;
  audit: Audit;
}

export function createProfileModule(deps: ProfileModuleDeps) {
  const { config, models, audit } = deps;
  const schema = createAttributeSchema(config.profile);
  const repository = createProfileRepository(models.Account, schema);
  const profile = createProfileService({ schema, repository, config: config.profile, audit });
  const findAccount = repository.findById;
  const accountSections: AccountSection[] = [{ href: '/account/profile', label: 'profile.account_link' }];

  return {
    schema, profile, findAccount, accountSections,
    policy: { profile: createProfileGate({ profile, findAccount }) },
    customClaims: { scope: config.profile.customScope, claims: schema.customKeys },
    routers: (web: Pick<WebDeps, 'provider' | 'pages' | 'formMiddleware'>) => [createProfileAccountRouter({ ...web, profile, findAccount })],
  } satisfies FeatureModule;
}

export type ProfileModule = ReturnType<typeof createProfileModule>;
