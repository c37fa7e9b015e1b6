import { z } from 'zod';
import { legalDocumentsSchema, legalPolicyOf, type LegalDocumentsPolicy } from '../consents/legal-metadata.ts';

// Client metadata extension (RFC 7591 §2 allows extensions), registered in src/oidc/client-metadata.ts. A client
// with `lite_registration` may collect leads, on our hosted page /lite/subscribe?client_id=... or through
// POST /api/v1/leads with its own credentials:
//   "lite_registration": {"attributes": ["given_name", "birthdate"], "required_attributes": ["given_name"],
//                         "legal_documents": {"required": ["privacy"], "optional": ["marketing"]}}
// `legal_documents` defaults to the client's own `legal_documents` (the documents its sign-up asks for).

const attributeName = z.string().regex(/^[a-z][a-z0-9_]*(\.[a-z_]+)?$/, 'not an attribute name');

export const liteRegistrationSchema = z.object({
  attributes: z.array(attributeName).max(20).default([]),
  required_attributes: z.array(attributeName).max(20).default([]),
  legal_documents: legalDocumentsSchema.optional(),
}).strict();

export const LEAD_CLIENT_METADATA = { lite_registration: liteRegistrationSchema };

export interface LeadPolicy {
  /** Attribute keys the form offers (the required ones included), `email` never. */
  attributes: string[];
  required: string[];
  documents: LegalDocumentsPolicy;
}

/** The client's lead policy, or undefined when the client does not collect leads. */
export function leadPolicyOf(metadata: Record<string, unknown>): LeadPolicy | undefined {
  if (metadata.lite_registration === undefined) return undefined;
  const parsed = liteRegistrationSchema.safeParse(metadata.lite_registration);
  if (!parsed.success) return undefined;
  const { attributes, required_attributes: required, legal_documents: documents } = parsed.data;
  const keys = [...new Set([...attributes, ...required])].filter((key) => key !== 'email');
  return {
    attributes: keys,
    required: required.filter((key) => keys.includes(key)),
    documents: legalPolicyOf(documents ? { legal_documents: documents } : metadata),
  };
}
