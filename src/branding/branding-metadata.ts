import { z } from 'zod';

// Per-site branding as client metadata. The standard RFC 7591 §2 keys carry what they can: client_name (and
// `client_name#ja`, §2.2 language tags), logo_uri, policy_uri, tos_uri. Our extensions add the colours, a support
// link and the sign-in methods shown. The logo is only ever referenced by the browser (<img src>): the server never
// fetches it (no SSRF), and it must be https, or http in development and test only.

/** Strict `#rrggbb`: one CSS colour syntax, so the value can go into a stylesheet without escaping. */
const hexColour = z.string().regex(/^#[0-9a-fA-F]{6}$/, 'must be a colour written #rrggbb (for example #1d4ed8)');

export const LOGIN_METHODS = ['password', 'passkey', 'federation'] as const;
export type LoginMethod = (typeof LOGIN_METHODS)[number];

export const BRANDING_CLIENT_METADATA: Record<string, z.ZodType> = {
  /** Buttons, links and focus rings. */
  branding_primary_color: hexColour,
  /** The page background behind the card. */
  branding_background_color: hexColour,
  /** The text colour of the pages. */
  branding_text_color: hexColour,
  /** A page where people get help with this site (beside policy_uri and tos_uri in the footer). */
  support_uri: z.string().max(2000),
  /** The sign-in methods this site's sign-in page offers; absent: all of them. Connectors: federation_connectors. */
  login_methods: z.array(z.enum(LOGIN_METHODS, { error: `must list only ${LOGIN_METHODS.join(', ')}` }), { error: `must be a list of ${LOGIN_METHODS.join(', ')}` })
    .min(1, 'must name at least one sign-in method')
    .refine((methods) => new Set(methods).size === methods.length, 'must not repeat a method'),
};

/** The links our pages put in front of people: only web URLs, https unless `allowHttp` (development, test). */
export const BRANDING_LINK_KEYS = ['logo_uri', 'policy_uri', 'tos_uri', 'support_uri'] as const;

/**
 * The first problem with the branding of a whole client (the link schemes, which the engine checks only as web
 * URIs), or undefined. Language-tagged variants (`logo_uri#ja`, RFC 7591 §2.2) are held to the same rule.
 */
export function brandingProblem(metadata: Record<string, unknown>, options: { allowHttp: boolean }): string | undefined {
  for (const [key, value] of Object.entries(metadata)) {
    const base = key.split('#')[0] as (typeof BRANDING_LINK_KEYS)[number];
    if (!BRANDING_LINK_KEYS.includes(base) || value === undefined || value === null) continue;
    const url = typeof value === 'string' ? URL.parse(value) : null;
    if (!url || (url.protocol !== 'https:' && url.protocol !== 'http:')) return `${key}: must be an https URL`;
    if (url.protocol === 'http:' && !options.allowHttp) return `${key}: must be an https URL (http is allowed in development and test only)`;
    if (url.username || url.password) return `${key}: must not contain credentials`;
  }
  return undefined;
}

/** The methods a client's sign-in page offers (login_methods, all when absent). */
export function loginMethodsOf(metadata: Record<string, unknown>): ReadonlySet<LoginMethod> {
  const listed = Array.isArray(metadata.login_methods) ? (metadata.login_methods as LoginMethod[]) : LOGIN_METHODS;
  return new Set(listed);
}

/** Client metadata keys a SAML SP's branding may set on its internal OIDC client (src/saml/idp/sp-registry.service.ts). */
const SP_BRANDING_KEY = /^(client_name|logo_uri|policy_uri|tos_uri)(#[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*)?$|^(support_uri|branding_(primary|background|text)_color|login_methods|federation_connectors)$/;

/** The branding members of an SP's settings; an unknown key is refused by name (a typo must not pass silently). */
export function spBrandingMembers(input: Record<string, unknown>): { branding: Record<string, unknown>; unknown?: string } {
  const unknown = Object.keys(input).find((key) => !SP_BRANDING_KEY.test(key));
  return unknown ? { branding: {}, unknown } : { branding: { ...input } };
}
