import type { AccountDocument } from './account.model.ts';

// What an account looks like to the people and tools that manage it (CLI, admin API): an explicit whitelist of
// fields, so a password hash can never reach a terminal, a log or an API response.
export function publicAccount(account: AccountDocument) {
  return {
    id: account._id,
    email: account.email,
    email_verified: account.emailVerified,
    status: account.status,
    profile: account.profile ?? {},
    ...(account.custom ? { custom: account.custom } : {}),
    ...(account.externalId ? { external_id: account.externalId } : {}),
    ...(account.groups?.length ? { groups: account.groups } : {}),
    ...(account.roles?.length ? { roles: account.roles } : {}),
    has_password: Boolean(account.passwordHash),
    created_at: account.createdAt,
    updated_at: account.updatedAt,
    last_login_at: account.lastLoginAt,
  };
}

export type PublicAccount = ReturnType<typeof publicAccount>;
