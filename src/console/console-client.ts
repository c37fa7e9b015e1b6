// The admin console signs its users in through our own engine, as a first-party public client with PKCE, so the
// same login, MFA and policies apply as everywhere; the client demands MFA (`mfa_policy: required`). Registered (or
// updated for a new issuer) at every start, like the account pages' client.
export const CONSOLE_CLIENT_ID = 'idp-admin-console';

export function consoleClientMetadata(issuer: string): Record<string, unknown> & { client_id: string } {
  return {
    client_id: CONSOLE_CLIENT_ID,
    client_name: 'Admin console',
    'client_name#en': 'the admin console',
    'client_name#ja': '管理コンソール',
    redirect_uris: [`${issuer}/admin/callback`],
    post_logout_redirect_uris: [`${issuer}/admin`],
    grant_types: ['authorization_code'],
    response_types: ['code'],
    token_endpoint_auth_method: 'none',
    first_party: true,
    mfa_policy: 'required',
  };
}
