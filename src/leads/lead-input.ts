import { randomUUID } from 'node:crypto';
import { AppError } from '../shared/app-error.ts';
import { documentStates, type DocumentState } from '../consents/legal.service.ts';
import type { LegalDocumentRepository } from '../consents/legal-document.repository.ts';
import type { AttributeSchema } from '../profile/attribute-schema.ts';
import type { LeadMethod, LeadSubmission } from './lead.model.ts';
import type { LeadPolicy } from './lead-policy.ts';

// Checks one submission of a lead form against the client's lead policy, with the same rules as everywhere else:
// attributes through the attribute schema (src/profile), documents at their current published version (src/consents).
// Which documents and attributes may be sent comes from the client's metadata, never from the form.

/** Field errors of a submission: the form shows each next to its input, the API lists them. */
export class LeadInputError extends AppError {
  readonly fields: Record<string, string>;
  constructor(fields: Record<string, string>) {
    const [field, code] = Object.entries(fields)[0] ?? ['form', 'lead.invalid_input'];
    super(code, 400, { field });
    this.fields = fields;
  }
}

export interface SubmissionInput {
  clientId: string;
  locale: string;
  accept: string[];
  attributes: Record<string, unknown>;
}

export interface SubmissionMeta {
  method: LeadMethod;
  ip?: string;
  userAgent?: string;
}

/** Documents of the policy that have a version in effect now; a document never published is not asked for. */
export async function currentDocuments(documents: LegalDocumentRepository, policy: LeadPolicy, now = new Date()) {
  const ids = [...policy.documents.required, ...policy.documents.optional];
  const states = ids.length ? documentStates(await documents.publishedOf(ids), now) : new Map<string, DocumentState>();
  const pick = (list: string[]) => list.flatMap((id) => (states.get(id) ? [states.get(id)!] : []));
  return { required: pick(policy.documents.required), optional: pick(policy.documents.optional) };
}

export async function checkSubmission(
  deps: { schema: AttributeSchema; documents: LegalDocumentRepository },
  policy: LeadPolicy, input: SubmissionInput, meta: SubmissionMeta, now = new Date(),
): Promise<LeadSubmission> {
  const { required, optional } = await currentDocuments(deps.documents, policy, now);
  const accepted = new Set(input.accept);
  const errors: Record<string, string> = {};
  const offered = new Map([...required, ...optional].map((state) => [state.documentId, state]));
  if (required.some((state) => !accepted.has(state.documentId))) errors.accept = 'lead.accept_required';
  else if ([...accepted].some((id) => !offered.has(id))) errors.accept = 'lead.unknown_document';
  const unknown = Object.keys(input.attributes).filter((key) => !policy.attributes.includes(key));
  if (unknown.length) errors[unknown[0]!] = 'lead.unknown_attribute';
  const checked = deps.schema.validate(input.attributes, policy.attributes, policy.required);
  Object.assign(errors, checked.errors);
  if (Object.keys(errors).length) throw new LeadInputError(errors);

  const common = { clientId: input.clientId, locale: input.locale, method: meta.method, at: now };
  return {
    id: randomUUID(),
    ...common,
    consents: [...accepted].map((id) => {
      const state = offered.get(id)!;
      return {
        id: randomUUID(), documentId: id, version: state.current.version, kind: state.kind, ...common,
        ...(meta.ip ? { ip: meta.ip } : {}), ...(meta.userAgent ? { userAgent: meta.userAgent } : {}),
      };
    }),
    attributes: Object.entries(checked.values).map(([key, value]) => ({ key, value })),
  };
}
