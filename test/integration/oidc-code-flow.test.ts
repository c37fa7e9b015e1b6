import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { Browser } from '../helpers/browser.ts';
import { client, signIn, type Rp } from '../helpers/rp.ts';
import { startWithUserAndRp } from '../helpers/scenario.ts';
import type { TestApp } from '../helpers/test-app.ts';

describe('authorization code + PKCE through the hosted pages', () => {
  let app: TestApp;
  let rp: Rp;
  const user = { email: 'Hanako.Yamada@Example.jp', password: 'correct horse battery staple' };

  beforeAll(async () => {
    ({ app, rp } = await startWithUserAndRp({ label: 'codeflow', user: { ...user, name: 'Hanako Yamada' } }));
  });
  afterAll(async () => app?.stop());

  test('discovery describes the engine we configured', async () => {
    const metadata = rp.config.serverMetadata();
    expect(metadata.issuer).toBe(app.issuer);
    expect(metadata.code_challenge_methods_supported).toEqual(['S256']);
    expect(metadata.grant_types_supported).toEqual(expect.arrayContaining(['authorization_code', 'refresh_token', 'client_credentials']));
    expect(metadata.introspection_endpoint).toBe(`${app.issuer}/token/introspection`);
    expect(metadata.revocation_endpoint).toBe(`${app.issuer}/token/revocation`);
    expect(metadata.end_session_endpoint).toBe(`${app.issuer}/session/end`);
    expect(metadata.backchannel_logout_supported).toBe(true);
    expect(metadata.claims_parameter_supported).toBe(true);
    expect(metadata.id_token_signing_alg_values_supported).toEqual(expect.arrayContaining(['RS256', 'ES256']));
  });

  test('a first-party client gets a validated ID token and userinfo by scope, with no consent page', async () => {
    const browser = new Browser();
    const { tokens } = await signIn(browser, rp, { email: 'hanako.yamada@example.jp', password: user.password });
    const claims = tokens.claims()!;
    expect(claims.iss).toBe(app.issuer);
    expect(claims.aud).toBe(rp.clientId);
    expect(claims.sub).toMatch(/^[0-9a-f-]{36}$/);
    expect(claims.amr).toEqual(['pwd']);
    expect(claims.acr).toBe('urn:idp:acr:password');
    expect(typeof claims.auth_time).toBe('number');

    const header = JSON.parse(Buffer.from(tokens.id_token!.split('.')[0]!, 'base64url').toString());
    expect(header.alg).toBe('RS256');

    const userinfo = await client.fetchUserInfo(rp.config, tokens.access_token, claims.sub);
    expect(userinfo).toMatchObject({ sub: claims.sub, email: user.email, email_verified: true, name: 'Hanako Yamada' });
    expect(userinfo).not.toHaveProperty('address');
  });

  test('scope decides the claims: openid alone releases only sub', async () => {
    const { tokens } = await signIn(new Browser(), rp, user, { scope: 'openid' });
    const userinfo = await client.fetchUserInfo(rp.config, tokens.access_token, tokens.claims()!.sub);
    expect(Object.keys(userinfo).sort()).toEqual(['sub']);
  });

  test('an existing session signs in again without a login page', async () => {
    const browser = new Browser();
    await signIn(browser, rp, user);
    const { tokens, page } = await signIn(browser, rp, { email: 'unused', password: 'unused' });
    expect(page.url).toContain('code=');
    expect(tokens.claims()!.sub).toBeDefined();
  });
});
