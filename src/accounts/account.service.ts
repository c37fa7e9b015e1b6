import type { BrandView } from '../branding/brand-view.ts';
import type { Config } from '../config/config.schema.ts';
import type { AccountClaim } from './account-claim.service.ts';
import { AppError } from '../shared/app-error.ts';
import type { RateLimits } from '../config/config.schema.ts';
import type { Locale } from '../i18n/i18n.ts';
import type { MailQueue } from '../mail/mail-queue.ts';
import type { Audit } from '../shared/audit.ts';
import type { ActionTokenService } from '../tokens/action-token.service.ts';
import type { Profile } from './account.model.ts';
import { isDuplicateKey, normalizeEmail, type Account, type AccountRepository } from './account.repository.ts';
import type { PasswordHasher } from './password.hasher.ts';
import type { LegacyCredentials } from './legacy-credentials.ts';
import { refusePassword } from './password-policy.ts';
import { countFailedPassword } from './failed-password.ts';

export interface AccountServiceDeps {
  config: Config;
  accounts: AccountRepository;
  hasher: PasswordHasher;
  tokens: ActionTokenService;
  /** Every mail of this service goes out in the background, so no answer waits on one (no timing enumeration). */
  mailQueue: MailQueue;
  limits: RateLimits;
  audit: Audit;
  /** Ends every sign-in session of an account and revokes its grants and tokens (after a password reset). */
  signOutEverywhere(accountId: string): Promise<{ sessions: number; grants: number }>;
  /** A reset link proves the mailbox: an unverified account is claimed first (account-claim.service.ts). */
  claims?: Pick<AccountClaim, 'claimByMailbox'>;
  /** The legacy member store's credential endpoint (lazy migration), when configured. */
  legacy?: Pick<LegacyCredentials, 'verify'>;
}

/** What a mail shows of the site it was sent for (src/branding/brand-view.ts). */
export type MailBrand = BrandView;

export interface RequestMeta {
  ip: string;
  locale: Locale;
  /** The site the request came from (src/branding): its mails carry its name, logo and colours. */
  brand?: MailBrand;
}

/** How long a mailed link lasts, as people say it: "24 hours" (24時間), not "1440 minutes". */
export const validity = (seconds: number): { minutes: number } | { hours: number } =>
  seconds >= 3600 && seconds % 3600 === 0 ? { hours: seconds / 3600 } : { minutes: Math.round(seconds / 60) };

