import path from 'node:path';
import type { Connection } from 'mongoose';
import { createAccountClaim } from './accounts/account-claim.service.ts';
import { createAccountRepository } from './accounts/account.repository.ts';
import { ACCOUNT_BOOKKEEPING_FIELDS, createAccountCache } from './accounts/account-cache.ts';
import { createAccountService, type AccountService } from './accounts/account.service.ts';
import { createPasswordHasher } from './accounts/password.hasher.ts';
import { createLegacyCredentials } from './accounts/legacy-credentials.ts';
import type { Config } from './config/config.schema.ts';
import type { Models } from './db/models.ts';
import { createPages } from './http/pages.ts';
import { createRateLimits } from './shared/rate-limits.ts';
import { createViews } from './http/views.ts';
import { createI18n } from './i18n/i18n.ts';
import { createMfaModule, type MfaModule } from './mfa/mfa.module.ts';
import { createKeyStore } from './keys/key-store.service.ts';
import { createSecretBox } from './keys/secret-box.ts';
import { createMailer } from './mail/mailer.ts';
import { createMailQueue } from './mail/mail-queue.ts';
import { CACHED_MODELS, createMongoAdapterClass, engineCollectionName } from './oidc/adapter/mongo.adapter.ts';
import { createChangeCaches } from './db/change-cache.ts';
import { revokeEverythingOf } from './oidc/adapter/account-revocation.ts';
import { createClientService } from './oidc/client.service.ts';
import { accountClientMetadata } from './account/account-client.ts';
import type { AccountSection } from './account/account.router.ts';
import { createEnginePages } from './oidc/engine-pages.ts';
import { createProvider, type Provider } from './oidc/provider.ts';
import { createCookieKeys } from './http/cookie-keys.ts';
import { createAuditModule } from './audit/audit.module.ts';
import { createAdminModule } from './admin/admin.module.ts';
import { createScimModule } from './scim/scim.module.ts';
import { createConsoleModule } from './console/console.module.ts';
import { consoleClientMetadata } from './console/console-client.ts';
import { createUserDirectory } from './accounts/user-directory.service.ts';
import { createPersonalData } from './accounts/personal-data.service.ts';
import { endEverySession, endSessionByUid } from './oidc/end-session.ts';
import { createAccountSessions } from './oidc/account-sessions.ts';
import { createGroupService } from './groups/group.service.ts';
import { createConsentRecordRepository } from './consents/consent-record.repository.ts';
import { createSamlIdpModule } from './saml/idp/saml-idp.module.ts';
import { SP_COLLECTION } from './saml/idp/sp-registry.service.ts';
import { createActionTokenService } from './tokens/action-token.service.ts';
import type { Logger } from './shared/logger.ts';
import { createEventsModule } from './events/events.module.ts';
import { createExportModule } from './export/export.module.ts';
import { createLeadsModule } from './leads/leads.module.ts';
import { createPairwiseSubject, pairwiseSecretOf } from './keys/pairwise-subject.ts';
import { subjectFor } from './oidc/pairwise.ts';
import { createCibaModule } from './ciba/ciba.module.ts';

import { createStages } from './interaction/stages/index.ts';
import { createSamlConnectorType, createSamlSpModule } from './saml/sp/saml-sp.module.ts';
import { createProfileModule, type ProfileModule } from './profile/profile.module.ts';
import { createConsentsModule, type ConsentsModule } from './consents/consents.module.ts';
import { createFederationModule, type FederationModule } from './federation/federation.module.ts';
import { createConnectorTypes } from './federation/connector-registry.ts';
import { createMetricsModule, type Metrics } from './metrics/metrics.module.ts';
import { createSelfServiceModule, type SelfService } from './account/self-service/self-service.module.ts';
import type { FeatureModule, WebDeps } from './modules/feature-module.ts';

// Composition root: models -> repositories -> services -> provider -> stages. Nothing else wires dependencies.
// Every feature is a `create<Feature>Module` (src/modules/feature-module.ts); registries (stages, connector types,
// account sections) are built here and passed in.
export const VIEWS_DIR = path.resolve(import.meta.dirname, '..', 'views');
/** The release, named in the admin API's OpenAPI document. */
export const APP_VERSION = '0.1.0';

export interface ContainerOptions {
  /**
   * Register (or update for a new issuer) our own clients, the account pages' and the console's: the server does at
   * start; a CLI command does not, so an operator's shell with another ISSUER cannot rewrite their redirect URIs.
   */
  registerInternalClients?: boolean;
  /** Built by bootstrap (server.ts) before MongoDB is connected; a container of its own otherwise. */
  metrics?: Metrics;
}

