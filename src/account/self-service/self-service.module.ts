import type { mongo } from 'mongoose';
import type { AccountRepository } from '../../accounts/account.repository.ts';
import type { AccountService } from '../../accounts/account.service.ts';
import type { PasswordHasher } from '../../accounts/password.hasher.ts';
import type { UserDirectory } from '../../accounts/user-directory.service.ts';
import type { Config } from '../../config/config.schema.ts';
import type { Models } from '../../db/models.ts';
import type { RateLimits } from '../../config/config.schema.ts';
import type { MailQueue } from '../../mail/mail-queue.ts';
import type { Audit } from '../../shared/audit.ts';
import type { Logger } from '../../shared/logger.ts';
import type { FeatureModule, WebDeps } from '../../modules/feature-module.ts';
import type { AccountSessions } from '../../oidc/account-sessions.ts';
import { createEngineClients } from '../../oidc/engine-store.ts';
import type { Provider } from '../../oidc/provider.ts';
import { createActionTokenService } from '../../tokens/action-token.service.ts';
import type { AccountSection } from '../account.router.ts';
import { createSessionDevices } from '../sessions/session-devices.service.ts';
import { createSelfApps } from './apps.service.ts';
import { createCredentialsRouter } from './credentials.router.ts';
import { createEmailChange } from './email-change.service.ts';
import { createPasswordChange } from './password-change.service.ts';
import { createSelfSessions } from './sessions.service.ts';
import { createSessionsAppsRouter } from './sessions-apps.router.ts';

// The customer's self-service on /account: change password, change email, sign-in sessions, connected apps. Built
// once by the composition root; each action is one service call, used by the routers here (and by anyone else who
// needs the same action, e.g. an operator's tool).

export interface SelfServiceDeps {
  config: Config;
  db: mongo.Db;
  models: Models;
  provider: () => Provider;
  accountRepository: AccountRepository;
  accounts: AccountService;
  users: UserDirectory;
  sessions: AccountSessions;
  hasher: PasswordHasher;
  limits: RateLimits;
  mailQueue: MailQueue;
  audit: Audit;
  logger: Logger;
}

export function createSelfServiceModule(deps: SelfServiceDeps) {
  const { config, audit } = deps;
  const devices = createSessionDevices({
    model: deps.models.SessionDevice, sessionTtlSeconds: config.ttl.session, geoHeader: config.mfa.risk.geoHeader,
    touchIntervalSeconds: config.selfService.lastSeenIntervalSeconds, logger: deps.logger,
  });
  const internalClients = createEngineClients(deps.db).internalIds;
  const sessions = createSelfSessions({ provider: deps.provider, sessions: deps.sessions, devices, internalClients, audit });
  const apps = createSelfApps({ db: deps.db, provider: deps.provider, sessions: deps.sessions, samlParticipants: deps.models.SamlParticipant, audit });
  const passwords = createPasswordChange({
    accounts: deps.accountRepository, policy: deps.accounts, hasher: deps.hasher, limits: deps.limits, mailQueue: deps.mailQueue, audit, sessions,
  });
  const emails = createEmailChange({
    accounts: deps.accountRepository, users: deps.users, tokens: createActionTokenService(deps.models.ActionToken), tokenModel: deps.models.ActionToken,
    limits: deps.limits, mailQueue: deps.mailQueue, audit, issuer: config.issuer, ttlSeconds: config.selfService.emailChangeTtl,
  });
  /** Links on /account. */
  const accountSections: AccountSection[] = [
    { href: '/account/email', label: 'self_service.email.title' },
    { href: '/account/password', label: 'self_service.password.title' },
    { href: '/account/sessions', label: 'self_service.sessions.title' },
    { href: '/account/apps', label: 'self_service.apps.title' },
  ];

  return {
    devices, sessions, apps, passwords, emails, accountSections,
    routers: ({ pages, formMiddleware }: Pick<WebDeps, 'pages' | 'formMiddleware'>) => [
      createCredentialsRouter({
        provider: deps.provider, pages, formMiddleware, accounts: deps.accountRepository, passwords, emails,
        freshSignInSeconds: config.mfa.recentAuthSeconds,
      }),
      createSessionsAppsRouter({ provider: deps.provider, pages, formMiddleware, sessions, apps, devices }),
    ],
  } satisfies FeatureModule;
}

export type SelfService = ReturnType<typeof createSelfServiceModule>;
