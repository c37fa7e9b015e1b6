import type { Models } from '../db/models.ts';
import type { Audit } from '../shared/audit.ts';

// Claiming an account by its mailbox. An account whose address was never verified may have been registered by
// someone who does not own the address (a "pre-account hijack"): they chose its password and, where unverified
// sign-ins are allowed, may have added sessions, grants, second factors, remembered devices and linked services.
// When the mailbox owner then proves the address (a mailed code, as the linking step asks), the account becomes
// theirs, so nothing set up before that proof may survive it: it is all removed in the same step that marks the
// address verified. The account id (the OIDC `sub`) is kept, since the address was the owner's all along and sites
// may already know the account by it.

/** The account, its factors, pending MFA challenges, devices and linked upstream identities (all keyed by `accountId`). */
export type ClaimModels = Pick<Models, 'Account' | 'MfaFactor' | 'MfaChallenge' | 'MfaDevice' | 'Identity'>;

export interface AccountClaimDeps {
  models: ClaimModels;
  /** Ends every sign-in session of the account and revokes its grants and their tokens. */
  signOutEverywhere(accountId: string): Promise<{ sessions: number; grants: number }>;
  audit: Audit;
}

/** What a claim removed: the page tells the person, the audit event records it. */
export interface ClaimResult {
  password: boolean;
  sessions: number;
  grants: number;
  factors: number;
  devices: number;
  identities: number;
}

export function createAccountClaim(deps: AccountClaimDeps) {
  const { Account, MfaFactor, MfaChallenge, MfaDevice, Identity } = deps.models;
  const removeAll = async (model: ClaimModels[Exclude<keyof ClaimModels, 'Account'>], accountId: string) =>
    (await (model as ClaimModels['MfaDevice']).deleteMany({ accountId }).exec()).deletedCount;

  return {
    /**
     * Marks the address verified and removes every credential set up before; undefined (and nothing done) when the
     * address was verified already. One conditional update marks it and drops the password, so a password sign-in
     * racing with the claim either finished before (its session is then revoked below) or fails like a wrong password.
     */
    async claimByMailbox(accountId: string, context: { method: string; connectorId?: string }): Promise<ClaimResult | undefined> {
      const before = await Account.findOneAndUpdate(
        { _id: accountId, emailVerified: { $ne: true } },
        { $set: { emailVerified: true }, $unset: { passwordHash: 1 } },
        { new: false },
      ).lean().exec();
      if (!before) return undefined;
      const revoked = await deps.signOutEverywhere(accountId);
      const result: ClaimResult = {
        password: Boolean(before.passwordHash),
        sessions: revoked.sessions,
        grants: revoked.grants,
        factors: await removeAll(MfaFactor, accountId),
        devices: await removeAll(MfaDevice, accountId),
        identities: await removeAll(Identity, accountId),
      };
      await removeAll(MfaChallenge, accountId); // enrolments begun before the claim must not complete after it
      const removed = Object.entries(result).filter(([, value]) => value === true || (typeof value === 'number' && value > 0)).map(([key]) => key);
      deps.audit('account.claimed', { accountId, ...context, removed, ...countsOf(result) });
      return result;
    },
  };
}

// `password` is a redacted log path: the audit event names it in `removed` and counts the rest.
const countsOf = ({ password: _password, ...counts }: ClaimResult) => counts;

export type AccountClaim = ReturnType<typeof createAccountClaim>;
