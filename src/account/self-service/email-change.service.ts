import type { AccountRepository } from '../../accounts/account.repository.ts';
import { normalizeEmail } from '../../accounts/account.repository.ts';
import type { UserDirectory } from '../../accounts/user-directory.service.ts';
import type { ActionTokenModel } from '../../tokens/action-token.model.ts';
import type { ActionTokenService } from '../../tokens/action-token.service.ts';
import { AppError } from '../../shared/app-error.ts';
import type { RateLimits } from '../../config/config.schema.ts';
import type { Locale } from '../../i18n/i18n.ts';
import type { MailQueue } from '../../mail/mail-queue.ts';
import type { Audit } from '../../shared/audit.ts';
import { validity } from '../../accounts/account.service.ts';

// "Change email" on /account/email, in two steps: the new address gets a 6-digit code (an action token of purpose
// email_change that remembers the address), and only the code makes it the account's sign-in address, verified, as
// the code proves the mailbox. The answer to the first step is always "we sent a code to <address>": when another
// account already has the address, that mailbox gets a mail saying so instead of a code, and nothing changes, so
// the form never tells whether an address has an account (OWASP ASVS 5.0 V6.3.8; the sign-up does the same). The old
// address is told once the change is made, so a hijacked session cannot quietly move the account away.

export interface EmailChangeDeps {
  accounts: Pick<AccountRepository, 'findById' | 'findByEmail'>;
  users: Pick<UserDirectory, 'setEmail'>;
  tokens: Pick<ActionTokenService, 'issue' | 'redeemCode'>;
  tokenModel: ActionTokenModel;
  limits: RateLimits;
  mailQueue: MailQueue;
  audit: Audit;
  issuer: string;
  ttlSeconds: number;
}

/** "t***@example.com": enough for the owner of the old address to recognise the new one, not to learn it. */
export const maskEmail = (email: string): string => {
  const [local = '', domain = ''] = email.split('@');
  return `${local.slice(0, 1)}***@${domain}`;
};

export function createEmailChange(deps: EmailChangeDeps) {
  const { limits, audit, mailQueue } = deps;

  return {
    /** Step 1: mails a code to `newEmail` (or, when it is taken, a notice). The caller answers the same either way. */
    async request(accountId: string, newEmail: string, meta: { ip: string; locale: Locale }): Promise<void> {
      const account = await deps.accounts.findById(accountId);
      if (!account) throw new AppError('account.not_found', 404);
      if (normalizeEmail(account.email) === normalizeEmail(newEmail)) throw new AppError('self_service.email_same', 400, { field: 'email' });
      await limits.consume('mailPerIp', meta.ip);
      const holder = await deps.accounts.findByEmail(newEmail);
      if (holder) {
        mailQueue.enqueue({ name: 'email-change-taken', to: newEmail.trim(), locale: meta.locale, model: () => ({ link: deps.issuer }) });
        audit('email_change.requested', { accountId, outcome: 'address_taken', ip: meta.ip });
        return;
      }
      // The token is made with the mail, in the background, like every mail of a code (mail-queue.ts).
      mailQueue.enqueue({
        name: 'email-change-code', to: newEmail.trim(), locale: meta.locale,
        model: async () => {
          const issued = await deps.tokens.issue('email_change', accountId, deps.ttlSeconds, true, newEmail.trim());
          return { code: issued.code, ...validity(deps.ttlSeconds) };
        },
      });
      audit('email_change.requested', { accountId, outcome: 'code_sent', ip: meta.ip });
    },

    /** Step 2: the code from the new mailbox. Returns the new address. */
    async confirm(accountId: string, code: string, meta: { locale: Locale }): Promise<string> {
      await limits.check('codePerAccount', accountId);
      const redeemed = await deps.tokens.redeemCode('email_change', accountId, code);
      if (!redeemed?.email) {
        await limits.consume('codePerAccount', accountId).catch(() => undefined);
        audit('email_change.failed', { accountId, reason: 'code' });
        throw new AppError('verification.invalid_code', 400, { field: 'code' });
      }
      const before = await deps.accounts.findById(accountId);
      if (!before) throw new AppError('account.not_found', 404);
      try {
        // The directory's one way to change an address (also the admin API's): audited as user.email_changed.
        await deps.users.setEmail(accountId, redeemed.email, true, { type: 'user', id: accountId });
      } catch (error) {
        // Taken meanwhile: the person proved they hold that mailbox, so saying so tells them nothing new.
        if ((error as AppError).code === 'account.email_taken') throw new AppError('self_service.email_unavailable', 409, { field: 'code' });
        throw error;
      }
      // Links and codes mailed to the old address (a password reset, a verification) stop working.
      await deps.tokenModel.deleteMany({ accountId, consumedAt: { $exists: false } }).exec();
      mailQueue.enqueue({ name: 'email-changed', to: before.email, locale: meta.locale, model: () => ({ masked: maskEmail(redeemed.email!) }) });
      audit('email_change.completed', { accountId });
      return redeemed.email;
    },
  };
}

export type EmailChangeService = ReturnType<typeof createEmailChange>;
