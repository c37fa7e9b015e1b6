import type { Account } from '../accounts/account.repository.ts';
import type { DerivedCache } from '../db/change-cache.ts';
import type { ConsentRecordRepository } from '../consents/consent-record.repository.ts';
import { escapeRegex } from '../db/regex.ts';
import type { Models } from '../db/models.ts';
import type { Audit } from '../shared/audit.ts';
import type { AttributeSchema } from '../profile/attribute-schema.ts';
import type { ProfileService } from '../profile/profile.service.ts';
import { leadCollection, type LeadDocument, type LeadModel } from './lead.model.ts';

// Upgrading a lead into the account of the same address. Both sides must be proven by the mailbox:
// - only the lead's confirmed data moves (submissions whose mailed link was opened); an unconfirmed submission is
//   never carried, whoever later verifies the account, because anybody can type somebody else's address into a
//   newsletter form: carrying it would plant consents and attributes on that person's future account;
// - only into an account whose address is verified: otherwise whoever registered the address (perhaps not its
//   owner) would receive the lead's data.
// Consents become consent records of the account at the version and time they were given (receipts and withdrawal
// then work as for any other record); attributes fill only what the account has no value for (what the person
// typed at sign-up is newer). The lead keeps no personal data afterwards.

export interface LeadConversionDeps {
  model: LeadModel;
  records: ConsentRecordRepository;
  schema: AttributeSchema;
  profile: Pick<ProfileService, 'save'>;
  tokens: Models['ActionToken'];
  audit: Audit;
  /**
   * Addresses known to have no verified lead (the leads collection's derived cache, dropped on any write to it here
   * or on another instance): most sign-ins have nothing to carry, and would otherwise read the leads at each one.
   */
  noLead?: DerivedCache<true>;
}

export function createLeadConversion(deps: LeadConversionDeps) {
  const leads = leadCollection(deps.model);

  async function carry(account: Account, lead: LeadDocument): Promise<string[]> {
    for (const consent of lead.consents) {
      await deps.records.append([{
        accountId: account._id, documentId: consent.documentId, version: consent.version, kind: consent.kind, decision: 'granted',
        clientId: consent.clientId, locale: consent.locale, method: consent.method,
        ...(consent.ip ? { ip: consent.ip } : {}), ...(consent.userAgent ? { userAgent: consent.userAgent } : {}),
      }], new Date(consent.at));
    }
    const values = Object.fromEntries(lead.attributes.map((a) => [a.key, a.value]));
    const missing = deps.schema.missing(account, Object.keys(values));
    if (missing.length) await deps.profile.save(account._id, values, missing, { required: [], source: 'lead' });
    return missing;
  }

  return {
    /** Carries the address's confirmed lead into the account; undefined when there is nothing (yet) to carry. */
    async convert(account: Account): Promise<{ leadId: string } | undefined> {
      if (account.emailVerified !== true) return undefined;
      if (deps.noLead?.get(account.emailNormalized)) return undefined;
      const lead = await leads.findOne({ emailNormalized: account.emailNormalized, status: 'verified' });
      if (!lead) {
        deps.noLead?.set(account.emailNormalized, true);
        return undefined;
      }
      const now = new Date();
      // Claimed in one conditional update, so two sign-ins at once carry the lead once.
      const claimed = await leads.findOneAndUpdate({ _id: lead._id, rev: lead.rev, status: 'verified' }, {
        $set: { status: 'converted', accountId: account._id, convertedAt: now, updatedAt: now },
        $unset: { email: '', emailNormalized: '', consents: '', attributes: '', pending: '', expiresAt: '' },
        $inc: { rev: 1 },
      } as never, { returnDocument: 'before' });
      if (!claimed) return undefined;
      const attributes = await carry(account, claimed);
      // Links of unconfirmed submissions stop working: their data is gone with the lead's address.
      await deps.tokens.collection.deleteMany({ accountId: { $regex: `^${escapeRegex(`lead:${lead._id}:`)}` } });
      deps.audit('lead.converted', {
        leadId: lead._id, accountId: account._id, consents: claimed.consents.length, attributes,
        droppedUnconfirmed: claimed.pending?.length ?? 0,
      });
      return { leadId: String(lead._id) };
    },
  };
}

export type LeadConversion = ReturnType<typeof createLeadConversion>;
