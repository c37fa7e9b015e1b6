// The account pages sign people in through our own engine, as a first-party public client, so the same login,
// MFA and policy apply to them as to any site. Registered (or updated for a new issuer) at every start.
export const ACCOUNT_CLIENT_ID = 'idp-account';

export function accountClientMetadata(issuer: string): Record<string, unknown> & { client_id: string } {
  return {
    client_id: ACCOUNT_CLIENT_ID,
    client_name: 'Account',
    'client_name#en': 'your account',
    'client_name#ja': 'アカウント管理',
    redirect_uris: [`${issuer}/account/callback`],
    post_logout_redirect_uris: [`${issuer}/account`],
    grant_types: ['authorization_code'],
    response_types: ['code'],
    token_endpoint_auth_method: 'none',
    first_party: true,
  };
}
