import path from 'node:path';
import type { Connection } from 'mongoose';
import { createAccountClaim } from './accounts/account-claim.service.ts';
import { createPasswordStamp } from './accounts/password-stamp.ts';
import { createAccountRepository } from './accounts/account.repository.ts';
import { ACCOUNT_BOOKKEEPING_FIELDS, createAccountCache } from './accounts/account-cache.ts';
import { createAccountService } from './accounts/account.service.ts';
import { createPasswordHasher } from './accounts/password.hasher.ts';
import { createLegacyCredentials } from './accounts/legacy-credentials.ts';
import type { Config } from './config/config.schema.ts';
import type { Models } from './db/models.ts';
import { createPages } from './http/pages.ts';
import { createRateLimits } from './http/rate-limits.ts';
import { createViews } from './http/views.ts';
import { createI18n } from './i18n/i18n.ts';
import { createStageRegistry } from './interaction/stage.ts';
import { createConsentStage } from './interaction/stages/consent/consent.stage.ts';
import { createLoginStage } from './interaction/stages/login/login.stage.ts';
import { createForgotPasswordStage } from './interaction/stages/password/forgot-password.stage.ts';
import { createRegisterStage } from './interaction/stages/register/register.stage.ts';
import { createMfaEnrolStage } from './interaction/stages/mfa/mfa-enrol.stage.ts';
import { createMfaStage } from './interaction/stages/mfa/mfa.stage.ts';
import { createPasskeyLoginStage } from './interaction/stages/mfa/passkey-login.stage.ts';
import { createMfaModule } from './mfa/mfa.module.ts';
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
import { endEverySession } from './oidc/end-session.ts';
import { createAccountSessions } from './oidc/account-sessions.ts';
import { createGroupService } from './groups/group.service.ts';
import { createConsentRecordRepository } from './consents/consent-record.repository.ts';
import { createSamlIdp } from './saml/idp/saml-idp.ts';
import { createSamlSp } from './saml/sp/saml-sp.module.ts';
import { SP_COLLECTION } from './saml/idp/sp-registry.service.ts';
import { createActionTokenService } from './tokens/action-token.service.ts';
import type { Logger } from './ops/logger.ts';
import { createProfileCapability } from './profile/profile.capability.ts';
import { createFederation } from './federation/federation.module.ts';
import { createEventsModule } from './events/events.module.ts';
import { createExportModule } from './export/export.module.ts';
import { createLeadsModule } from './leads/leads.module.ts';
import { createMetrics, type Metrics } from './metrics/metrics.module.ts';
import { createPairwiseSubject, pairwiseSecretOf } from './keys/pairwise-subject.ts';
import { subjectFor } from './oidc/pairwise.ts';
import { createSelfService } from './account/self-service/self-service.module.ts';
import { createCibaModule } from './ciba/ciba.module.ts';

