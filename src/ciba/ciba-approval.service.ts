import { randomBytes } from 'node:crypto';
import type { AccountRepository } from '../accounts/account.repository.ts';
import type { Config } from '../config/config.schema.ts';
import type { Locale } from '../i18n/i18n.ts';
import type { MailQueue } from '../mail/mail-queue.ts';
import type { Audit } from '../shared/audit.ts';
import type { BackchannelRequestFacts } from '../oidc/ciba.ts';
import { scopeLabels } from '../oidc/scope-labels.ts';
import type { CibaApprovalDocument, CibaApprovalModel } from './ciba-approval.model.ts';

// The person's side of a CIBA request (OpenID CIBA Core 1.0 §7.1 "the OP ... triggers the authentication"): an
// approval record and a mail, in the person's language, with a link to /ciba/<id> where they approve or deny after
// signing in. The mail goes through the queue, so the backchannel response does not wait for SMTP.

export interface CibaApprovals {
  notify(request: BackchannelRequestFacts): Promise<void>;
  /** A request still waiting for its person, or undefined (unknown, decided or expired). */
  pending(id: string): Promise<CibaApprovalDocument | undefined>;
  pendingFor(accountId: string): Promise<CibaApprovalDocument[]>;
  countPending(accountId: string): Promise<number>;
  /** Marks the request decided; false when it was decided already (a second tab, a double click). */
  decide(id: string, status: 'approved' | 'denied'): Promise<boolean>;
}

export interface CibaApprovalDeps {
  config: Config;
  model: CibaApprovalModel;
  accounts: AccountRepository;
  mailQueue: MailQueue;
  audit: Audit;
}

export function createCibaApprovals(deps: CibaApprovalDeps): CibaApprovals {
  const { config, model } = deps;
  return {
    async notify(request) {
      const account = await deps.accounts.findById(request.accountId);
      if (!account) return;
      const id = randomBytes(24).toString('base64url');
      await model.create({
        _id: id, authReqId: request.authReqId, accountId: request.accountId, clientId: request.clientId,
        scope: request.scope, bindingMessage: request.bindingMessage, expiresAt: request.expiresAt,
      });
      deps.audit('ciba.requested', { accountId: request.accountId, client: request.clientId });
      const minutes = Math.max(1, Math.round((request.expiresAt.getTime() - Date.now()) / 60_000));
      deps.mailQueue.enqueue({
        name: 'ciba-request', to: account.email, locale: mailLocale(account.profile?.locale, config.i18n.defaultLocale),
        model: () => ({
          link: `${config.issuer}/ciba/${id}`, clientName: request.clientName, bindingMessage: request.bindingMessage,
          scopes: scopeLabels(request.scope).filter((s) => s.key !== 'scopes.openid'), minutes,
        }),
      });
    },
    async pending(id) {
      const found = await model.findOne({ _id: id, status: 'pending', expiresAt: { $gt: new Date() } }).lean();
      return found ?? undefined;
    },
    async pendingFor(accountId) {
      return model.find({ accountId, status: 'pending', expiresAt: { $gt: new Date() } }).sort({ createdAt: -1 }).limit(20).lean();
    },
    async countPending(accountId) {
      return model.countDocuments({ accountId, status: 'pending', expiresAt: { $gt: new Date() } });
    },
    async decide(id, status) {
      const result = await model.updateOne({ _id: id, status: 'pending' }, { $set: { status, decidedAt: new Date() } });
      return result.modifiedCount === 1;
    },
  };
}

/** The account's own language (its `locale` claim) when we have it, else the configured default. */
function mailLocale(locale: string | undefined, fallback: Locale): Locale {
  const base = locale?.toLowerCase().split(/[-_]/)[0];
  return base === 'ja' || base === 'en' ? base : fallback;
}
