import type { AccountRepository } from '../../accounts/account.repository.ts';
import { normalizeEmail } from '../../accounts/account.repository.ts';
import type { AccountService } from '../../accounts/account.service.ts';
import type { PasswordHasher } from '../../accounts/password.hasher.ts';
import { AppError } from '../../shared/app-error.ts';
import type { RateLimits } from '../../config/config.schema.ts';
import type { Locale } from '../../i18n/i18n.ts';
import type { MailQueue } from '../../mail/mail-queue.ts';
import type { Audit } from '../../shared/audit.ts';
import type { SelfSessions } from './sessions.service.ts';
import { countFailedPassword } from '../../accounts/failed-password.ts';

// "Change password" on /account/password. With a password, the current one is asked (OWASP ASVS 5.0 V6.2.3: a
// change needs the current password) and wrong answers count on the sign-in's own limits (loginPerAccount and
// loginPerIp), so the form is no second door for guessing. Without one (an account made through social login), the
// router has asked for a fresh sign-in instead, and the password is set. The new password passes the one policy of
// every password (account.service.ts checkPassword). Afterwards every other session ends and the person is told by
// mail (NIST SP 800-63B §6.1.2.2: notify of a changed authenticator); this browser stays signed in.

export interface PasswordChangeDeps {
  accounts: Pick<AccountRepository, 'findById' | 'setPasswordHash'>;
  policy: Pick<AccountService, 'checkPassword'>;
  hasher: Pick<PasswordHasher, 'hash' | 'verify' | 'verifyDummy'>;
  limits: RateLimits;
  mailQueue: MailQueue;
  audit: Audit;
  sessions: Pick<SelfSessions, 'signOutElsewhere'>;
}

export interface PasswordChange {
  accountId: string;
  /** This browser's engine session, which stays signed in. */
  sessionUid?: string;
  current?: string;
  next: string;
  ip: string;
  locale: Locale;
}

export function createPasswordChange(deps: PasswordChangeDeps) {
  const { limits, audit } = deps;

  async function proveCurrent(accountId: string, email: string, passwordHash: string, current: string | undefined, ip: string) {
    const key = normalizeEmail(email);
    await limits.check('loginPerIp', ip);
    await limits.check('loginPerAccount', key);
    if (current && await deps.hasher.verify(passwordHash, current)) {
      await limits.reset('loginPerAccount', key);
      return;
    }
    await countFailedPassword(limits, ip, key);
    audit('password.change_failed', { accountId, reason: 'current_password', ip });
    throw new AppError('self_service.wrong_password', 400, { field: 'current_password' });
  }

  return {
    /** True when the account has a password (the form then asks for it). */
    async hasPassword(accountId: string): Promise<boolean> {
      return Boolean((await deps.accounts.findById(accountId))?.passwordHash);
    },

    /** Checks, stores, signs out elsewhere, notifies. Throws AppError with the refusal (field error, 400 / 429). */
    async change(input: PasswordChange): Promise<{ sessionsEnded: number; grantsRevoked: number }> {
      const account = await deps.accounts.findById(input.accountId);
      if (!account) throw new AppError('account.not_found', 404);
      const hadPassword = Boolean(account.passwordHash);
      if (hadPassword) await proveCurrent(account._id, account.email, account.passwordHash!, input.current, input.ip);
      deps.policy.checkPassword(input.next, [account.email, account.profile?.name ?? ''], 'new_password');
      await deps.accounts.setPasswordHash(account._id, await deps.hasher.hash(input.next));
      const ended = await deps.sessions.signOutElsewhere(account._id, input.sessionUid);
      audit(hadPassword ? 'password.changed' : 'password.set', {
        accountId: account._id, actor: { type: 'user', id: account._id }, sessionsEnded: ended.sessions, grantsRevoked: ended.grants, ip: input.ip,
      });
      deps.mailQueue.enqueue({ name: 'password-updated', to: account.email, locale: input.locale, model: () => ({ set: !hadPassword }) });
      return { sessionsEnded: ended.sessions, grantsRevoked: ended.grants };
    },
  };
}

export type PasswordChangeService = ReturnType<typeof createPasswordChange>;
