import { createHash } from 'node:crypto';
import type { AccountRepository } from './account.repository.ts';

// A digest of an account's password hash as it is now (undefined without a password). A sign-in waiting for its
// email code keeps the stamp of the password it proved: once that password is reset, or removed because the mailbox
// owner claimed the unverified account (account-claim.service.ts), the waiting sign-in no longer counts.
export type PasswordStamp = (accountId: string) => Promise<string | undefined>;

/** The stamp of a password hash (as stored on the account). */
export const stampOf = (passwordHash: string | undefined): string | undefined =>
  passwordHash ? createHash('sha256').update(passwordHash).digest('base64url') : undefined;

export function createPasswordStamp(accounts: Pick<AccountRepository, 'findById'>): PasswordStamp {
  return async (accountId) => stampOf((await accounts.findById(accountId))?.passwordHash);
}

/** The step state of a sign-in waiting for its email code: the account and the stamp of the password it proved. */
export const waitingSignIn = {
  value: (accountId: string, stamp: string | undefined) => `${accountId} ${stamp ?? ''}`,
  read(value: string | undefined): { accountId?: string; stamp?: string } {
    const [accountId, stamp] = (value ?? '').split(' ');
    return { accountId: accountId || undefined, stamp: stamp || undefined };
  },
};
