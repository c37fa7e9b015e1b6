import type { Middleware } from 'koa';
import type Router from '@koa/router';
import type { AccountSection } from '../account/account.router.ts';
import type { ChangeCaches } from '../db/change-cache.ts';
import type { Config } from '../config/config.schema.ts';
import { createConsentReceiptService } from '../consents/consent-receipt.service.ts';
import { createConsentRecordRepository } from '../consents/consent-record.repository.ts';
import { createConsentsAccountRouter } from '../consents/consents-account.router.ts';
import { createLegalDocumentRepository } from '../consents/legal-document.repository.ts';
import { createLegalGate } from '../consents/legal-gate.ts';
import { createLegalService } from '../consents/legal.service.ts';
import type { Models } from '../db/models.ts';
import type { Pages } from '../http/pages.ts';
import { createLegalStage } from '../interaction/stages/legal/legal.stage.ts';
import { createProfileStage } from '../interaction/stages/profile/profile.stage.ts';
import type { KeyStore } from '../keys/key-store.service.ts';
import type { Audit } from '../ops/audit.ts';
import type { Provider } from '../oidc/provider.ts';
import type { PolicyHooks } from '../oidc/policy/interaction-policy.ts';
import { createAttributeSchema } from './attribute-schema.ts';
import { createProfileAccountRouter } from './profile-account.router.ts';
import { createProfileGate } from './profile-gate.ts';
import { createProfileRepository } from './profile.repository.ts';
import { createProfileService } from './profile.service.ts';

// Wiring of the profile and legal-consent capability, called once from the composition root (container.ts) so the
// shared root only gains a few lines: repositories -> services -> policy gates -> stages -> account pages.

export interface ProfileCapabilityDeps {
  config: Config;
  models: Models;
  audit: Audit;
  keyStore: KeyStore;
  /** Change-evicted caches (db/change-cache.ts): published legal documents. */
  caches?: ChangeCaches;
}

export interface AccountRouterDeps {
  provider: () => Provider;
  pages: Pages;
  formMiddleware: Middleware[];
}

export function createProfileCapability(deps: ProfileCapabilityDeps) {
  const { config, models, audit } = deps;
  const schema = createAttributeSchema(config.profile);
  const repository = createProfileRepository(models.Account, schema);
  const profile = createProfileService({ schema, repository, config: config.profile, audit });
  const legal = createLegalService({
    documents: createLegalDocumentRepository(models.LegalDocument, deps.caches),
    records: createConsentRecordRepository(models.ConsentRecord),
    audit,
  });
  const receipts = createConsentReceiptService({ issuer: config.issuer, config: config.consents, privateJwks: () => deps.keyStore.privateJwks() });
  const findAccount = repository.findById;
  const policy: Required<Pick<PolicyHooks, 'profile' | 'legal'>> = {
    profile: createProfileGate({ profile, findAccount }),
    legal: createLegalGate(legal),
  };
  const accountSections: AccountSection[] = [
    { href: '/account/profile', label: 'profile.account_link' },
    { href: '/account/consents', label: 'legal.account_link' },
  ];

  return {
    schema, profile, legal, receipts, policy, accountSections,
    customClaims: { scope: config.profile.customScope, claims: schema.customKeys },
    stages: [
      createLegalStage({ legal, findAccount, audit }),
      createProfileStage({ profile, findAccount, audit }),
    ],
    routers(routerDeps: AccountRouterDeps): Router[] {
      return [
        createConsentsAccountRouter({ ...routerDeps, legal, receipts, audit }),
        createProfileAccountRouter({ ...routerDeps, profile, findAccount }),
      ];
    },
  };
}

export type ProfileCapability = ReturnType<typeof createProfileCapability>;
