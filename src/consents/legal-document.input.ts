import { z } from 'zod';
import { DOCUMENT_KINDS, type LegalDocumentVersion } from './legal-document.model.ts';
import type { NewVersion } from './legal-document.repository.ts';
import { documentId } from './legal-metadata.ts';

// The JSON an operator gives to `idp consents docs add`, checked before anything is stored. Each locale has a title
// and the document itself, as text or as the URL where this exact version is published.

const localized = z.object({
  title: z.string().trim().min(1).max(200),
  text: z.string().min(1).max(100_000).optional(),
  url: z.url({ protocol: /^https?$/ }).optional(),
}).strict().refine((c) => c.text !== undefined || c.url !== undefined, 'give the text or the url of the document');

export const newVersionSchema = z.object({
  id: documentId,
  kind: z.enum(DOCUMENT_KINDS),
  purpose: z.string().trim().min(1).max(200).optional(),
  version: z.string().trim().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$/, 'letters, digits, . _ - (at most 40)'),
  effective_at: z.iso.datetime({ offset: true }).or(z.iso.date()).optional(),
  requires_reacceptance: z.boolean().default(true),
  content: z.object({ ja: localized.optional(), en: localized.optional() }).strict()
    .refine((c) => c.ja || c.en, 'content needs ja or en'),
}).strict();

export type NewVersionInput = z.input<typeof newVersionSchema>;

export function toNewVersion(input: z.output<typeof newVersionSchema>): NewVersion {
  return {
    documentId: input.id, kind: input.kind, purpose: input.purpose, version: input.version,
    effectiveAt: input.effective_at ? new Date(input.effective_at) : new Date(),
    requiresReacceptance: input.requires_reacceptance, content: input.content,
  };
}

/** How a version is shown to operators (CLI output). */
export const publicVersion = (v: LegalDocumentVersion) => ({
  id: v.documentId, kind: v.kind, ...(v.purpose ? { purpose: v.purpose } : {}), version: v.version, status: v.status,
  ...(v.seq !== undefined ? { seq: v.seq } : {}), effective_at: new Date(v.effectiveAt).toISOString(),
  requires_reacceptance: v.requiresReacceptance, content: v.content,
  ...(v.publishedAt ? { published_at: new Date(v.publishedAt).toISOString() } : {}),
});
