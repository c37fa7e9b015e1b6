import { createLocalJWKSet, errors as joseErrors, jwtVerify, type JWTPayload } from 'jose';
import type { KeyStore } from '../keys/key-store.service.ts';
import { ApiProblem } from './problem.ts';

// Bearer access tokens (RFC 6750) for our management APIs: JWT access tokens (RFC 9068) that our own engine issued
// for the API's resource indicator (RFC 8707), verified in-process against our published keys. Missing, invalid,
// expired or foreign tokens are 401 with a WWW-Authenticate challenge (RFC 6750 §3); a valid token without the
// scope an operation needs is 403 insufficient_scope.

export interface TokenClaims extends JWTPayload {
  client_id: string;
  scope?: string;
}

export interface BearerPrincipal {
  clientId: string;
  scopes: Set<string>;
  /** The signed-in person acting through the client (a delegated token, or the admin console), if any. */
  accountId?: string;
  /** The token's own id, named in audit events. */
  tokenId?: string;
}

/** 403 insufficient_scope unless the principal holds one of `scopes`. */
export function requireScope(principal: BearerPrincipal, scopes: string[], realm = 'admin'): void {
  if (scopes.some((scope) => principal.scopes.has(scope))) return;
  throw new ApiProblem(403, 'auth.insufficient_scope', `this operation needs the scope ${scopes.join(' or ')}`, {
    headers: { 'WWW-Authenticate': `Bearer realm="${realm}", error="insufficient_scope", scope="${scopes.join(' ')}"` },
  });
}

const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k'];
const RELOAD_AFTER_MS = 30_000;

export function createBearerVerifier(deps: { keyStore: KeyStore; issuer: string; audience: string; realm: string; clientExists: (clientId: string) => Promise<boolean> }) {
  let jwks: ReturnType<typeof createLocalJWKSet> | undefined;
  let loadedAt = 0;

  async function keys(force: boolean) {
    if (!jwks || (force && Date.now() - loadedAt > RELOAD_AFTER_MS)) {
      const { keys: privateKeys } = await deps.keyStore.privateJwks();
      const publicKeys = privateKeys.map((key) => Object.fromEntries(Object.entries(key).filter(([name]) => !PRIVATE_MEMBERS.includes(name))));
      jwks = createLocalJWKSet({ keys: publicKeys as never });
      loadedAt = Date.now();
    }
    return jwks;
  }

  const challenge = (error?: string, description?: string, scope?: string) => [
    `Bearer realm="${deps.realm}"`,
    ...(error ? [`error="${error}"`] : []),
    ...(description ? [`error_description="${description.replace(/["\\]/g, '')}"`] : []),
    ...(scope ? [`scope="${scope}"`] : []),
  ].join(', ');

  const unauthorized = (error?: string, description?: string) =>
    new ApiProblem(401, 'auth.invalid_token', description ?? 'a bearer access token is required', {
      headers: { 'WWW-Authenticate': challenge(error, description) },
    });

  async function verify(token: string): Promise<TokenClaims> {
    const options = { issuer: deps.issuer, audience: deps.audience, typ: 'at+jwt', algorithms: ['ES256', 'PS256', 'RS256'] };
    try {
      return (await jwtVerify<TokenClaims>(token, await keys(false), options)).payload;
    } catch (error) {
      // A key rotated since the set was loaded: load it again (at most every 30 s) and try once more.
      if (!(error instanceof joseErrors.JWKSNoMatchingKey)) throw error;
      return (await jwtVerify<TokenClaims>(token, await keys(true), options)).payload;
    }
  }

  return {
    /** The principal of the request's bearer token, or a 401 problem. */
    async authenticate(authorization: string | undefined): Promise<BearerPrincipal> {
      const match = /^Bearer ([A-Za-z0-9._~+/-]+=*)$/.exec(authorization ?? '');
      if (!match) throw unauthorized(authorization ? 'invalid_request' : undefined, authorization ? 'malformed Authorization header' : undefined);
      let claims: TokenClaims;
      try {
        claims = await verify(match[1]!);
      } catch (error) {
        const expired = error instanceof joseErrors.JWTExpired;
        throw unauthorized('invalid_token', expired ? 'the access token expired' : 'the access token is not valid for this API');
      }
      // Only tokens a client obtained for itself (client_credentials: RFC 9068 §2.2, sub is the client id).
      if (typeof claims.client_id !== 'string' || claims.sub !== claims.client_id) throw unauthorized('invalid_token', 'the access token is not a client token');
      if (!(await deps.clientExists(claims.client_id))) throw unauthorized('invalid_token', 'the client of this token no longer exists');
      return { clientId: claims.client_id, scopes: new Set((claims.scope ?? '').split(' ').filter(Boolean)), tokenId: claims.jti };
    },
  };
}

export type BearerVerifier = ReturnType<typeof createBearerVerifier>;
