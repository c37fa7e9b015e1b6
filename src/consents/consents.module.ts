import type { AccountSection } from '../account/account.router.ts';
import type { ChangeCaches } from '../db/change-cache.ts';
import type { Config } from '../config/config.schema.ts';
import type { Models } from '../db/models.ts';
import type { KeyStore } from '../keys/key-store.service.ts';
import type { Audit } from '../shared/audit.ts';
import type { FeatureModule, WebDeps } from '../modules/feature-module.ts';
import { createConsentReceiptService } from './consent-receipt.service.ts';
import { createConsentRecordRepository } from './consent-record.repository.ts';
import { createConsentsAccountRouter } from './consents-account.router.ts';
import { createLegalDocumentRepository } from './legal-document.repository.ts';
import { createLegalGate } from './legal-gate.ts';
import { createLegalService } from './legal.service.ts';

// Wiring of versioned legal documents and consent records, called once from the composition root (container.ts):
// repositories -> legal service and signed receipts -> the `legal` prompt's gate -> the account page. Its stage
// is built with the others (src/interaction/stages/index.ts).

export interface ConsentsModuleDeps {
  config: Config;
  models: Models;
  audit: Audit;
  keyStore: KeyStore;
  /** Change-evicted caches (db/change-cache.ts): published legal documents. */
  caches?: ChangeCaches;
}

export function createConsentsModule(deps: ConsentsModuleDeps) {
  const { config, models, audit } = deps;
  const legal = createLegalService({
    documents: createLegalDocumentRepository(models.LegalDocument, deps.caches),
    records: createConsentRecordRepository(models.ConsentRecord),
    audit,
  });
  const receipts = createConsentReceiptService({ issuer: config.issuer, config: config.consents, privateJwks: () => deps.keyStore.privateJwks() });
  const accountSections: AccountSection[] = [{ href: '/account/consents', label: 'legal.account_link' }];

  return {
    legal, receipts, accountSections,
    policy: { legal: createLegalGate(legal) },
    routers: (web: Pick<WebDeps, 'provider' | 'pages' | 'formMiddleware'>) => [createConsentsAccountRouter({ ...web, legal, receipts, audit })],
  } satisfies FeatureModule;
}

export type ConsentsModule = ReturnType<typeof createConsentsModule>;
