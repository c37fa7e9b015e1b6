import type { AccountRepository } from '../accounts/account.repository.ts';
import type { AccountSection } from '../account/account.router.ts';
import type { Config } from '../config/config.schema.ts';
import type { MailQueue } from '../mail/mail-queue.ts';
import type { Audit } from '../shared/audit.ts';
import type { CibaHooks } from '../oidc/ciba.ts';
import type { FeatureModule, WebDeps } from '../modules/feature-module.ts';
import type { CibaApprovalModel } from './ciba-approval.model.ts';
import { createCibaApprovals } from './ciba-approval.service.ts';
import { createCibaRouter } from './ciba.router.ts';

// CIBA (OpenID CIBA Core 1.0) as one capability: the hooks the engine calls (src/oidc/ciba.ts), the approval pages,
// and the link on /account to the requests still waiting.
export interface CibaModuleDeps {
  config: Config;
  model: CibaApprovalModel;
  accounts: AccountRepository;
  mailQueue: MailQueue;
  audit: Audit;
}

export function createCibaModule(deps: CibaModuleDeps) {
  const approvals = createCibaApprovals(deps);
  const hooks: CibaHooks = {
    async accountIdByEmail(email) {
      const account = await deps.accounts.findByEmail(email);
      // The approval link goes to this address: one nobody has proven to own is not a way to reach the person.
      if (!account || (deps.config.accounts.requireVerifiedEmail && !account.emailVerified)) return undefined;
      return account._id;
    },
    mayNotify: async (accountId) => (await approvals.countPending(accountId)) < deps.config.ciba.maxPendingPerAccount,
    notify: (request) => approvals.notify(request),
  };
  const accountSections: AccountSection[] = [{ href: '/account/requests', label: 'ciba.pending.link' }];
  return {
    hooks,
    approvals,
    accountSections,
    routers: ({ provider, pages, formMiddleware }: Pick<WebDeps, 'provider' | 'pages' | 'formMiddleware'>) =>
      [createCibaRouter({ provider, pages, approvals, audit: deps.audit, formMiddleware })],
  } satisfies FeatureModule;
}

export type CibaModule = ReturnType<typeof createCibaModule>;
