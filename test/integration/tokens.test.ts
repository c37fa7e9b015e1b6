import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import * as jose from 'jose';
import { Browser } from '../helpers/browser.ts';
import { client, registerRp, signIn, type Rp } from '../helpers/rp.ts';
import { startWithUserAndRp } from '../helpers/scenario.ts';
import type { TestApp } from '../helpers/test-app.ts';

const API = 'https://api.example.test';

describe('token endpoint grants, introspection and revocation', () => {
  let app: TestApp;
  let rp: Rp;
  let service: Rp;
  const user = { email: 'taro@example.jp', password: 'a long enough password' };

  beforeAll(async () => {
    ({ app, rp } = await startWithUserAndRp({
      label: 'tokens',
      overrides: { resourceServers: { [API]: { scopes: ['orders:read', 'orders:write'], accessTokenTTL: 600 } } },
      user,
    }));
    service = await registerRp(app, {
      client_name: 'Order service', grant_types: ['client_credentials'], response_types: [], redirect_uris: [],
      post_logout_redirect_uris: [], scope: 'orders:read',
    });
  });
  afterAll(async () => app?.stop());

  test('refresh tokens rotate: the new one works, the old one is refused afterwards and revokes the chain', async () => {
    // offline_access needs prompt=consent (OIDC Core §11), even for a first-party client.
    const { tokens } = await signIn(new Browser(), rp, user, { scope: 'openid email offline_access', prompt: 'consent' });
    const first = tokens.refresh_token!;
    expect(first).toBeDefined();

    const refreshed = await client.refreshTokenGrant(rp.config, first);
    expect(refreshed.refresh_token).toBeDefined();
    expect(refreshed.refresh_token).not.toBe(first);
    expect(refreshed.claims()!.sub).toBe(tokens.claims()!.sub);

    await expect(client.refreshTokenGrant(rp.config, first)).rejects.toMatchObject({ error: 'invalid_grant' });
    // Reuse of a rotated token is treated as theft: the grant and its newer tokens are revoked too.
    await expect(client.refreshTokenGrant(rp.config, refreshed.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });
  });

  test('no refresh token without offline_access, nor for offline_access without prompt=consent', async () => {
    const { tokens } = await signIn(new Browser(), rp, user, { scope: 'openid' });
    expect(tokens.refresh_token).toBeUndefined();
    const { tokens: noConsent } = await signIn(new Browser(), rp, user, { scope: 'openid offline_access' });
    expect(noConsent.refresh_token).toBeUndefined();
  });

  test('client_credentials gives a JWT access token for a registered API, verifiable with our JWKS', async () => {
    const result = await client.clientCredentialsGrant(service.config, { scope: 'orders:read', resource: API });
    expect(result.token_type.toLowerCase()).toBe('bearer');
    const jwks = jose.createRemoteJWKSet(new URL(`${app.issuer}/jwks`));
    const { payload, protectedHeader } = await jose.jwtVerify(result.access_token, jwks, { issuer: app.issuer, audience: API });
    expect(protectedHeader.typ).toBe('at+jwt');
    expect(protectedHeader.alg).toBe('ES256');
    expect(payload.client_id).toBe(service.clientId);
    expect(payload.scope).toBe('orders:read');
  });

  test('client_credentials refuses an unknown API and a scope the client may not ask for', async () => {
    await expect(client.clientCredentialsGrant(service.config, { scope: 'orders:read', resource: 'https://unknown.example' }))
      .rejects.toMatchObject({ error: 'invalid_target' });
    await expect(client.clientCredentialsGrant(service.config, { scope: 'orders:write', resource: API }))
      .rejects.toMatchObject({ error: 'invalid_scope' });
  });

  test('introspection reports active tokens with their details, and inactive after revocation', async () => {
    const { tokens } = await signIn(new Browser(), rp, user, { scope: 'openid email offline_access', prompt: 'consent' });
    const active = await client.tokenIntrospection(rp.config, tokens.access_token, { token_type_hint: 'access_token' });
    expect(active).toMatchObject({ active: true, client_id: rp.clientId, sub: tokens.claims()!.sub, token_type: 'Bearer' });
    expect(active.scope).toContain('email');

    await client.tokenRevocation(rp.config, tokens.access_token, { token_type_hint: 'access_token' });
    const revoked = await client.tokenIntrospection(rp.config, tokens.access_token);
    expect(revoked.active).toBe(false);
    await expect(client.fetchUserInfo(rp.config, tokens.access_token, tokens.claims()!.sub)).rejects.toBeDefined();

    await client.tokenRevocation(rp.config, tokens.refresh_token!, { token_type_hint: 'refresh_token' });
    await expect(client.refreshTokenGrant(rp.config, tokens.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });
  });

  test('only the owner introspects or revokes a token; a registered resource server may introspect', async () => {
    const { tokens } = await signIn(new Browser(), rp, user, { scope: 'openid email' });
    const other = await registerRp(app, { client_name: 'Other brand' });
    const seen = await client.tokenIntrospection(other.config, tokens.access_token);
    expect(seen.active).toBe(false);
    const resourceServer = await registerRp(app, {
      client_name: 'Orders API', introspection_allowed: true, grant_types: ['client_credentials'], response_types: [],
      redirect_uris: [], post_logout_redirect_uris: [],
    });
    expect((await client.tokenIntrospection(resourceServer.config, tokens.access_token)).active).toBe(true);
    await client.tokenRevocation(other.config, tokens.access_token).catch(() => undefined);
    expect((await client.tokenIntrospection(rp.config, tokens.access_token)).active).toBe(true);
  });

  test('a wrong client secret is a 401 invalid_client', async () => {
    const response = await fetch(`${app.issuer}/token`, {
      method: 'POST',
      headers: {
        authorization: `Basic ${Buffer.from(`${service.clientId}:wrong-secret`).toString('base64')}`,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: 'grant_type=client_credentials',
    });
    expect(response.status).toBe(401);
    expect(await response.json()).toMatchObject({ error: 'invalid_client' });
  });
});
