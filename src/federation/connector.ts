import type { Profile } from '../accounts/account.model.ts';

// An upstream identity provider (social login, a group company's OIDC IdP, later SAML) behind one interface.
// The registry maps a connector `type` to a factory, so a new protocol (SAML from the SAML work) is one more entry:
// it only has to start a sign-in and turn what comes back into a NormalizedProfile.

/** What every upstream tells us about the person, in OIDC standard claim names (Core 1.0 §5.1). */
export interface NormalizedProfile {
  connectorId: string;
  /** The upstream's stable, never-reassigned identifier of the person (`sub`, GitHub's numeric id ...). */
  subject: string;
  email?: string;
  /** True only when the upstream asserts that it verified the address; never guessed. */
  emailVerified: boolean;
  claims: Profile;
}

/** A stored connector, secrets already opened (only in memory, never logged). */
export interface ConnectorRecord {
  id: string;
  type: string;
  preset?: string;
  displayName: string;
  logoUri?: string;
  enabled: boolean;
  clientId: string;
  clientSecret?: string;
  issuer?: string;
  endpoints: { authorization?: string; token?: string; userinfo?: string; emails?: string; jwks?: string };
  scopes: string[];
  mapping: ClaimMapping;
  /** Type- or preset-specific settings (Apple's team and key ids, its private key ...). */
  options: Record<string, string>;
  updatedAt: Date;
}

/**
 * Where each claim is found in the upstream's profile document (dot paths). `email_verified` may also be a
 * constant: `false` for upstreams that do not verify addresses, so their emails are never used to link.
 */
export interface ClaimMapping {
  subject: string;
  email?: string;
  email_verified?: string | boolean;
  name?: string;
  given_name?: string;
  family_name?: string;
  picture?: string;
  locale?: string;
  preferred_username?: string;
}

/** The state of one upstream sign-in kept on our side between the redirect and the callback. */
export interface UpstreamTransaction {
  state: string;
  nonce: string;
  codeVerifier: string;
  redirectUri: string;
}

export interface Connector {
  readonly record: ConnectorRecord;
  /** The URL to send the browser to. */
  authorizationUrl(transaction: UpstreamTransaction, loginHint?: string): Promise<URL>;
  /**
   * Validates the callback (state, code exchange with PKCE, ID token: signature, iss, aud, nonce, exp) and
   * returns the person. `callback` is the request as received: a GET with query, or Apple's form_post.
   */
  complete(callback: Request, transaction: UpstreamTransaction): Promise<NormalizedProfile>;
}

export interface ConnectorFactoryDeps {
  /** Plain-http upstreams (loopback tests, development) are accepted only outside production. */
  allowHttp: boolean;
}

export type ConnectorFactory = (record: ConnectorRecord, deps: ConnectorFactoryDeps) => Connector;