// Composition root: models -> repositories -> services -> provider -> stages. Nothing else wires dependencies.
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
  const db = connection.db!;
  // Prometheus metrics: one Registry per container (src/metrics), fed by audit events, engine events, the driver.
  const metrics = options.metrics ?? createMetrics(config.metrics);
  // Every capability audits through this one function: the log line and the stored, queryable event.
  const auditTrail = createAuditModule({ config, model: models.AuditEvent, logger, observe: metrics.observeAudit });
  const audit = auditTrail.audit;
  const views = createViews(VIEWS_DIR);
  const i18n = createI18n(VIEWS_DIR);
  const pages = createPages(views, i18n, config);
  const mailer = createMailer({ smtpUrl: config.mail.smtpUrl, from: config.mail.from, logBodies: config.mail.logBodies, views, i18n, logger });
  // Mails whose sending would otherwise tell, by response time, whether an address has an account.
  const mailQueue = createMailQueue({ mailer, logger });
  const limits = createRateLimits(config, audit, db);

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
  const Adapter = createMongoAdapterClass(db, caches);
  const accountCollection = models.Account.collection.collectionName;
  const accountRepository = createAccountRepository(models.Account, createAccountCache(
    models.Account.collection, caches.for(accountCollection, { patchable: ACCOUNT_BOOKKEEPING_FIELDS }), caches.derived(accountCollection),
  ));
  // One keyed hash for OIDC pairwise subjects and SAML persistent NameIDs (src/keys/pairwise-subject.ts).
  const pairwise = createPairwiseSubject(pairwiseSecretOf(config.secrets));
  const enginePages = createEnginePages(pages, { subjectFor: subjectFor(pairwise), cookiePrefix: config.cookies.prefix });
  const mfa = createMfaModule({ config, models, accounts: accountRepository, mailer, audit, caches });
  // Per-site attributes, progressive profiling and legal consents (src/profile, src/consents).
  const profileCapability = createProfileCapability({ config, models, audit, keyStore, caches });
  const groups = createGroupService({ groups: models.Group, accounts: models.Account, audit });
  // CIBA: the engine asks these hooks who the person is and how to reach them (src/ciba).
  const ciba = createCibaModule({ config, model: models.CibaApproval, accounts: accountRepository, mailQueue, audit });
  // One signer for the app's cookies and every engine instance's: one memory of computed signatures.
  const cookieKeys = createCookieKeys(config.secrets.cookieKeys);
  const buildProvider = async () => withMetrics(createProvider({
    config, cookieKeys, jwks: await keyStore.privateJwks(), Adapter, accounts: accountRepository, pages: enginePages, logger, audit, groupNames: groups.namesOf,
    policyHooks: { mfa: mfa.policy, ...profileCapability.policy }, customClaims: profileCapability.customClaims, pairwise,
    pollTimings: models.PollTiming, ciba: ciba.hooks, limits,
  }));
  const withMetrics = (engine: Provider) => { metrics.watchEngine(engine); return engine; };

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
  const currentProvider = () => provider;

  const hasher = createPasswordHasher(config.passwords);
  const signOutEverywhere = (accountId: string) => revokeEverythingOf(db, accountId, caches);
  // An unverified account whose mailbox is then proven (linking step, password reset) loses what was set up before.
  const claims = createAccountClaim({ models, signOutEverywhere, audit });
  const accounts = createAccountService({
    config, accounts: accountRepository, hasher,
    tokens: createActionTokenService(models.ActionToken),
    mailQueue, limits, audit: mfa.audit, claims, signOutEverywhere,
    legacy: config.migration.legacy ? createLegacyCredentials(config.migration.legacy) : undefined,
  });

  const federation = createFederation({
    config, models, accounts: accountRepository, claims, hasher, mailer, limits, audit, provider: currentProvider, caches,
  });
  const stages = createStageRegistry([
    createLoginStage({ config, accounts, passwordStamp: createPasswordStamp(accountRepository), audit, pageExtensions: [federation.loginExtension] }),
    createRegisterStage({
      accounts, pageExtensions: [federation.loginExtension],
      validateProfile: (input, keys) => profileCapability.schema.validate(input, keys, []),
    }),
    federation.stage,
    createForgotPasswordStage({ accounts }),
    createConsentStage({ provider: currentProvider, audit }),
    createMfaStage({ mfa: mfa.mfa, limits, audit, devices: mfa.remembering }),
    createMfaEnrolStage({ mfa: mfa.mfa, limits }),
    createPasskeyLoginStage({ passkeys: mfa.passkeys, limits, audit }),
    ...profileCapability.stages,
  ]);

  const clients = createClientService(db, currentProvider, caches);
  if (registerInternalClients) await clients.ensureInternal(accountClientMetadata(config.issuer));
  const saml = createSamlIdp({
    config, models, keyStore, clients, provider: currentProvider, accounts: accountRepository, pages, audit, caches, groupNames: groups.namesOf, pairwise,
  });
  // Group-company SAML IdPs as login connectors (registers the `saml` connector type).
  const samlSp = createSamlSp({
    config, models, connectors: federation.connectors, transactions: federation.transactions, credentials: saml.credentials, pages, audit,
  });
  // Managing accounts (admin API, SCIM, CLI): one directory service over the same models and the engine's sessions.
  const accountSessions = createAccountSessions(db, caches);
  // Lite registration: leads captured without a password, carried into the account of their address (src/leads).
  const leads = createLeadsModule({
    config, models, provider: currentProvider, accounts: accountRepository, profile: profileCapability, mailQueue, limits, audit, logger, caches,
  });
  const personalData = createPersonalData({
    models, db, sessions: accountSessions, auditQuery: auditTrail.query, flushAudit: auditTrail.flush, saml: saml.accountData,
    logoutEverywhere: async (accountId) => endEverySession(currentProvider(), await accountSessions.sessionUids(accountId)),
    receipt: async (record) => {
      const version = await profileCapability.legal.findVersion(record.documentId, record.version);
      return version ? profileCapability.receipts.sign(record, version) : undefined;
    },
    extraErasers: [leads.directory.eraseFor], extraExports: { leads: leads.directory.exportFor },
  });
  const users = createUserDirectory({
    models, db, accounts, schema: profileCapability.schema, profile: profileCapability.profile, sessions: accountSessions, audit,
    unlinkIdentity: (accountId, identityId) => federation.linking.unlink(accountId, identityId), personalData,
    deletionGraceDays: config.accounts.deletionGraceDays,
  });
  // The customer's own password, email, sessions and connected apps on /account (src/account/self-service).
  const selfService = createSelfService({
    config, db, models, provider: currentProvider, accountRepository, accounts, users, sessions: accountSessions, hasher, limits, mailQueue, audit, logger,
  });
  const consentRecords = createConsentRecordRepository(models.ConsentRecord);
  // Events out (change streams -> event log -> signed webhooks); started by the server only.
  const events = createEventsModule({ config, db, models, audit, logger });
  const exports = createExportModule({ config, models, audit });
  /** Management tokens of a removed client stop working at once (the engine's client lookup is change-cached). */
  const clientExists = async (clientId: string) => Boolean(await currentProvider().Client.find(clientId).catch(() => undefined));
  const admin = createAdminModule({
    config, keyStore, audit, version: APP_VERSION, users, sessions: accountSessions, mfa: mfa.mfa, federation, consentRecords, clients,
    sps: saml.sps, legal: profileCapability.legal, auditQuery: auditTrail.query, webhooks: events.webhooks,
    clientExists, exports, leads: leads.directory, selfService,
  });

  const scim = createScimModule({
    config, keyStore, audit, accounts: models.Account, users, groups, schema: profileCapability.schema,
    clientExists,
  });

  if (registerInternalClients) await clients.ensureInternal(consoleClientMetadata(config.issuer));
  const adminConsole = createConsoleModule({
    config, provider: currentProvider, pages, invoker: admin.invoker, schema: profileCapability.schema, accounts: models.Account, events: models.AuditEvent,
  });

  /** Links on /account; capabilities add theirs (security, linked identities, consents). */
  const accountSections: AccountSection[] = [
    { href: '/account/security', label: 'mfa.account.title' }, federation.accountSection, ...profileCapability.accountSections,
    { href: '/account/data', label: 'account_data.link' }, ...selfService.sections, ciba.accountSection,
  ];

  return {
    config, cookieKeys, connection, logger, models, audit, auditTrail, views, i18n, pages, mailer, mailQueue, limits, keyStore,
    accountRepository, accounts, stages, mfa, users, groups, accountSessions, admin, scim, adminConsole, events, exports, leads, metrics,
    provider: currentProvider,
    reloadKeysIfRotated,
    clients,
    accountSections,
    caches,
    profile: profileCapability,
    federation,
    saml,
    samlSp,
    selfService,
    ciba,
  };
}

export type Container = Awaited<ReturnType<typeof createContainer>>;
