import type { Middleware } from 'koa';
import type { AccountClaim } from '../accounts/account-claim.service.ts';
import type { AccountRepository } from '../accounts/account.repository.ts';
import type { PasswordHasher } from '../accounts/password.hasher.ts';
import type { AccountSection } from '../account/account.router.ts';
import type { Config } from '../config/config.schema.ts';
import type { Models } from '../db/models.ts';
import type { RateLimits } from '../http/rate-limits.ts';
import { createSecretBox } from '../keys/secret-box.ts';
import type { Mailer } from '../mail/mailer.ts';
import type { Audit } from '../ops/audit.ts';
import type { Provider } from '../oidc/provider.ts';
import type { Pages } from '../http/pages.ts';
import type { ChangeCaches } from '../db/change-cache.ts';
import { createIdentitiesRouter } from './identities.router.ts';
import { bindingCookie } from './binding-cookie.ts';
import { createConnectorService } from './connector.service.ts';
import { createFederatedStage } from './federated.stage.ts';
import { createFederationRouter } from './federation.router.ts';
import { createLinkingService } from './linking.service.ts';
import { createFederationLoginExtension } from './login-page.extension.ts';
import { createTransactionService } from './transaction.service.ts';

// Wires the federation capability (called once from the composition root): connectors, transactions, linking,
// the login-prompt stage, the login-page buttons, the callback router and the account page section.

export interface FederationDeps {
  config: Config;
  models: Models;
  accounts: AccountRepository;
  /** Claiming an unverified account when its mailbox is proven (see linking.service.ts). */
  claims: AccountClaim;
  hasher: PasswordHasher;
  mailer: Mailer;
  limits: RateLimits;
  audit: Audit;
  provider: () => Provider;
  /** Change-evicted caches (db/change-cache.ts), for the connector list read on every sign-in page. */
  caches?: ChangeCaches;
}

export function createFederation(deps: FederationDeps) {
  const { config, models } = deps;
  const connectors = createConnectorService({
    models, box: createSecretBox(config.secrets.keyEncryptionKey, 'connector-secrets'), issuer: config.issuer,
    allowHttp: config.nodeEnv !== 'production', caches: deps.caches,
  });
  const transactions = createTransactionService({
    models, box: createSecretBox(config.secrets.keyEncryptionKey, 'federation-transactions'), ttlSeconds: config.ttl.interaction,
  });
  const linking = createLinkingService({ models, accounts: deps.accounts, claims: deps.claims, audit: deps.audit });
  const binding = bindingCookie(config.cookies.prefix);
  const stage = createFederatedStage({ ...deps, connectors, transactions, linking, binding });
  const accountSection: AccountSection = { href: '/account/identities', label: 'federation.account.section' };

  return {
    connectors, transactions, linking, stage, accountSection,
    loginExtension: createFederationLoginExtension({ provider: deps.provider, connectors, transactions }),
    routers: (formMiddleware: Middleware[], pages: Pages) => [
      createFederationRouter({ config, connectors, transactions, binding, pages, audit: deps.audit }),
      createIdentitiesRouter({ config, provider: deps.provider, connectors, transactions, linking, binding, pages, formMiddleware }),
    ],
  };
}

export type Federation = ReturnType<typeof createFederation>;
