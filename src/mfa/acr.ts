// Authentication context classes (OIDC Core 1.0 §2 `acr`) and methods (RFC 8176 `amr`), computed here only.
// Our acr values are ordered levels: a session at a higher level satisfies a request for a lower one.
export const ACR = {
  password: 'urn:idp:acr:password',
  mfa: 'urn:idp:acr:mfa',
  phishingResistant: 'urn:idp:acr:phishing-resistant',
} as const;

export type AcrValue = (typeof ACR)[keyof typeof ACR];
export const ACR_VALUES: AcrValue[] = [ACR.password, ACR.mfa, ACR.phishingResistant];

/** 0 = nothing, 1 = password, 2 = MFA, 3 = phishing-resistant (WebAuthn with user verification). */
export type Level = 0 | 1 | 2 | 3;

export const levelOf = (acr: string | undefined): Level => {
  const index = ACR_VALUES.indexOf(acr as AcrValue);
  return (index + 1) as Level;
};

export const acrOf = (level: Level): AcrValue => ACR_VALUES[Math.max(level, 1) - 1]!;

/**
 * The level a request asks for. OIDC Core §3.1.2.1 lists acr_values "in order of preference"; with ordered levels,
 * any listed value is acceptable, so the weakest known one is the minimum. Unknown values are ignored: acr_values
 * is a voluntary claim request (§5.5.1.1) unless marked essential.
 */
export function requestedLevel(values: readonly string[]): Level {
  const levels = values.map(levelOf).filter((level) => level > 0);
  return levels.length ? (Math.min(...levels) as Level) : 0;
}

/** What one verified factor proves, in RFC 8176 amr values, and whether it is phishing-resistant. */
export interface Proof {
  amr: string[];
  phishingResistant: boolean;
  /** The factor alone is multi-factor (a passkey with user verification: possession + PIN or biometrics). */
  multiFactor: boolean;
}

/**
 * Combines what the session already proved with a new proof. Two distinct factors, or one factor that is
 * multi-factor by itself, make `mfa` (RFC 8176 §2); a verified WebAuthn assertion makes the whole sign-in
 * phishing-resistant (the credential is bound to our origin, WebAuthn L3 §13.4.1).
 */
export function upgrade(previousAmr: readonly string[] | undefined, proof: Proof): { acr: AcrValue; amr: string[] } {
  const amr = [...new Set([...(previousAmr ?? []).filter((v) => v !== 'mfa'), ...proof.amr])];
  const knowledge = amr.includes('pwd');
  const multi = proof.multiFactor || (knowledge && amr.length >= 2);
  if (multi) amr.push('mfa');
  const acr = proof.phishingResistant && multi ? ACR.phishingResistant : multi ? ACR.mfa : ACR.password;
  return { acr, amr };
}
