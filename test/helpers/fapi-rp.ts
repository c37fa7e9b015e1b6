import * as client from 'openid-client';
import { CompactEncrypt, exportJWK, generateKeyPair, importJWK, type JWK } from 'jose';
import type { TestApp } from './test-app.ts';
import type { Browser, Page } from './browser.ts';

// A FAPI 2.0 Relying Party on openid-client 6: private_key_jwt, PAR carrying a signed request object (JAR), JARM
// responses and DPoP-bound tokens. Every token endpoint response it sees is recorded, to read the DPoP nonce dance.

export const FAPI_REDIRECT = 'https://rp.example/cb';

export interface FapiRp {
  config: client.Configuration;
  clientId: string;
  metadata: Record<string, unknown>;
  signingKey: CryptoKey;
  /** Path, status and `error` of every response the RP received from the PAR and token endpoints, in order. */
  responses: Array<{ path: string; status: number; error?: string }>;
}

/** `keys`: the RP's signing key and the public JWK it registers (default: a new ES256 key). */
export async function registerFapiRp(app: TestApp, metadata: Record<string, unknown> = {}, keys?: { privateKey: CryptoKey; publicJwk: JWK }): Promise<FapiRp> {
  const { privateKey, publicJwk } = keys ?? await (async () => {
    const pair = await generateKeyPair('ES256', { extractable: true });
    return { privateKey: pair.privateKey, publicJwk: { ...(await exportJWK(pair.publicKey)), kid: 'rp-signing-1', alg: 'ES256', use: 'sig' } };
  })();
  const stored = await app.container.clients.add({
    security_profile: 'fapi2',
    redirect_uris: [FAPI_REDIRECT],
    jwks: { keys: [publicJwk] },
    first_party: true,
    client_name: 'Bank Site',
    ...metadata,
  });
  const responses: FapiRp['responses'] = [];
  const config = await client.discovery(new URL(app.issuer), stored.client_id, {
    // What openid-client expects us to sign with, for the ID token and the JARM response.
    id_token_signed_response_alg: 'ES256', authorization_signed_response_alg: 'ES256',
  }, client.PrivateKeyJwt(privateKey), { execute: [client.allowInsecureRequests, client.useJwtResponseMode] });
  config[client.customFetch] = async (url, options) => {
    const response = await fetch(url, options as RequestInit);
    const path = new URL(url).pathname;
    if (path === '/token' || path === '/request') {
      const body = await response.clone().json().catch(() => ({})) as { error?: string };
      responses.push({ path, status: response.status, ...(body.error ? { error: body.error } : {}) });
    }
    return response;
  };
  return { config, clientId: stored.client_id, metadata: stored, signingKey: privateKey, responses };
}

export interface FapiRequest {
  url: URL;
  state: string;
  nonce: string;
  verifier: string;
}

/** The request object, signed, then encrypted to the IdP's published ECDH-ES key (RFC 9101 §6.1). */
async function encryptTo(issuer: string, jws: string): Promise<string> {
  const { keys } = await (await fetch(`${issuer}/jwks`)).json() as { keys: JWK[] };
  const key = keys.find((k) => k.use === 'enc' && k.alg === 'ECDH-ES');
  if (!key) throw new Error('the IdP publishes no ECDH-ES encryption key');
  return new CompactEncrypt(new TextEncoder().encode(jws))
    .setProtectedHeader({ alg: 'ECDH-ES', enc: 'A256GCM', kid: key.kid, cty: 'oauth-authz-req+jwt' })
    .encrypt(await importJWK(key, 'ECDH-ES'));
}

/**
 * PAR (with a DPoP proof, binding the code to the key: RFC 9449 §10) whose only parameter is a signed request object,
 * encrypted as well with `encrypt`.
 */
export async function pushedRequest(rp: FapiRp, dpop: client.DPoPHandle | undefined, params: Record<string, string> = {}, encrypt = false): Promise<FapiRequest> {
  const verifier = client.randomPKCECodeVerifier();
  const state = client.randomState();
  const nonce = client.randomNonce();
  const { searchParams } = await client.buildAuthorizationUrlWithJAR(rp.config, {
    redirect_uri: FAPI_REDIRECT, scope: 'openid email offline_access', prompt: 'consent', response_mode: 'jwt', state, nonce,
    code_challenge: await client.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256', ...params,
  }, rp.signingKey);
  if (encrypt) searchParams.set('request', await encryptTo(rp.config.serverMetadata().issuer, searchParams.get('request')!));
  const url = await client.buildAuthorizationUrlWithPAR(rp.config, searchParams, dpop ? { DPoP: dpop } : undefined).catch((error: client.ResponseBodyError) => {
    throw new Error(`pushed authorization request refused: ${error.error}: ${error.error_description}`, { cause: error });
  });
  return { url, state, nonce, verifier };
}

/** Follows the authorization URL through the hosted sign-in pages to the (JARM) redirect back to the RP. */
export async function signInAt(browser: Browser, url: URL, credentials: { email: string; password: string }): Promise<Page> {
  browser.stopAt = [FAPI_REDIRECT];
  const login = await browser.get(url.toString());
  let page = login.url.startsWith(FAPI_REDIRECT) ? login : await browser.submit(login, credentials);
  if (page.html.querySelector('button[name=decision][value=allow]')) page = await browser.submit(page, { decision: 'allow' });
  if (!page.url.startsWith(FAPI_REDIRECT)) throw new Error(`expected a redirect to the RP, got ${page.status} at ${page.url}:\n${page.body.slice(0, 800)}`);
  return page;
}

export { client };
