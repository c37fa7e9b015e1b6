import type { Account } from '../accounts/account.repository.ts';

// Standard scopes and the claims each releases (OIDC Core 1.0 §5.4). The engine masks claims by granted scope.
export const SCOPE_CLAIMS = {
  // acr, amr and auth_time in every ID token: the client always learns how and when the user authenticated.
  openid: ['sub', 'acr', 'amr', 'auth_time'],
  email: ['email', 'email_verified'],
  profile: [
    'name', 'family_name', 'given_name', 'middle_name', 'nickname', 'preferred_username', 'profile', 'picture',
    'website', 'gender', 'birthdate', 'zoneinfo', 'locale', 'updated_at',
  ],
  address: ['address'],
  phone: ['phone_number', 'phone_number_verified'],
  // The names of the account's groups (src/groups), for sites and SAML SPs that authorise by group.
  groups: ['groups'],
} as const;

export const SUPPORTED_SCOPES = ['openid', 'offline_access', ...Object.keys(SCOPE_CLAIMS).filter((s) => s !== 'openid')];

/** All claims of an account; the engine releases the subset the grant allows. */
export function accountClaims(account: Account): Record<string, unknown> {
  const { address, ...profile } = account.profile ?? {};
  return {
    sub: account._id,
    email: account.email,
    email_verified: account.emailVerified,
    ...profile,
    // Custom attributes (config.profile.customAttributes), released by the scope the config names.
    ...account.custom,
    ...(address && Object.keys(address).length ? { address } : {}),
    updated_at: Math.floor(new Date(account.updatedAt).getTime() / 1000),
  };
}

/** Display names of group ids (src/groups/group.service.ts). */
export type GroupNames = (ids: string[]) => Promise<string[]>;

/** accountClaims plus `groups` (one read of the groups collection, only for accounts that have any). */
export async function accountClaimsWithGroups(account: Account, groupNames?: GroupNames): Promise<Record<string, unknown>> {
  const claims = accountClaims(account);
  if (groupNames && account.groups?.length) claims.groups = await groupNames(account.groups);
  return claims;
}