export function createAccountService(deps: AccountServiceDeps) {
  const { config, accounts, hasher, tokens, mailQueue, limits, audit } = deps;
  const link = (pathname: string, token: string) => `${config.issuer}${pathname}?token=${encodeURIComponent(token)}`;

  /** Every way a password is set (sign-up, reset, CLI, admin API, SCIM) passes here: one policy, one set of reasons. */
  function checkPassword(password: string, userInputs: string[] = [], field = 'password') {
    if (password.length < config.passwords.minLength) throw new AppError('password.too_short', 400, { field });
    if (password.length > config.passwords.maxLength) throw new AppError('password.too_long', 400, { field });
    const refusal = refusePassword(password, config.passwords.minScore, userInputs);
    if (refusal) throw new AppError(refusal, 400, { field });
  }

  /** The token is issued in the background with the mail: a known address costs the answer no extra time. */
  function sendVerification(account: Account, locale: Locale, brand?: MailBrand) {
    mailQueue.enqueue({
      name: 'verify-email', to: account.email, locale,
      model: async () => {
        const issued = await tokens.issue('email_verification', account._id, config.ttl.emailVerification, true);
        return { link: link('/verify-email', issued.token), code: issued.code, ...validity(config.ttl.emailVerification), brand };
      },
    });
    audit('email_verification.sent', { accountId: account._id });
  }

  /**
   * Asks the legacy store; on good credentials makes the account here (its profile, the password hashed by us), so
   * the legacy store is never asked about this person again. Null for wrong credentials; 503 when it cannot tell.
   */
  async function migrateFromLegacy(email: string, password: string, ip: string): Promise<Account | null> {
    const identity = await deps.legacy!.verify(email, password);
    if (!identity) return null;
    try {
      const account = await accounts.create({ email, passwordHash: await hasher.hash(password), emailVerified: identity.emailVerified, profile: identity.profile });
      audit('account.migrated', { accountId: account._id, method: 'legacy_sign_in', ip });
      return account;
    } catch (error) {
      if (!isDuplicateKey(error)) throw error;
      return accounts.findByEmail(email); // migrated by a concurrent sign-in meanwhile
    }
  }

  return {
    /** The password policy alone (a change on the account pages hashes and stores it itself). */
    checkPassword,
    /**
     * Sign-up. The answer is the same whether the email is new or taken (no user enumeration): a taken address
     * gets a mail saying so, and the caller shows "check your mail" either way.
     */
    async register(input: { email: string; password: string; profile?: Profile }, meta: RequestMeta): Promise<Account | undefined> {
      checkPassword(input.password, [input.email, input.profile?.name as string | undefined ?? '']);
      await limits.consume('mailPerIp', meta.ip);
      const passwordHash = await hasher.hash(input.password);
      try {
        const account = await accounts.create({ email: input.email, passwordHash, profile: { ...input.profile, locale: meta.locale } });
        audit('account.created', { accountId: account._id, method: 'signup' });
        sendVerification(account, meta.locale, meta.brand);
        return account;
      } catch (error) {
        if (!isDuplicateKey(error)) throw error;
        const existing = await accounts.findByEmail(input.email);
        if (existing) mailQueue.enqueue({ name: 'account-exists', to: existing.email, locale: meta.locale, model: () => ({ link: config.issuer, brand: meta.brand }) });
        audit('account.signup_for_existing_email', { accountId: existing?._id });
        return undefined;
      }
    },

    /** Email + password. Unknown email and wrong password give the same error in about the same time. */
    async authenticate(email: string, password: string, ip: string): Promise<Account> {
      const accountKey = normalizeEmail(email);
      const [, accountCounted] = await limits.checkAll([{ name: 'loginPerIp', key: ip }, { name: 'loginPerAccount', key: accountKey }]);
      let account = await accounts.findByEmail(email);
      let ok: boolean;
      if (!account && deps.legacy) {
        // An address we do not know may be a member of the legacy store not yet migrated (lazy migration).
        account = await migrateFromLegacy(email, password, ip);
        ok = account !== null;
      } else {
        ok = account?.passwordHash
          ? await hasher.verify(account.passwordHash, password)
          : (await hasher.verifyDummy(password), false);
      }
      if (!ok || !account) {
        await countFailedPassword(limits, ip, accountKey);
        audit('login.failed', { accountId: account?._id, reason: account ? 'password' : 'unknown_email', ip });
        throw new AppError('login.invalid_credentials', 400);
      }
      if (account.status !== 'active') {
        audit('login.refused', { accountId: account._id, reason: 'blocked', ip });
        throw new AppError('account.blocked', 403);
      }
      // Nothing counted against the account when it was checked: no counter to delete (one round trip less).
      if (accountCounted) await limits.reset('loginPerAccount', accountKey);
      if (account.deletionScheduledFor) {
        await accounts.cancelDeletion(account._id);
        audit('user.deletion_cancelled', { accountId: account._id });
      }
      if (hasher.needsRehash(account.passwordHash!)) {
        await accounts.setPasswordHash(account._id, await hasher.hash(password));
        audit('password.rehashed', { accountId: account._id });
      }
      return account;
    },

    /**
     * Which of several accounts (one address, several accounts) a password proves, counted like a sign-in attempt.
     * Every candidate's hash is checked (no early exit), so the time says nothing about which one matched.
     */
    async authenticateAmong(candidates: Account[], password: string, ip: string): Promise<Account | undefined> {
      await limits.check('loginPerIp', ip);
      for (const candidate of candidates) await limits.check('loginPerAccount', candidate.emailNormalized);
      let proven: Account | undefined;
      for (const candidate of candidates) {
        const ok = candidate.passwordHash ? await hasher.verify(candidate.passwordHash, password) : false;
        if (ok && !proven) proven = candidate;
      }
      if (!proven) {
        await countFailedPassword(limits, ip, candidates[0]?.emailNormalized ?? '');
      }
      return proven;
    },

    sendVerification: async (account: Account, meta: RequestMeta) => {
      await limits.consume('mailPerIp', meta.ip);
      sendVerification(account, meta.locale, meta.brand);
    },

    /** The code typed on the verification page. Wrong codes are counted per account. */
    async verifyEmailCode(accountId: string, code: string): Promise<void> {
      await limits.check('codePerAccount', accountId);
      if (!(await tokens.consumeCode('email_verification', accountId, code))) {
        await limits.consume('codePerAccount', accountId).catch(() => undefined);
        audit('email_verification.failed', { accountId });
        throw new AppError('verification.invalid_code', 400, { field: 'code' });
      }
      await accounts.markEmailVerified(accountId);
      audit('email.verified', { accountId, method: 'code' });
    },

    /** True once the address is proven (by the code, the mailed link in any browser, or a password reset). */
    async isEmailVerified(accountId: string): Promise<boolean> {
      return (await accounts.findById(accountId))?.emailVerified === true;
    },

    /** The link in the verification mail. */
    async verifyEmailLink(token: string): Promise<void> {
      const accountId = await tokens.consume('email_verification', token);
      if (!accountId) throw new AppError('verification.invalid_link', 400);
      await accounts.markEmailVerified(accountId);
      audit('email.verified', { accountId, method: 'link' });
    },

    /** Always looks the same from outside; mails a single-use link only when the account exists. */
    async requestPasswordReset(email: string, meta: RequestMeta): Promise<void> {
      await limits.consume('mailPerIp', meta.ip);
      const account = await accounts.findByEmail(email);
      if (!account || account.status !== 'active') {
        audit('password_reset.requested', { reason: 'unknown_email', ip: meta.ip });
        return;
      }
      // Token and mail in the background: the answer for a known address takes no longer than for an unknown one.
      mailQueue.enqueue({
        name: 'password-reset', to: account.email, locale: meta.locale,
        model: async () => {
          const issued = await tokens.issue('password_reset', account._id, config.ttl.passwordReset);
          return { link: link('/password/reset', issued.token), ...validity(config.ttl.passwordReset), brand: meta.brand };
        },
      });
      audit('password_reset.requested', { accountId: account._id, ip: meta.ip });
    },

    isResetTokenValid: async (token: string) => (await tokens.peek('password_reset', token)) !== undefined,

    /** Sets a new password with a reset token (works once), proves the email, and ends every session. */
    async resetPassword(token: string, password: string, meta: RequestMeta): Promise<void> {
      checkPassword(password);
      const accountId = await tokens.consume('password_reset', token);
      if (!accountId) throw new AppError('password_reset.invalid_link', 400);
      // The link proves the mailbox. If the address was never verified, whoever registered it may not own it: the
      // factors, devices and linked services they set up go before the owner's new password is set.
      await deps.claims?.claimByMailbox(accountId, { method: 'password_reset' });
      await accounts.setPasswordHash(accountId, await hasher.hash(password));
      await accounts.markEmailVerified(accountId);
      const revoked = await deps.signOutEverywhere(accountId);
      audit('password.reset', { accountId, sessionsEnded: revoked.sessions, grantsRevoked: revoked.grants, ip: meta.ip });
      const account = await accounts.findById(accountId);
      if (account) mailQueue.enqueue({ name: 'password-changed', to: account.email, locale: meta.locale, model: () => ({}) });
    },

    /** An administrator or a provisioning directory sets the password (SCIM changePassword): every session ends. */
    async setPassword(accountId: string, password: string): Promise<void> {
      checkPassword(password);
      await accounts.setPasswordHash(accountId, await hasher.hash(password));
      const revoked = await deps.signOutEverywhere(accountId);
      audit('password.set_by_admin', { accountId, sessionsEnded: revoked.sessions, grantsRevoked: revoked.grants });
    },

    /** Administrative creation (CLI): the email must be new. */
    async createByAdmin(input: { email: string; password?: string; name?: string; verified?: boolean }): Promise<Account> {
      if (input.password !== undefined) checkPassword(input.password, [input.email, input.name ?? '']);
      try {
        const account = await accounts.create({
          email: input.email,
          passwordHash: input.password === undefined ? undefined : await hasher.hash(input.password),
          emailVerified: input.verified ?? false,
          profile: input.name ? { name: input.name } : {},
        });
        audit('account.created', { accountId: account._id, method: 'admin' });
        return account;
      } catch (error) {
        if (isDuplicateKey(error)) throw new AppError('account.email_taken', 409);
        throw error;
      }
    },
  };
}

export type AccountService = ReturnType<typeof createAccountService>;
