import { internalClientMetadata } from '../account/account-client.ts';

// The admin console signs its users in through our own engine, as a first-party public client with PKCE, so the
// same login, MFA and policies apply as everywhere; the client demands MFA (`mfa_policy: required`). Registered (or
// updated for a new issuer) at every start, like the account pages' client.
export const CONSOLE_CLIENT_ID = 'idp-admin-console';

export function consoleClientMetadata(issuer: string): Record<string, unknown> & { client_id: string } {
  return internalClientMetadata({
    clientId: CONSOLE_CLIENT_ID, issuer, path: '/admin', names: { default: 'Admin console', en: 'the admin console', ja: '管理コンソール' },
    extra: { mfa_policy: 'required' },
  });
}
