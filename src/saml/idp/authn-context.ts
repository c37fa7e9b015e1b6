import { ACR } from '../../mfa/acr.ts';

// RequestedAuthnContext (saml-core §3.3.2.2.1) <-> our OIDC acr values, in one table. Password sign-in is
// PasswordProtectedTransport (saml-authn-context §3.4.16, TLS in front of the IdP); MFA is the REFEDS MFA
// profile; phishing-resistant MFA is also expressed by our own acr URN, which SPs may request directly.
const PPT = 'urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport';
const REFEDS_MFA = 'https://refeds.org/profile/mfa';

/** SAML AuthnContextClassRef -> the acr that satisfies it. */
const CLASS_TO_ACR: Record<string, string> = {
  [PPT]: ACR.password,
  'urn:oasis:names:tc:SAML:2.0:ac:classes:Password': ACR.password,
  'urn:oasis:names:tc:SAML:2.0:ac:classes:unspecified': ACR.password,
  [REFEDS_MFA]: ACR.mfa,
  'urn:oasis:names:tc:SAML:2.0:ac:classes:MobileTwoFactorContract': ACR.mfa,
  'urn:oasis:names:tc:SAML:2.0:ac:classes:TimeSyncToken': ACR.mfa,
  [ACR.mfa]: ACR.mfa,
  [ACR.phishingResistant]: ACR.phishingResistant,
};

/** The acr we reached -> the class reported in the AuthnStatement (the real method, never the requested one). */
const ACR_TO_CLASS: Record<string, string> = {
  [ACR.password]: PPT,
  [ACR.mfa]: REFEDS_MFA,
  [ACR.phishingResistant]: ACR.phishingResistant,
};

const STRENGTH: Record<string, number> = { [ACR.password]: 1, [ACR.mfa]: 2, [ACR.phishingResistant]: 3 };

/** acr_values for the authorization request; undefined for classes we do not know (answered NoAuthnContext). */
export function acrValuesFor(classRefs: string[]): string[] | undefined {
  const acrs = classRefs.map((ref) => CLASS_TO_ACR[ref]);
  if (acrs.some((acr) => acr === undefined)) return undefined;
  return [...new Set(acrs as string[])];
}

/** Comparison "exact" or "minimum" (we treat both as "at least one of the requested strengths"). */
export function satisfies(reached: string | undefined, requested: string[]): boolean {
  if (!requested.length) return true;
  const strength = STRENGTH[reached ?? ''] ?? 0;
  return requested.some((acr) => strength >= (STRENGTH[acr] ?? Infinity));
}

export function authnContextClassFor(acr: string | undefined): string {
  return ACR_TO_CLASS[acr ?? ''] ?? 'urn:oasis:names:tc:SAML:2.0:ac:classes:unspecified';
}