export async function createContainer(config: Config, connection: Connection, models: Models, logger: Logger, options: ContainerOptions = {}) {
  const registerInternalClients = options.registerInternalClients ?? true;
  const base = await createFoundation(config, connection, models, logger, options.metrics);
  const { db, audit, pages, mailer, mailQueue, limits, keyStore, caches, accountRepository } = base;
  const mfa = createMfaModule({ config, models, accounts: accountRepository, mailer, audit, caches });
  // Per-site attributes and progressive profiling (src/profile); legal documents and consent records (src/consents).
  const profile = createProfileModule({ config, models, audit });
  const consents = createConsentsModule({ config, models, audit, keyStore, caches });
  const groups = createGroupService({ groups: models.Group, accounts: models.Account, audit });
  // CIBA: the engine asks these hooks who the person is and how to reach them (src/ciba).
  const ciba = createCibaModule({ config, model: models.CibaApproval, accounts: accountRepository, mailQueue, audit });
  const engine = await createEngine(base, {
    groupNames: groups.namesOf, policyHooks: { ...mfa.policy, ...profile.policy, ...consents.policy }, customClaims: profile.customClaims,
    ciba: ciba.hooks,
  });
  const provider = engine.currentProvider;
  const { hasher, accounts, claims } = createAccountServices(base, mfa);

  const clients = createClientService(db, provider, caches);
  if (registerInternalClients) await clients.ensureInternal(accountClientMetadata(config.issuer));
  const saml = createSamlIdpModule({
    config, models, keyStore, clients, provider, accounts: accountRepository, pages, audit, caches, groupNames: groups.namesOf, pairwise: base.pairwise,
  });
  // Upstream connector types: ours, and group-company SAML IdPs as login connectors (src/saml/sp).
  const connectorTypes = createConnectorTypes({ saml: createSamlConnectorType({ config, models, credentials: saml.credentials }) });
  const federation = createFederationModule({ config, models, accounts: accountRepository, claims, audit, provider, caches, connectorTypes });
  const stages = createStages({ config, provider, accounts, accountRepository, mailer, limits, audit, mfa, federation, profile, consents });
  const samlSp = createSamlSpModule({
    config, models, connectors: federation.connectors, transactions: federation.transactions, credentials: saml.credentials, pages, audit,
  });
  // Lite registration: leads captured without a password, carried into the account of their address (src/leads).
  const leads = createLeadsModule({ config, models, provider, accounts: accountRepository, profile, mailQueue, limits, audit, logger, caches });
  const directory = createDirectory(base, { provider, accounts, profile, consents, federation, saml, leads });
  // The customer's own password, email, sessions and connected apps on /account (src/account/self-service).
  const selfService = createSelfServiceModule({
    config, db, models, provider, accountRepository, accounts, users: directory.users, sessions: directory.accountSessions, hasher, limits, mailQueue, audit, logger,
  });
  const operations = await createOperations(base, {
    provider, clients, registerInternalClients, mfa, federation, saml, consents, profile, groups, leads, selfService, ...directory,
  });
  const accountSections = accountSectionsOf([mfa, federation, profile, consents], selfService, ciba);

  return {
    config, cookieKeys: base.cookieKeys, connection, logger, models, audit, auditTrail: base.auditTrail, views: base.views, i18n: base.i18n, pages, mailer, mailQueue, limits, keyStore,
    accountRepository, accounts, stages, mfa, users: directory.users, groups, accountSessions: directory.accountSessions, ...operations, leads,
    metrics: base.metrics, provider, reloadKeysIfRotated: engine.reloadKeysIfRotated, clients, accountSections, caches,
    profile: withConsents(profile, consents), consents, federation, saml, samlSp, selfService, ciba,
  };
}

export type Container = Awaited<ReturnType<typeof createContainer>>;
type Foundation = Awaited<ReturnType<typeof createFoundation>>;

