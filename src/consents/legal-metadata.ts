import { z } from 'zod';

// Client metadata extension of legal consents, registered in src/oidc/client-metadata.ts:
// `"legal_documents": {"required": ["terms", "privacy"], "optional": ["marketing"]}` (document ids).
export const documentId = z.string().regex(/^[a-z0-9][a-z0-9_-]{0,63}$/, 'not a document id');

export const legalDocumentsSchema = z.object({
  required: z.array(documentId).max(20).default([]),
  optional: z.array(documentId).max(20).default([]),
}).strict();

export const LEGAL_CLIENT_METADATA = { legal_documents: legalDocumentsSchema };

export type LegalDocumentsPolicy = z.output<typeof legalDocumentsSchema>;

export function legalPolicyOf(metadata: Record<string, unknown>): LegalDocumentsPolicy {
  const parsed = legalDocumentsSchema.safeParse(metadata.legal_documents ?? {});
  if (!parsed.success) return { required: [], optional: [] };
  const required = [...new Set(parsed.data.required)];
  return { required, optional: [...new Set(parsed.data.optional)].filter((id) => !required.includes(id)) };
}
