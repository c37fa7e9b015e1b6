import type { Config } from '../config/config.schema.ts';

// Resource indicators (RFC 8707): the APIs we issue access tokens for, from config. A JWT access token
// (RFC 9068) is signed with ES256: about ten times cheaper than RS256 for the same security level.
export interface ResourceServerInfo {
  scope: string;
  audience: string;
  accessTokenTTL: number;
  accessTokenFormat: 'jwt' | 'opaque';
  jwt?: { sign: { alg: 'ES256' } };
}

/** Our own management APIs, always known: the admin API and SCIM (audience = their base URL, RFC 8707). */
export const MANAGEMENT_SCOPES = { admin: 'idp:admin', adminRead: 'idp:admin:read', scim: 'idp:scim' } as const;
export const adminApiResource = (issuer: string) => `${issuer}/admin/api`;
export const scimResource = (issuer: string) => `${issuer}/scim/v2`;

function managementServers(config: Config): Config['resourceServers'] {
  const server = (scopes: string[]) => ({ scopes, accessTokenTTL: config.admin.accessTokenTTL, accessTokenFormat: 'jwt' as const });
  return {
    [adminApiResource(config.issuer)]: server([MANAGEMENT_SCOPES.admin, MANAGEMENT_SCOPES.adminRead]),
    [scimResource(config.issuer)]: server([MANAGEMENT_SCOPES.scim]),
  };
}

/** Every scope of every API we issue tokens for. */
export const resourceServerScopes = (config: Config): string[] =>
  Object.values({ ...config.resourceServers, ...managementServers(config) }).flatMap((r) => r.scopes);

/**
 * A client_credentials request without `resource` that asks only for management scopes gets the API those scopes
 * belong to, so `scope=idp:admin` alone yields a token for the admin API.
 */
export function defaultManagementResource(config: Config, scope: unknown): string | undefined {
  const scopes = typeof scope === 'string' ? scope.split(' ').filter(Boolean) : [];
  if (!scopes.length) return undefined;
  if (scopes.every((s) => s === MANAGEMENT_SCOPES.admin || s === MANAGEMENT_SCOPES.adminRead)) return adminApiResource(config.issuer);
  if (scopes.every((s) => s === MANAGEMENT_SCOPES.scim)) return scimResource(config.issuer);
  return undefined;
}

export function resourceServerInfo(config: Config, indicator: string): ResourceServerInfo | undefined {
  const server = config.resourceServers[indicator] ?? managementServers(config)[indicator];
  if (!server) return undefined;
  return {
    scope: server.scopes.join(' '),
    audience: indicator,
    accessTokenTTL: server.accessTokenTTL,
    accessTokenFormat: server.accessTokenFormat,
    ...(server.accessTokenFormat === 'jwt' ? { jwt: { sign: { alg: 'ES256' as const } } } : {}),
  };
}