/** Metrics, audit, pages, mail, limits, keys, the change caches and the account repository: what every feature uses. */
async function createFoundation(config: Config, connection: Connection, models: Models, logger: Logger, metricsOption?: Metrics) {
  const db = connection.db!;
  // Prometheus metrics: one Registry per container (src/metrics), fed by audit events, engine events, the driver.
  const metrics = metricsOption ?? createMetricsModule(config.metrics);
  // Every capability audits through this one function: the log line and the stored, queryable event.
  const auditTrail = createAuditModule({ config, model: models.AuditEvent, logger, observe: metrics.observeAudit });
  const audit = auditTrail.audit;
  const views = createViews(VIEWS_DIR);
  const i18n = createI18n(VIEWS_DIR);
  const pages = createPages(views, i18n, config);
  const mailer = createMailer({ smtpUrl: config.mail.smtpUrl, from: config.mail.from, logBodies: config.mail.logBodies, views, i18n, logger });
  // Mails whose sending would otherwise tell, by response time, whether an address has an account.
  const mailQueue = createMailQueue({ mailer, logger });
  const limits = createRateLimits(config.rateLimits, audit, db);

  const keyStore = createKeyStore(models.SigningKey, createSecretBox(config.secrets.keyEncryptionKey, 'signing-keys'), {
    maxSignedTokenTtlSeconds: Math.max(config.ttl.idToken, config.ttl.accessToken,
      ...Object.values(config.resourceServers).map((r) => r.accessTokenTTL)),
  });
  await keyStore.ensureKeys();

  // The signing key collection is watched too: a rotation by the CLI or another instance reloads the key set here
  // at once (server.ts), not only at the next poll.
  // Connectors and legal documents: read on every sign-in page or sign-in to a client with documents, rarely written.
  const caches = createChangeCaches(db, [
    ...CACHED_MODELS.map(engineCollectionName), SP_COLLECTION, models.SigningKey.collection.collectionName,
    models.Connector.collection.collectionName, models.LegalDocument.collection.collectionName, models.Account.collection.collectionName,
    models.MfaFactor.collection.collectionName, models.Lead.collection.collectionName,
  ], logger);
  metrics.watchCaches(caches);
  const accountCollection = models.Account.collection.collectionName;
  const accountRepository = createAccountRepository(models.Account, createAccountCache(
    models.Account.collection, caches.for(accountCollection, { patchable: ACCOUNT_BOOKKEEPING_FIELDS }), caches.derived(accountCollection),
  ));
  // One keyed hash for OIDC pairwise subjects and SAML persistent NameIDs (src/keys/pairwise-subject.ts).
  const pairwise = createPairwiseSubject(pairwiseSecretOf(config.secrets));
  // One signer for the app's cookies and every engine instance's: one memory of computed signatures.
  const cookieKeys = createCookieKeys(config.secrets.cookieKeys);
  return { config, connection, db, models, logger, metrics, auditTrail, audit, views, i18n, pages, mailer, mailQueue, limits, keyStore, caches, accountRepository, pairwise, cookieKeys };
}

/** The engine, rebuilt with the new key set after a rotation. */
async function createEngine(base: Foundation, hooks: Pick<Parameters<typeof createProvider>[0], 'groupNames' | 'policyHooks' | 'customClaims' | 'ciba'>) {
  const { config, db, caches, keyStore, metrics, audit } = base;
  const Adapter = createMongoAdapterClass(db, caches);
  const enginePages = createEnginePages(base.pages, { subjectFor: subjectFor(base.pairwise), cookiePrefix: config.cookies.prefix });
  const withMetrics = (engine: Provider) => { metrics.watchEngine(engine); return engine; };
  const buildProvider = async () => withMetrics(createProvider({
    config, cookieKeys: base.cookieKeys, jwks: await keyStore.privateJwks(), Adapter, accounts: base.accountRepository, pages: enginePages, logger: base.logger, audit,
    pairwise: base.pairwise, pollTimings: base.models.PollTiming, limits: base.limits, ...hooks,
  }));

  // The engine's key set is fixed per instance: after `idp keys rotate` a new instance is built with the new
  // keys. Sessions, grants and tokens live in MongoDB, so swapping instances loses nothing.
  let provider: Provider = await buildProvider();
  let keysVersion = await keyStore.version();
  const reloadKeysIfRotated = async (): Promise<boolean> => {
    const version = await keyStore.version();
    if (version === keysVersion) return false;
    provider = await buildProvider();
    keysVersion = version;
    audit('keys.reloaded', {});
    return true;
  };
  return { currentProvider: () => provider, reloadKeysIfRotated };
}

function createAccountServices(base: Foundation, mfa: MfaModule) {
  const { config, db, models, caches, audit } = base;
  const hasher = createPasswordHasher(config.passwords);
  const signOutEverywhere = (accountId: string) => revokeEverythingOf(db, accountId, caches);
  // An unverified account whose mailbox is then proven (linking step, password reset) loses what was set up before.
  const claims = createAccountClaim({ models, signOutEverywhere, audit });
  const accounts = createAccountService({
    config, accounts: base.accountRepository, hasher,
    tokens: createActionTokenService(models.ActionToken),
    mailQueue: base.mailQueue, limits: base.limits, audit: mfa.audit, claims, signOutEverywhere,
    legacy: config.migration.legacy ? createLegacyCredentials(config.migration.legacy) : undefined,
  });
  return { hasher, claims, accounts };
}

