import * as client from 'openid-client';
import type { TestApp } from './test-app.ts';
import type { Browser, Page } from './browser.ts';

// A real Relying Party: openid-client 6 against the running IdP (plain http on 127.0.0.1 in tests).
export const RP_REDIRECT = 'http://127.0.0.1:9/cb';

export interface Rp {
  config: client.Configuration;
  metadata: Record<string, unknown>;
  clientId: string;
}

export async function registerRp(app: TestApp, metadata: Record<string, unknown> = {}): Promise<Rp> {
  const stored = await app.container.clients.add({
    redirect_uris: [RP_REDIRECT],
    post_logout_redirect_uris: ['http://127.0.0.1:9/logged-out'],
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    first_party: true,
    client_name: 'Brand Site',
    ...metadata,
  });
  const auth = stored.token_endpoint_auth_method === 'none' ? client.None() : client.ClientSecretBasic(stored.client_secret as string);
  const config = await client.discovery(new URL(app.issuer), stored.client_id, undefined, auth, {
    execute: [client.allowInsecureRequests],
  });
  return { config, metadata: stored, clientId: stored.client_id };
}

export interface AuthRequest {
  url: URL;
  state: string;
  nonce: string;
  verifier: string;
}

export async function authorizationRequest(rp: Rp, params: Record<string, string> = {}): Promise<AuthRequest> {
  const verifier = client.randomPKCECodeVerifier();
  const state = client.randomState();
  const nonce = client.randomNonce();
  const url = client.buildAuthorizationUrl(rp.config, {
    redirect_uri: RP_REDIRECT, scope: 'openid email profile', state, nonce,
    code_challenge: await client.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256', ...params,
  });
  return { url, state, nonce, verifier };
}

/** Completes the code exchange from the page the browser stopped at (the redirect to the RP). */
export async function exchangeCode(rp: Rp, request: AuthRequest, callback: Page) {
  if (!callback.url.startsWith(RP_REDIRECT)) {
    throw new Error(`expected a redirect to the RP, got ${callback.status} at ${callback.url}:\n${callback.body.slice(0, 800)}`);
  }
  return client.authorizationCodeGrant(rp.config, new URL(callback.url), {
    pkceCodeVerifier: request.verifier, expectedState: request.state, expectedNonce: request.nonce, idTokenExpected: true,
  });
}

/** Authorization request -> login page -> credentials -> (consent when asked) -> code -> tokens. */
export async function signIn(browser: Browser, rp: Rp, credentials: { email: string; password: string }, params: Record<string, string> = {}) {
  browser.stopAt = [RP_REDIRECT];
  const request = await authorizationRequest(rp, params);
  const login = await browser.get(request.url.toString());
  let page = login.url.startsWith(RP_REDIRECT) ? login : await browser.submit(login, credentials);
  if (page.html.querySelector('button[name=decision][value=allow]')) page = await browser.submit(page, { decision: 'allow' });
  return { request, tokens: await exchangeCode(rp, request, page), page };
}

export { client };
