import { z } from 'zod';

// Client metadata extensions (RFC 7591 §2 allows extensions) of the profile capability, registered in
// src/oidc/client-metadata.ts. Attribute names are checked for shape here; names the attribute schema does not know
// (e.g. a custom attribute removed from the config) are ignored at sign-in rather than breaking the client.

const attributeName = z.string().regex(/^[a-z][a-z0-9_]*(\.[a-z_]+)?$/, 'not an attribute name');
const localized = z.object({ ja: z.string().min(1).max(300).optional(), en: z.string().min(1).max(300).optional() }).strict();

/** `["email", "name", {"attribute": "address", "scope": "address"}]`: the second form only when that scope is asked for. */
export const requiredAttributesSchema = z.array(z.union([
  attributeName,
  z.object({ attribute: attributeName, scope: z.string().min(1).max(100) }).strict(),
])).max(50);

/** Optional attributes asked over time, in this order, one per sign-in; `reason` tells the user why the site asks. */
export const progressiveProfilingSchema = z.object({
  attributes: z.array(z.union([
    attributeName,
    z.object({ attribute: attributeName, reason: localized.optional() }).strict(),
  ])).min(1).max(30),
  after_sign_ins: z.number().int().min(0).optional(),
  after_days: z.number().int().min(0).optional(),
  skip_days: z.number().int().min(0).optional(),
  reason: localized.optional(),
}).strict();

export const PROFILE_CLIENT_METADATA = {
  required_attributes: requiredAttributesSchema,
  progressive_profiling: progressiveProfilingSchema,
};

export type RequiredAttributes = z.output<typeof requiredAttributesSchema>;
export type ProgressiveProfiling = z.output<typeof progressiveProfilingSchema>;

/**
 * The attributes a relying party requires for this request: unconditional ones plus those whose scope was asked for.
 * Pure, so the SAML bridge can call it with the attribute policy of a service provider and the "scopes" it maps to.
 */
export function requiredAttributesFor(policy: unknown, requestedScopes: Iterable<string>): string[] {
  const parsed = requiredAttributesSchema.safeParse(policy ?? []);
  if (!parsed.success) return [];
  const scopes = new Set(requestedScopes);
  return parsed.data.flatMap((entry) => {
    if (typeof entry === 'string') return [entry];
    return scopes.has(entry.scope) ? [entry.attribute] : [];
  });
}

export function progressivePolicyOf(metadata: Record<string, unknown>): ProgressiveProfiling | undefined {
  const parsed = progressiveProfilingSchema.safeParse(metadata.progressive_profiling);
  return parsed.success ? parsed.data : undefined;
}
