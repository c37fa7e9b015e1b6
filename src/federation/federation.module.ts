import type { AccountClaim } from '../accounts/account-claim.service.ts';
import type { AccountRepository } from '../accounts/account.repository.ts';
import type { AccountSection } from '../account/account.router.ts';
import type { Config } from '../config/config.schema.ts';
import type { Models } from '../db/models.ts';
import { createSecretBox } from '../keys/secret-box.ts';
import type { Audit } from '../shared/audit.ts';
import type { Provider } from '../oidc/provider.ts';
import type { ChangeCaches } from '../db/change-cache.ts';
import type { FeatureModule, WebDeps } from '../modules/feature-module.ts';
import { createIdentitiesRouter } from './identities.router.ts';
import { bindingCookie } from './binding-cookie.ts';
import type { ConnectorTypes } from './connector-registry.ts';
import { createConnectorService } from './connector.service.ts';
import { createFederationRouter } from './federation.router.ts';
import { createLinkingService } from './linking.service.ts';
import { createTransactionService } from './transaction.service.ts';

// Wires the federation feature (called once from the composition root): connectors, transactions, linking,
// the callback router and the account page section. Its stage and login-page buttons are built with the other
// stages (src/interaction/stages/index.ts) from the services returned here.

export interface FederationDeps {
  config: Config;
  models: Models;
  accounts: AccountRepository;
  /** Claiming an unverified account when its mailbox is proven (see linking.service.ts). */
  claims: AccountClaim;
  audit: Audit;
  provider: () => Provider;
  /** The connector types (connector-registry.ts), built by the composition root. */
  connectorTypes: ConnectorTypes;
  /** Change-evicted caches (db/change-cache.ts), for the connector list read on every sign-in page. */
  caches?: ChangeCaches;
}

export function createFederationModule(deps: FederationDeps) {
  const { config, models } = deps;
  const connectors = createConnectorService({
    models, box: createSecretBox(config.secrets.keyEncryptionKey, 'connector-secrets'), issuer: config.issuer,
    allowHttp: config.nodeEnv !== 'production', caches: deps.caches, types: deps.connectorTypes,
  });
  const transactions = createTransactionService({
    models, box: createSecretBox(config.secrets.keyEncryptionKey, 'federation-transactions'), ttlSeconds: config.ttl.interaction,
  });
  const linking = createLinkingService({ models, accounts: deps.accounts, claims: deps.claims, audit: deps.audit });
  const binding = bindingCookie(config.cookies.prefix);
  const accountSections: AccountSection[] = [{ href: '/account/identities', label: 'federation.account.section' }];

  return {
    connectors, transactions, linking, binding, accountSections,
    routers: ({ formMiddleware, pages }: Pick<WebDeps, 'formMiddleware' | 'pages'>) => [
      createFederationRouter({ config, connectors, transactions, binding, pages, audit: deps.audit }),
      createIdentitiesRouter({ config, provider: deps.provider, connectors, transactions, linking, binding, pages, formMiddleware }),
    ],
  } satisfies FeatureModule;
}

export type FederationModule = ReturnType<typeof createFederationModule>;
/** The name admin operations use (src/admin/operations/admin-deps.ts). */
export type Federation = FederationModule;
