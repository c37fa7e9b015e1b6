import { z } from 'zod';
import { LEGAL_CLIENT_METADATA } from '../consents/legal-metadata.ts';
import { PROFILE_CLIENT_METADATA } from '../profile/profile-metadata.ts';
import { LEAD_CLIENT_METADATA } from '../leads/lead-policy.ts';
import { BRANDING_CLIENT_METADATA, brandingProblem } from '../branding/branding-metadata.ts';

// Our extensions to RFC 7591 client metadata, one entry each, validated by the engine's extraClientMetadata
// hook. Capabilities (MFA policy, required attributes, connectors ...) add their key here.
export const CLIENT_METADATA_EXTENSIONS: Record<string, z.ZodType> = {
  /** One of our own brand sites: the user is not asked to consent to scopes. */
  first_party: z.boolean(),
  /** A resource server that may introspect tokens issued to other clients (RFC 7662 §4). */
  introspection_allowed: z.boolean(),
  /** Language-tagged names (RFC 7591 §2.2) shown by the hosted pages in that language. */
  'client_name#ja': z.string().min(1).max(200),
  'client_name#en': z.string().min(1).max(200),
  /** MFA for this client: off, optional (asked of people who enrolled a factor; default), required. */
  mfa_policy: z.enum(['off', 'optional', 'required']),
  /** required_attributes, progressive_profiling (src/profile/profile-metadata.ts). */
  ...PROFILE_CLIENT_METADATA,
  /** legal_documents: required and optional legal documents (src/consents/legal-metadata.ts). */
  ...LEGAL_CLIENT_METADATA,
  /** lite_registration: this client collects leads, with these attributes and documents (src/leads/lead-policy.ts). */
  ...LEAD_CLIENT_METADATA,
  /** Upstream connectors (ids) offered on this client's sign-in pages; absent: every enabled connector. */
  federation_connectors: z.array(z.string().regex(/^[a-z0-9][a-z0-9_-]{0,62}$/)),
  /** `fapi2`: this client gets the FAPI 2.0 grade (src/oidc/fapi-profile.ts: PAR, JAR, JARM, DPoP, private_key_jwt ...). */
  security_profile: z.enum(['fapi2']),
  /** `confirm`: a first upstream sign-in shows a sign-up page before the account is created (default `auto`). */
  federation_signup: z.enum(['auto', 'confirm']),
  /** Colours, support link and sign-in methods of the site's pages (src/branding/branding-metadata.ts). */
  ...BRANDING_CLIENT_METADATA,
};

/**
 * Checks that span the whole client, standard keys included (the engine calls the validator once per extension key,
 * with the whole metadata): the branding links must be https (http only when `allowHttp`).
 */
export function validateWholeClient(key: string, metadata: Record<string, unknown>, options: { allowHttp: boolean }): string | undefined {
  return key === 'support_uri' ? brandingProblem(metadata, options) : undefined;
}

/** Throws a readable message when a value does not fit its extension's schema. */
export function validateClientExtension(key: string, value: unknown): string | undefined {
  const schema = CLIENT_METADATA_EXTENSIONS[key];
  if (!schema || value === undefined) return undefined;
  const result = schema.safeParse(value);
  return result.success ? undefined : `${key}: ${result.error.issues[0]?.message ?? 'invalid value'}`;
}
