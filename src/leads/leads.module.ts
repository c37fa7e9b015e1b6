import type Router from '@koa/router';
import type { AccountRepository } from '../accounts/account.repository.ts';
import type { Config } from '../config/config.schema.ts';
import { createConsentRecordRepository } from '../consents/consent-record.repository.ts';
import { createLegalDocumentRepository } from '../consents/legal-document.repository.ts';
import type { ChangeCaches } from '../db/change-cache.ts';
import type { Models } from '../db/models.ts';
import type { FeatureModule, WebDeps } from '../modules/feature-module.ts';
import { evictOnWrite } from '../db/write-hook.ts';
import type { RateLimits } from '../config/config.schema.ts';
import type { MailQueue } from '../mail/mail-queue.ts';
import type { Audit } from '../shared/audit.ts';
import type { Logger } from '../shared/logger.ts';
import type { Provider } from '../oidc/provider.ts';
import type { ProfileModule } from '../profile/profile.module.ts';
import { createActionTokenService } from '../tokens/action-token.service.ts';
import { createLeadClients } from './lead-clients.ts';
import { createLeadConversion } from './lead-conversion.ts';
import { createLeadDirectory } from './lead-directory.ts';
import { createLeadService } from './lead.service.ts';
import { createLeadsApiRouter } from './leads-api.router.ts';
import { createLeadsPageRouter } from './leads-page.router.ts';

// Wiring of lite registration (leads), called once from the composition root: repositories -> capture and
// verification service -> conversion into accounts -> directory (CLI, admin API, personal data) -> routers.

export interface LeadsModuleDeps {
  config: Config;
  models: Models;
  provider: () => Provider;
  accounts: AccountRepository;
  profile: Pick<ProfileModule, 'schema' | 'profile'>;
  mailQueue: MailQueue;
  limits: RateLimits;
  audit: Audit;
  logger: Logger;
  /** The change caches, when the leads collection is among the watched ones (an address without a lead is remembered). */
  caches?: ChangeCaches;
}

/** Paths the app hands to the leads routers (src/app.ts). */
export const LEAD_PATHS = ['/lite/', '/api/v1/leads'];

export function createLeadsModule(deps: LeadsModuleDeps) {
  const { config, models, audit } = deps;
  const documents = createLegalDocumentRepository(models.LegalDocument);
  const noLead = deps.caches?.derived<true>(models.Lead.collection.collectionName);
  // Any write to the leads from this process (capture, verification, conversion, erasure, admin) drops what is
  // remembered at once; other instances' writes do through the change stream.
  if (noLead) evictOnWrite(models.Lead.collection, () => noLead.clear());
  const schema = deps.profile.schema;
  const conversion = createLeadConversion({
    model: models.Lead, records: createConsentRecordRepository(models.ConsentRecord), schema, profile: deps.profile.profile,
    tokens: models.ActionToken, audit, noLead,
  });
  const service = createLeadService({
    issuer: config.issuer, config: config.leads, model: models.Lead, accounts: deps.accounts, schema, documents,
    tokens: createActionTokenService(models.ActionToken), mailQueue: deps.mailQueue, limits: deps.limits, audit, conversion,
  });
  const directory = createLeadDirectory({ model: models.Lead, tokens: models.ActionToken, audit });
  const clients = createLeadClients(deps.provider);

  return {
    ...service,
    directory,
    convert: conversion.convert,
    /**
     * Every finished sign-in (password, sign-up, social, SAML, passkey) passes here before the engine's later
     * prompts run, so carried consents already count for the legal prompt. A failure never blocks the sign-in:
     * the lead stays and is carried at a later sign-in.
     */
    async onSignIn(accountId: string): Promise<void> {
      try {
        const account = await deps.accounts.findById(accountId);
        if (account) await conversion.convert(account);
      } catch (error) {
        deps.logger.warn({ event: 'lead.conversion_failed', err: (error as Error).message }, 'lead.conversion_failed');
      }
    },
    routers({ pages, formMiddleware }: Pick<WebDeps, 'pages' | 'formMiddleware'>): Router[] {
      return [
        createLeadsPageRouter({ pages, formMiddleware, clients, leads: service, schema, documents }),
        createLeadsApiRouter({ clients, leads: service, audit, realm: config.issuer, defaultLocale: config.i18n.defaultLocale }),
      ];
    },
  } satisfies FeatureModule;
}

export type LeadsModule = ReturnType<typeof createLeadsModule>;
