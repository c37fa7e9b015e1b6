// The account pages sign people in through our own engine, as a first-party public client, so the same login,
// MFA and policy apply to them as to any site. Registered (or updated for a new issuer) at every start.
export const ACCOUNT_CLIENT_ID = 'idp-account';

/** One of our own first-party public clients (PKCE), signing people in at `issuer + path` and back there. */
export function internalClientMetadata(options: { clientId: string; issuer: string; path: string; names: { default: string; en: string; ja: string }; extra?: Record<string, unknown> }) {
  return {
    client_id: options.clientId,
    client_name: options.names.default,
    'client_name#en': options.names.en,
    'client_name#ja': options.names.ja,
    redirect_uris: [`${options.issuer}${options.path}/callback`],
    post_logout_redirect_uris: [`${options.issuer}${options.path}`],
    grant_types: ['authorization_code'],
    response_types: ['code'],
    token_endpoint_auth_method: 'none',
    first_party: true,
    ...options.extra,
  };
}

export function accountClientMetadata(issuer: string): Record<string, unknown> & { client_id: string } {
  return internalClientMetadata({ clientId: ACCOUNT_CLIENT_ID, issuer, path: '/account', names: { default: 'Account', en: 'your account', ja: 'アカウント管理' } });
}
