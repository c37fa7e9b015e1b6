import { randomUUID } from 'node:crypto';
import type { AccountClaim } from '../accounts/account-claim.service.ts';
import type { AccountModel, Profile } from '../accounts/account.model.ts';
import { isDuplicateKey, normalizeEmail, type Account, type AccountRepository } from '../accounts/account.repository.ts';
import { AppError } from '../shared/app-error.ts';
import type { Audit } from '../shared/audit.ts';
import type { FederationModels, IdentityDocument } from './federation.models.ts';

// The heart of federation: which account an upstream identity belongs to.
// - a known (connector, subject) is that account;
// - an email the upstream *verified* that matches accounts is never linked silently: the person proves one of them
//   (password, or a code mailed to the address) first; several matches are never linked by guess;
// - an unverified or missing email is never used to link: the person confirms an address with a mailed code;
// - an account whose own address was never verified is claimed, not just linked, when the mailbox is proven: whoever
//   registered it may not own the address, so its password and everything else set up before the proof go
//   (accounts/account-claim.service.ts), and the person is told;
// - otherwise a new account is created just in time from the mapped claims.
// Every link, unlink and refusal is an audit event.

export interface UpstreamProfile {
  subject: string;
  email?: string;
  emailVerified: boolean;
  claims: Profile;
}

export type Resolution =
  | { kind: 'signin'; account: Account }
  | { kind: 'prove'; candidates: Account[] }
  | { kind: 'create' }
  | { kind: 'confirm_email' };

export interface LinkingDeps {
  models: FederationModels & { Account: AccountModel };
  accounts: AccountRepository;
  claims: AccountClaim;
  audit: Audit;
}

export function createLinkingService(deps: LinkingDeps) {
  const { Identity, Account } = deps.models;

  async function accountsWithEmail(email: string): Promise<Account[]> {
    return Account.find({ emailNormalized: normalizeEmail(email) }).sort({ createdAt: 1 }).limit(10).lean<Account[]>().exec();
  }

  return {
    accountsWithEmail,

    async accountsByIds(ids: string[]): Promise<Account[]> {
      return Account.find({ _id: { $in: ids }, status: 'active' }).sort({ createdAt: 1 }).lean<Account[]>().exec();
    },

    /**
     * The person proved the mailbox with a code: an unverified account becomes theirs, without what was set up before
     * the proof (the removed parts are returned; undefined when the address was verified already).
     */
    claimByMailbox: (accountId: string, connectorId: string) => deps.claims.claimByMailbox(accountId, { method: 'federation_email_code', connectorId }),

    async resolve(connectorId: string, profile: UpstreamProfile): Promise<Resolution> {
      const identity = await Identity.findOne({ connectorId, subject: profile.subject }).lean<IdentityDocument>().exec();
      if (identity) {
        const account = await deps.accounts.findById(identity.accountId);
        if (account) {
          if (account.status !== 'active') {
            deps.audit('federation.login.refused', { connectorId, accountId: account._id, reason: 'blocked' });
            throw new AppError('account.blocked', 403);
          }
          await Identity.updateOne({ _id: identity._id }, { $set: { lastUsedAt: new Date() } }).exec();
          return { kind: 'signin', account };
        }
        await Identity.deleteOne({ _id: identity._id }).exec(); // its account was deleted: a new start
      }
      if (!profile.email || !profile.emailVerified) return { kind: 'confirm_email' };
      const candidates = await accountsWithEmail(profile.email);
      return candidates.length ? { kind: 'prove', candidates } : { kind: 'create' };
    },

    /** Links an upstream identity to an account whose ownership was just proven (or that was just created). */
    async link(accountId: string, connectorId: string, profile: UpstreamProfile, proof: string): Promise<void> {
      try {
        await Identity.create({ _id: randomUUID(), connectorId, subject: profile.subject, accountId, email: profile.email, lastUsedAt: new Date() });
      } catch (error) {
        if (!isDuplicateKey(error)) throw error;
        deps.audit('federation.link.refused', { connectorId, accountId, reason: 'identity_linked_elsewhere' });
        throw new AppError('federation.already_linked', 409);
      }
      deps.audit('federation.identity.linked', { connectorId, accountId, proof });
    },

    /** A new account from the upstream's claims; undefined when the address was taken meanwhile. */
    async createAccount(email: string, emailVerified: boolean, profile: UpstreamProfile, connectorId: string): Promise<Account | undefined> {
      try {
        const account = await deps.accounts.create({ email, emailVerified, profile: profile.claims });
        deps.audit('account.created', { accountId: account._id, method: 'federation', connectorId });
        return account;
      } catch (error) {
        if (isDuplicateKey(error)) return undefined;
        throw error;
      }
    },

    async identitiesOf(accountId: string): Promise<IdentityDocument[]> {
      return Identity.find({ accountId }).sort({ createdAt: 1 }).lean<IdentityDocument[]>().exec();
    },

    /** Removes a link, unless it is the account's last way to sign in (no password and no other identity). */
    async unlink(accountId: string, identityId: string): Promise<void> {
      const identities = await Identity.find({ accountId }).lean<IdentityDocument[]>().exec();
      const identity = identities.find((i) => i._id === identityId);
      if (!identity) throw new AppError('federation.identity_not_found', 404);
      const account = await deps.accounts.findById(accountId);
      const otherWays = identities.length - 1 + (account?.passwordHash ? 1 : 0);
      if (otherWays < 1) {
        deps.audit('federation.unlink.refused', { accountId, connectorId: identity.connectorId, reason: 'last_sign_in_method' });
        throw new AppError('federation.last_method', 409);
      }
      await Identity.deleteOne({ _id: identityId, accountId }).exec();
      deps.audit('federation.identity.unlinked', { accountId, connectorId: identity.connectorId });
    },
  };
}

export type LinkingService = ReturnType<typeof createLinkingService>;
