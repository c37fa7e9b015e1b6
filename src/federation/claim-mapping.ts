import type { Profile } from '../accounts/account.model.ts';
import { AppError } from '../shared/app-error.ts';
import type { ClaimMapping, NormalizedProfile } from './connector.ts';

// Turns an upstream's profile document (ID token claims, userinfo, a social API's JSON) into a NormalizedProfile
// through the connector's mapping. Only string values are taken; anything odd is dropped, never trusted.

const PROFILE_CLAIMS = ['name', 'given_name', 'family_name', 'picture', 'locale', 'preferred_username'] as const;

export function readPath(document: unknown, path: string): unknown {
  let value: unknown = document;
  for (const part of path.split('.')) {
    if (value === null || typeof value !== 'object' || !Object.hasOwn(value, part)) return undefined;
    value = (value as Record<string, unknown>)[part];
  }
  return value;
}

const asText = (value: unknown, max = 512): string | undefined => {
  if (typeof value === 'number' && Number.isSafeInteger(value)) return String(value);
  return typeof value === 'string' && value.trim() && value.length <= max ? value.trim() : undefined;
};

/** OIDC says boolean; Apple sends the string "true". Anything else is "not verified". */
const asVerified = (value: unknown): boolean => value === true || value === 'true';

const EMAIL = /^[^\s@]+@[^\s@]+$/;

export function mapProfile(connectorId: string, mapping: ClaimMapping, document: Record<string, unknown>): NormalizedProfile {
  const subject = asText(readPath(document, mapping.subject), 255);
  if (!subject) throw new AppError('federation.no_subject', 502);
  const email = mapping.email ? asText(readPath(document, mapping.email), 254) : undefined;
  const validEmail = email && EMAIL.test(email) ? email : undefined;
  const verified = typeof mapping.email_verified === 'boolean'
    ? mapping.email_verified
    : mapping.email_verified ? asVerified(readPath(document, mapping.email_verified)) : false;
  const claims: Profile = {};
  for (const claim of PROFILE_CLAIMS) {
    const path = mapping[claim];
    const value = path ? asText(readPath(document, path)) : undefined;
    if (value) claims[claim] = value;
  }
  return { connectorId, subject, email: validEmail, emailVerified: Boolean(validEmail) && verified, claims };
}
