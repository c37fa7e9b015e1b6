import type { AccountDocument } from '../accounts/account.model.ts';
import { normalizeEmail } from '../accounts/account.repository.ts';
import type { AuditActor } from '../audit/audit-event.model.ts';
import { escapeRegex } from '../db/regex.ts';
import type { Models } from '../db/models.ts';
import { AppError } from '../shared/app-error.ts';
import type { Audit } from '../shared/audit.ts';
import { leadCollection, type LeadDocument, type LeadModel, type LeadStatus } from './lead.model.ts';
import { leadTokenPrefix } from './lead.service.ts';

// Operators' view of leads (`idp leads ...`, admin API /leads) and the data subject's rights over them: a lead is
// personal data (an address, consents, attributes, the IP and browser of each submission), so it is in the export
// of the account of its address and erased with it, and it can be found and erased by address alone for a person
// who never made an account (GDPR art. 15/17).

export const MAX_LEAD_PAGE = 500;
const when = (value?: Date) => (value ? new Date(value).toISOString() : undefined);

/** What the API and the CLI show of a lead: everything kept about it, dates as RFC 3339. */
export function publicLead(lead: LeadDocument) {
  const consent = (c: LeadDocument['consents'][number]) => ({
    id: c.id, document: c.documentId, version: c.version, kind: c.kind, at: when(c.at)!, client: c.clientId, locale: c.locale, method: c.method,
    ...(c.ip ? { ip: c.ip } : {}), ...(c.userAgent ? { user_agent: c.userAgent } : {}),
  });
  const attributes = (list: LeadDocument['attributes']) => Object.fromEntries(list.map((a) => [a.key, a.value]));
  return {
    id: lead._id,
    ...(lead.email ? { email: lead.email } : {}),
    status: lead.status,
    consents: (lead.consents ?? []).map(consent),
    attributes: attributes(lead.attributes ?? []),
    unconfirmed: (lead.pending ?? []).map((s) => ({
      id: s.id, client: s.clientId, at: when(s.at)!, method: s.method, consents: s.consents.map(consent), attributes: attributes(s.attributes),
    })),
    sources: lead.sources ?? [],
    ...(lead.accountId ? { account_id: lead.accountId } : {}),
    created_at: when(lead.createdAt)!,
    ...(lead.verifiedAt ? { verified_at: when(lead.verifiedAt) } : {}),
    ...(lead.convertedAt ? { converted_at: when(lead.convertedAt) } : {}),
    ...(lead.expiresAt ? { expires_at: when(lead.expiresAt) } : {}),
  };
}

export type PublicLead = ReturnType<typeof publicLead>;

export interface LeadQuery {
  status?: LeadStatus;
  email?: string;
  client?: string;
  limit?: number;
  cursor?: string;
}

export function createLeadDirectory(deps: { model: LeadModel; tokens: Models['ActionToken']; audit: Audit }) {
  const leads = leadCollection(deps.model);
  const forgetTokens = (ids: string[]) => Promise.all(ids.map((id) =>
    deps.tokens.collection.deleteMany({ accountId: { $regex: `^${escapeRegex(leadTokenPrefix(id))}` } })));

  async function get(id: string): Promise<LeadDocument> {
    const lead = await leads.findOne({ _id: id as never });
    if (!lead) throw new AppError('lead.not_found', 404);
    return lead;
  }

  /** By id, or (containing an @) by address, as the CLI names leads. */
  async function resolve(idOrEmail: string): Promise<LeadDocument> {
    if (!idOrEmail.includes('@')) return get(idOrEmail);
    const lead = await leads.findOne({ emailNormalized: normalizeEmail(idOrEmail) });
    if (!lead) throw new AppError('lead.not_found', 404);
    return lead;
  }

  const ofAccount = (account: Pick<AccountDocument, '_id' | 'emailNormalized'>) =>
    leads.find({ $or: [{ emailNormalized: account.emailNormalized }, { accountId: account._id }] }).limit(100).toArray();

  return {
    get,
    resolve,
    /** Newest first, a page at a time (ids grow with time). */
    async list(query: LeadQuery = {}): Promise<{ items: LeadDocument[]; nextCursor?: string }> {
      const limit = Math.min(query.limit ?? 50, MAX_LEAD_PAGE);
      const filter: Record<string, unknown> = {};
      if (query.status) filter.status = query.status;
      if (query.email) filter.emailNormalized = normalizeEmail(query.email);
      if (query.client) filter.sources = query.client;
      if (query.cursor) filter._id = { $lt: query.cursor };
      const items = await leads.find(filter).sort({ _id: -1 }).limit(limit + 1).toArray();
      const more = items.length > limit;
      return { items: items.slice(0, limit), ...(more ? { nextCursor: String(items[limit - 1]!._id) } : {}) };
    },
    async remove(idOrEmail: string, actor: AuditActor): Promise<void> {
      const lead = await resolve(idOrEmail);
      await leads.deleteOne({ _id: lead._id as never });
      await forgetTokens([lead._id]);
      deps.audit('lead.deleted', { leadId: lead._id, actor });
    },
    /** The leads of an account's address, and the converted one that made it (personal-data.service.ts). */
    exportFor: async (account: AccountDocument) => (await ofAccount(account)).map(publicLead),
    async eraseFor(account: AccountDocument): Promise<void> {
      const found = await ofAccount(account);
      if (!found.length) return;
      await leads.deleteMany({ _id: { $in: found.map((l) => l._id) } as never });
      await forgetTokens(found.map((l) => l._id));
    },
  };
}

export type LeadDirectory = ReturnType<typeof createLeadDirectory>;