/** Managing accounts (admin API, SCIM, CLI): one directory service over the same models and the engine's sessions. */
function createDirectory(base: Foundation, deps: {
  provider: () => Provider; accounts: AccountService; profile: ProfileModule; consents: ConsentsModule;
  federation: FederationModule; saml: ReturnType<typeof createSamlIdpModule>; leads: ReturnType<typeof createLeadsModule>;
}) {
  const { db, models, caches, auditTrail, config } = base;
  const { consents, leads } = deps;
  const accountSessions = createAccountSessions(db, caches);
  const personalData = createPersonalData({
    models, db, sessions: accountSessions, auditQuery: auditTrail.query, flushAudit: auditTrail.flush, saml: deps.saml.accountData,
    logoutEverywhere: async (accountId) => endEverySession(deps.provider(), await accountSessions.sessionUids(accountId)),
    receipt: async (record) => {
      const version = await consents.legal.findVersion(record.documentId, record.version);
      return version ? consents.receipts.sign(record, version) : undefined;
    },
    extraErasers: [leads.directory.eraseFor], extraExports: { leads: leads.directory.exportFor },
  });
  const users = createUserDirectory({
    models, db, accounts: deps.accounts, schema: deps.profile.schema, profile: deps.profile.profile, sessions: accountSessions, audit: base.audit,
    unlinkIdentity: (accountId, identityId) => deps.federation.linking.unlink(accountId, identityId), personalData,
    deletionGraceDays: config.accounts.deletionGraceDays,
    endSessionByUid: (uid) => endSessionByUid(deps.provider(), uid),
  });
  return { accountSessions, users };
}

/** Events, export, the admin API, SCIM and the console: the operators' side. */
async function createOperations(base: Foundation, deps: {
  provider: () => Provider; clients: ReturnType<typeof createClientService>; registerInternalClients: boolean; mfa: MfaModule;
  federation: FederationModule; saml: ReturnType<typeof createSamlIdpModule>; consents: ConsentsModule; profile: ProfileModule;
  groups: ReturnType<typeof createGroupService>; leads: ReturnType<typeof createLeadsModule>; selfService: SelfService;
  users: ReturnType<typeof createUserDirectory>; accountSessions: ReturnType<typeof createAccountSessions>;
}) {
  const { config, db, models, audit, logger, keyStore } = base;
  const { provider, clients } = deps;
  const consentRecords = createConsentRecordRepository(models.ConsentRecord);
  // Events out (change streams -> event log -> signed webhooks); started by the server only.
  const events = createEventsModule({ config, db, models, audit, logger });
  const exports = createExportModule({ config, models, audit });
  /** Management tokens of a removed client stop working at once (the engine's client lookup is change-cached). */
  const clientExists = async (clientId: string) => Boolean(await provider().Client.find(clientId).catch(() => undefined));
  const admin = createAdminModule({
    config, keyStore, audit, version: APP_VERSION, users: deps.users, sessions: deps.accountSessions, mfa: deps.mfa.mfa, federation: deps.federation,
    consentRecords, clients, sps: deps.saml.sps, legal: deps.consents.legal, auditQuery: base.auditTrail.query, webhooks: events.webhooks,
    clientExists, exports, leads: deps.leads.directory, selfService: deps.selfService,
  });
  const scim = createScimModule({
    config, keyStore, audit, accounts: models.Account, users: deps.users, groups: deps.groups, schema: deps.profile.schema, clientExists,
  });
  if (deps.registerInternalClients) await clients.ensureInternal(consoleClientMetadata(config.issuer));
  const adminConsole = createConsoleModule({
    config, provider, pages: base.pages, invoker: admin.invoker, schema: deps.profile.schema, accounts: models.Account, events: models.AuditEvent,
  });
  return { admin, scim, adminConsole, events, exports };
}

/**
 * `container.profile` as the CLI, the app and the tests read it since before consents had a module of their own:
 * the profile module with the legal services and both account routers (consents first, as they were mounted).
 */
function withConsents(profile: ProfileModule, consents: ConsentsModule) {
  return {
    ...profile, legal: consents.legal, receipts: consents.receipts,
    routers: (web: Pick<WebDeps, 'provider' | 'pages' | 'formMiddleware'>) => [...consents.routers(web), ...profile.routers(web)],
  };
}

/** Links on /account, in the order shown: the features' (security, linked identities, profile, consents), then ours. */
function accountSectionsOf(features: FeatureModule[], selfService: FeatureModule, ciba: FeatureModule): AccountSection[] {
  return [
    ...features.flatMap((feature) => feature.accountSections ?? []),
    { href: '/account/data', label: 'account_data.link' }, ...(selfService.accountSections ?? []), ...(ciba.accountSections ?? []),
  ];
}
