import * as client from 'openid-client';
import type { ConnectorFactoryDeps, ConnectorRecord, UpstreamTransaction } from '../connector.ts';

// The only importer of openid-client: every call to an upstream (discovery, code exchange with PKCE, ID token
// validation, userinfo, profile APIs) goes through it, so state, nonce, issuer, audience and signatures are
// checked by one well-reviewed library (OIDC Core 1.0 §3.1.3.7, RFC 7636, RFC 9207).
export { client };

export type ClientAuthMethod = 'client_secret_basic' | 'client_secret_post' | 'none';

export function clientAuth(record: ConnectorRecord, secret: string | undefined): client.ClientAuth {
  const method = (record.options.tokenAuthMethod ?? 'client_secret_basic') as ClientAuthMethod;
  if (method === 'none' || secret === undefined) return client.None();
  return method === 'client_secret_post' ? client.ClientSecretPost(secret) : client.ClientSecretBasic(secret);
}

export function requestOptions(deps: ConnectorFactoryDeps, url: string) {
  const insecure = url.startsWith('http:');
  if (insecure && !deps.allowHttp) throw new Error(`connector endpoint ${url} must use https`);
  return {
    execute: insecure ? [client.allowInsecureRequests] : [],
    timeout: 10,
  };
}

/** Authorization request parameters shared by OIDC and OAuth 2.0: code flow, S256 PKCE, state (and nonce). */
export async function authorizationParams(record: ConnectorRecord, transaction: UpstreamTransaction, withNonce: boolean) {
  const params: Record<string, string> = {
    redirect_uri: transaction.redirectUri,
    response_type: 'code',
    scope: record.scopes.join(' '),
    state: transaction.state,
    code_challenge: await client.calculatePKCECodeChallenge(transaction.codeVerifier),
    code_challenge_method: 'S256',
  };
  if (withNonce) params.nonce = transaction.nonce;
  if (record.options.responseMode) params.response_mode = record.options.responseMode;
  if (record.options.prompt) params.prompt = record.options.prompt;
  return params;
}

/** Caches one openid-client Configuration per connector version (discovery is a network round trip). */
export function configCache(build: () => Promise<client.Configuration>, ttlMs = 3600_000) {
  let cached: { config: client.Configuration; at: number } | undefined;
  return async () => {
    if (!cached || Date.now() - cached.at > ttlMs) cached = { config: await build(), at: Date.now() };
    return cached.config;
  };
}
