import type { ClaimMapping } from './connector.ts';

// Well-known upstreams as settings of the two generic types. Each preset fixes endpoints, scopes and the claim
// mapping; the operator gives only the client id and secret (and for Apple its key, for Microsoft its tenant).
// Whether an upstream *verifies* emails decides whether its emails may ever be used to link accounts, so that
// is set per provider from its documentation, conservatively.

export interface Preset {
  type: 'oidc' | 'oauth2';
  displayName: string;
  issuer?: (options: Record<string, string>) => string;
  endpoints?: { authorization: string; token: string; userinfo: string; emails?: string };
  scopes: string[];
  mapping: ClaimMapping;
  options?: Record<string, string>;
}

const OIDC_MAPPING: ClaimMapping = {
  subject: 'sub', email: 'email', email_verified: 'email_verified', name: 'name', given_name: 'given_name',
  family_name: 'family_name', picture: 'picture', locale: 'locale',
};

/** Personal Microsoft accounts (the "consumers" tenant); a company tenant id may be given instead. */
export const MICROSOFT_CONSUMERS_TENANT = '9188040d-6c67-4c5b-b112-36a304b66dad';
const FACEBOOK_GRAPH = 'v19.0';

export const PRESETS: Record<string, Preset> = {
  google: {
    type: 'oidc', displayName: 'Google',
    issuer: () => 'https://accounts.google.com',
    scopes: ['openid', 'email', 'profile'],
    mapping: OIDC_MAPPING,
  },
  apple: {
    // Sign in with Apple: form_post is required when name or email is requested; the client secret is an
    // ES256 JWT we sign (options.teamId, keyId, privateKey). email_verified arrives as the string "true".
    type: 'oidc', displayName: 'Apple',
    issuer: () => 'https://appleid.apple.com',
    scopes: ['openid', 'name', 'email'],
    mapping: { subject: 'sub', email: 'email', email_verified: 'email_verified', given_name: 'given_name', family_name: 'family_name' },
    options: { responseMode: 'form_post', clientSecretJwt: 'apple', tokenAuthMethod: 'client_secret_post' },
  },
  line: {
    // LINE Login v2.1: the email (with the permission granted by LINE) is in the ID token, without any
    // statement that it was verified, so it is never used to link.
    type: 'oidc', displayName: 'LINE',
    issuer: () => 'https://access.line.me',
    scopes: ['openid', 'profile', 'email'],
    mapping: { subject: 'sub', email: 'email', email_verified: false, name: 'name', picture: 'picture' },
    options: { tokenAuthMethod: 'client_secret_post' },
  },
  yahoo_japan: {
    // Yahoo! JAPAN ID YConnect v2: email and email_verified come from userinfo.
    type: 'oidc', displayName: 'Yahoo! JAPAN',
    issuer: () => 'https://auth.login.yahoo.co.jp/yconnect/v2',
    scopes: ['openid', 'profile', 'email'],
    mapping: OIDC_MAPPING,
  },
  microsoft: {
    // Microsoft identity platform v2.0, one tenant (its issuer is fixed; "common" has a per-tenant issuer that
    // a standard issuer check cannot accept). The `email` claim is not verified by Microsoft (the "nOAuth" attack),
    // so it is never used to link.
    type: 'oidc', displayName: 'Microsoft',
    issuer: (options) => `https://login.microsoftonline.com/${options.tenant ?? MICROSOFT_CONSUMERS_TENANT}/v2.0`,
    scopes: ['openid', 'email', 'profile'],
    mapping: { subject: 'sub', email: 'email', email_verified: false, name: 'name', given_name: 'given_name', family_name: 'family_name', preferred_username: 'preferred_username' },
  },
  facebook: {
    // Facebook Login: OAuth 2.0 and the Graph API. Facebook does not state that the email was verified.
    type: 'oauth2', displayName: 'Facebook',
    endpoints: {
      authorization: `https://www.facebook.com/${FACEBOOK_GRAPH}/dialog/oauth`,
      token: `https://graph.facebook.com/${FACEBOOK_GRAPH}/oauth/access_token`,
      userinfo: `https://graph.facebook.com/${FACEBOOK_GRAPH}/me?fields=id,name,first_name,last_name,email,picture`,
    },
    scopes: ['public_profile', 'email'],
    mapping: { subject: 'id', email: 'email', email_verified: false, name: 'name', given_name: 'first_name', family_name: 'last_name', picture: 'picture.data.url' },
    options: { tokenAuthMethod: 'client_secret_post' },
  },
  github: {
    // GitHub OAuth Apps: /user, then /user/emails for the primary *verified* address.
    type: 'oauth2', displayName: 'GitHub',
    endpoints: {
      authorization: 'https://github.com/login/oauth/authorize',
      token: 'https://github.com/login/oauth/access_token',
      userinfo: 'https://api.github.com/user',
      emails: 'https://api.github.com/user/emails',
    },
    scopes: ['read:user', 'user:email'],
    mapping: { subject: 'id', email: 'email', email_verified: 'email_verified', name: 'name', picture: 'avatar_url', preferred_username: 'login' },
    options: { tokenAuthMethod: 'client_secret_post' },
  },
};
