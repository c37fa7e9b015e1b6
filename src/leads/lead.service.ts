import { Types } from 'mongoose';
import { normalizeEmail, isDuplicateKey, type AccountRepository } from '../accounts/account.repository.ts';
import { validity } from '../accounts/account.service.ts';
import type { LegalDocumentRepository } from '../consents/legal-document.repository.ts';
import { AppError } from '../shared/app-error.ts';
import type { RateLimits } from '../config/config.schema.ts';
import type { Locale } from '../i18n/i18n.ts';
import type { MailQueue } from '../mail/mail-queue.ts';
import type { Audit } from '../shared/audit.ts';
import type { AttributeSchema } from '../profile/attribute-schema.ts';
import type { ActionTokenService } from '../tokens/action-token.service.ts';
import type { LeadsConfig } from './leads-config.schema.ts';
import type { LeadConversion } from './lead-conversion.ts';
import { checkSubmission, type SubmissionMeta } from './lead-input.ts';
import { leadCollection, type LeadDocument, type LeadModel } from './lead.model.ts';
import type { LeadPolicy } from './lead-policy.ts';

// leads.capture: the one way a lead comes in, from the hosted page and from the site's server alike. The answer is
// the same whether the address is new, already a lead, or already has an account (no user enumeration): a mail
// goes out in the background every time (mail-queue.ts, so time tells nothing either). For an address with an
// account nothing is recorded: an unauthenticated form must not add consents to somebody's account; its owner is
// mailed a link to manage them on the account page instead.

export interface LeadServiceDeps {
  issuer: string;
  config: LeadsConfig;
  model: LeadModel;
  accounts: Pick<AccountRepository, 'findByEmail'>;
  schema: AttributeSchema;
  documents: LegalDocumentRepository;
  tokens: ActionTokenService;
  mailQueue: MailQueue;
  limits: RateLimits;
  audit: Audit;
  conversion: LeadConversion;
}

export interface CaptureInput {
  clientId: string;
  clientName?: string;
  policy: LeadPolicy;
  email: string;
  accept: string[];
  attributes: Record<string, unknown>;
  locale: Locale;
}

export interface CaptureMeta extends SubmissionMeta {
  /** Who is counted besides the address: the browser's IP on the hosted page, the client on the API. */
  limit: { name: 'leadPerIp' | 'leadPerClient'; key: string };
}

const DAY = 86_400_000;
/** The subject of a verification token names the lead and the one submission it confirms. */
const subjectOf = (leadId: string, submissionId: string) => `lead:${leadId}:${submissionId}`;
export const leadTokenPrefix = (leadId: string) => `lead:${leadId}:`;

export function createLeadService(deps: LeadServiceDeps) {
  const { model, audit, config } = deps;
  const leads = leadCollection(model);

  /** Adds the submission to the address's lead (made on first use), returns the lead's id. */
  async function store(email: string, submission: LeadDocument['pending'][number], now: Date): Promise<string> {
    const emailNormalized = normalizeEmail(email);
    for (let attempt = 0; ; attempt++) {
      try {
        const lead = await leads.findOneAndUpdate({ emailNormalized }, {
          $setOnInsert: {
            _id: `ld_${new Types.ObjectId().toHexString()}`, email: email.trim(), status: 'pending', consents: [], attributes: [],
            rev: 0, createdAt: now, expiresAt: new Date(now.getTime() + config.unconfirmedRetentionDays * DAY),
          },
          $push: { pending: { $each: [submission], $slice: -config.maxPendingSubmissions } },
          $addToSet: { sources: submission.clientId },
          $set: { updatedAt: now },
        } as never, { upsert: true, returnDocument: 'after', projection: { _id: 1, createdAt: 1 } });
        return String(lead!._id);
      } catch (error) {
        // Two first submissions of one address at once: the second upsert collides and then finds the first.
        if (!isDuplicateKey(error) || attempt > 0) throw error;
      }
    }
  }

  return {
    async capture(input: CaptureInput, meta: CaptureMeta): Promise<void> {
      await deps.limits.consume(meta.limit.name, meta.limit.key);
      const submission = await checkSubmission(deps, input.policy, { ...input }, meta);
      await deps.limits.consume('leadPerEmail', normalizeEmail(input.email));
      const account = await deps.accounts.findByEmail(input.email);
      if (account) {
        deps.mailQueue.enqueue({
          name: 'lead-account-exists', to: account.email, locale: input.locale,
          model: () => ({ link: `${deps.issuer}/account/consents`, client: input.clientName ?? input.clientId }),
        });
        audit('lead.capture_for_account', { accountId: account._id, client: input.clientId, method: meta.method });
        return;
      }
      const leadId = await store(input.email, submission, submission.at);
      deps.mailQueue.enqueue({
        name: 'lead-verify', to: input.email.trim(), locale: input.locale,
        model: async () => {
          const issued = await deps.tokens.issue('lead_verification', subjectOf(leadId, submission.id), config.verificationTtl);
          return {
            link: `${deps.issuer}/lite/verify?token=${encodeURIComponent(issued.token)}`,
            client: input.clientName ?? input.clientId, ...validity(config.verificationTtl),
          };
        },
      });
      audit('lead.captured', {
        leadId, client: input.clientId, method: meta.method, submission: submission.id,
        documents: submission.consents.map((c) => `${c.documentId}@${c.version}`), attributes: submission.attributes.map((a) => a.key),
      });
    },

    /** Whether a confirmation link still works (the page with the confirm button; mail scanners only GET). */
    isLinkValid: async (token: string) => (await deps.tokens.peek('lead_verification', token)) !== undefined,

    /**
     * The mailed link: the submission it names joins the lead's proven consents and attributes. When the address
     * already has a verified account, they go on to the account at once (lead-conversion.ts).
     */
    async verify(token: string): Promise<{ clientId: string; converted: boolean }> {
      const subject = await deps.tokens.consume('lead_verification', token);
      const [, leadId, submissionId] = subject?.split(':') ?? [];
      for (let attempt = 0; leadId && submissionId && attempt < 5; attempt++) {
        const lead = await leads.findOne({ _id: leadId as never });
        const submission = lead?.pending?.find((s) => s.id === submissionId);
        if (!lead || !submission) break;
        const attributes = new Map(lead.attributes.map((a) => [a.key, a]));
        for (const attribute of submission.attributes) attributes.set(attribute.key, attribute);
        const now = new Date();
        const done = await leads.updateOne({ _id: lead._id, rev: lead.rev }, {
          $set: { status: 'verified', consents: [...lead.consents, ...submission.consents], attributes: [...attributes.values()], verifiedAt: now, updatedAt: now },
          $unset: { expiresAt: '' },
          $pull: { pending: { id: submissionId } },
          $inc: { rev: 1 },
        } as never);
        if (done.modifiedCount !== 1) continue; // another submission of this lead was confirmed meanwhile
        audit('lead.verified', { leadId, client: submission.clientId, submission: submissionId });
        const account = lead.email ? await deps.accounts.findByEmail(lead.email) : null;
        const converted = account ? await deps.conversion.convert(account) : undefined;
        return { clientId: submission.clientId, converted: converted !== undefined };
      }
      throw new AppError('lead.invalid_link', 400);
    },
  };
}

export type LeadService = ReturnType<typeof createLeadService>;
