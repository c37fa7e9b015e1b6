import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { CompactEncrypt, calculateJwkThumbprint, decodeJwt, decodeProtectedHeader, exportJWK, generateKeyPair, importJWK } from 'jose';
import { Browser } from '../helpers/browser.ts';
import { registerRp, signIn, RP_REDIRECT } from '../helpers/rp.ts';
import { FAPI_REDIRECT, client, pushedRequest, registerFapiRp, signInAt, type FapiRp } from '../helpers/fapi-rp.ts';
import { startTestApp, type TestApp } from '../helpers/test-app.ts';
import { managementClient, OpenApiClient } from '../helpers/admin-api.ts';
import { cliEnvFor, runIdp } from '../helpers/cli.ts';
import { TEST_SECRETS } from '../helpers/test-app.ts';
import { engineCollectionName } from '../../src/oidc/adapter/mongo.adapter.ts';

// The FAPI 2.0 grade of one client (security_profile: fapi2), driven by openid-client 6 as the RP through the real
// hosted sign-in pages: PAR + signed request object + JARM + DPoP + private_key_jwt. Beside it an ordinary client,
// which must see none of it.

describe('FAPI 2.0 clients', () => {
  let app: TestApp;
  let rp: FapiRp;
  const user = { email: 'kenji.sato@example.jp', password: 'correct horse battery staple' };
  // The token endpoint answers every refused grant alike ("grant request is invalid"); the engine's event says why.
  const grantErrors: string[] = [];
  const lastGrantError = () => grantErrors.at(-1);

  beforeAll(async () => {
    // Codes live 5 minutes for ordinary clients here, so the 60 s cap of FAPI clients is visible.
    app = await startTestApp({ label: 'fapi2', overrides: { ttl: { authorizationCode: 300 } } });
    await app.container.accounts.createByAdmin({ ...user, name: 'Kenji Sato', verified: true });
    rp = await registerFapiRp(app);
    app.container.provider().on('grant.error', (_ctx: unknown, error: { error_detail?: string }) => grantErrors.push(String(error.error_detail)));
  });
  afterAll(async () => app?.stop());

  test('discovery says what is supported, and requires nothing of clients that did not choose the profile', async () => {
    const metadata = rp.config.serverMetadata();
    expect(metadata.pushed_authorization_request_endpoint).toBe(`${app.issuer}/request`);
    expect(metadata.require_pushed_authorization_requests).toBe(false);
    expect(metadata.request_parameter_supported).toBe(true);
    expect(metadata.request_uri_parameter_supported).toBe(false);
    expect(metadata.require_signed_request_object).toBe(false);
    expect(metadata.request_object_signing_alg_values_supported).toEqual(expect.arrayContaining(['ES256', 'PS256']));
    expect(metadata.request_object_encryption_alg_values_supported).toEqual(expect.arrayContaining(['ECDH-ES']));
    expect(metadata.request_object_encryption_enc_values_supported).toEqual(expect.arrayContaining(['A256GCM']));
    expect(metadata.response_modes_supported).toEqual(expect.arrayContaining(['query', 'jwt', 'query.jwt', 'form_post.jwt']));
    expect(metadata.authorization_signing_alg_values_supported).toEqual(expect.arrayContaining(['ES256']));
    expect(metadata.authorization_response_iss_parameter_supported).toBe(true);
    expect(metadata.dpop_signing_alg_values_supported).toEqual(['ES256', 'PS256', 'Ed25519', 'EdDSA']);
    expect(metadata.code_challenge_methods_supported).toEqual(['S256']);
    expect(metadata.token_endpoint_auth_methods_supported).toEqual(expect.arrayContaining(['private_key_jwt', 'client_secret_basic']));
    // tls_client_auth only when a proxy passes client certificates (mtls.certificateHeader).
    expect(metadata.token_endpoint_auth_methods_supported).not.toContain('tls_client_auth');
    expect(metadata.tls_client_certificate_bound_access_tokens).toBeUndefined();
  });

  test('the profile fills in what it implies, and refuses metadata that falls short of it', async () => {
    expect(rp.metadata).toMatchObject({
      security_profile: 'fapi2', token_endpoint_auth_method: 'private_key_jwt', require_pushed_authorization_requests: true,
      require_signed_request_object: true, dpop_bound_access_tokens: true, response_types: ['code'],
      response_modes: ['jwt', 'query.jwt', 'form_post.jwt'],
      id_token_signed_response_alg: 'ES256', authorization_signed_response_alg: 'ES256',
    });
    expect(rp.metadata.client_secret).toBeUndefined();
    const base = { security_profile: 'fapi2', redirect_uris: [FAPI_REDIRECT], jwks: rp.metadata.jwks };
    const refused = async (extra: Record<string, unknown>) => app.container.clients.add({ ...base, ...extra }).then(() => 'accepted', (error: Error) => error.message);
    expect(await refused({ token_endpoint_auth_method: 'client_secret_basic' })).toMatch(/token_endpoint_auth_method must be private_key_jwt or tls_client_auth/);
    expect(await refused({ dpop_bound_access_tokens: false })).toMatch(/dpop_bound_access_tokens must be true/);
    expect(await refused({ require_pushed_authorization_requests: false })).toMatch(/require_pushed_authorization_requests must be true/);
    expect(await refused({ id_token_signed_response_alg: 'RS256' })).toMatch(/id_token_signed_response_alg must be ES256 or PS256/);
    expect(await refused({ request_object_signing_alg: 'RS256' })).toMatch(/request_object_signing_alg must be ES256 or PS256/);
    expect(await refused({ redirect_uris: ['http://rp.example/cb'] })).toMatch(/redirect_uris must use https/);
    expect(await refused({ response_modes: ['query', 'jwt'] })).toMatch(/response_modes must hold only jwt/);
    expect(await refused({ jwks: undefined })).toMatch(/jwks or jwks_uri is mandatory/);
    expect(await refused({ security_profile: 'fapi1' })).toMatch(/security_profile/);
    expect(await refused({ request_object_encryption_alg: 'A128KW', request_object_encryption_enc: 'A128GCM' })).toMatch(/no client secret/);
  });

  test('PAR + JAR + JARM + DPoP + private_key_jwt through the hosted sign-in: DPoP-bound tokens, a 60 s code, nonces', async () => {
    const dpopKey = await client.randomDPoPKeyPair('ES256');
    const dpop = client.getDPoPHandle(rp.config, dpopKey);
    rp.responses.length = 0;
    const request = await pushedRequest(rp, dpop);
    // FAPI 2.0 §5.3.3.2-6: only client_id and request_uri go through the browser.
    expect([...request.url.searchParams.keys()].sort()).toEqual(['client_id', 'request_uri']);

    const callback = await signInAt(new Browser(), request.url, user);
    const callbackUrl = new URL(callback.url);
    // JARM: the code travels inside one signed JWT (ES256, our key), with iss (RFC 9207) and aud.
    expect([...callbackUrl.searchParams.keys()]).toEqual(['response']);
    const response = callbackUrl.searchParams.get('response')!;
    expect(decodeProtectedHeader(response).alg).toBe('ES256');
    expect(decodeJwt(response)).toMatchObject({ iss: app.issuer, aud: rp.clientId, state: request.state });

    const tokens = await client.authorizationCodeGrant(rp.config, callbackUrl, {
      pkceCodeVerifier: request.verifier, expectedState: request.state, expectedNonce: request.nonce, idTokenExpected: true,
    }, undefined, { DPoP: dpop });
    expect(tokens.token_type.toLowerCase()).toBe('dpop');
    expect(tokens.refresh_token).toBeDefined();
    expect(decodeProtectedHeader(tokens.id_token!).alg).toBe('ES256');
    // The access token is bound to the DPoP key (RFC 9449 §6), as the code was by the pushed request (§10).
    const jkt = await calculateJwkThumbprint(await exportJWK(dpopKey.publicKey));
    const db = app.container.connection.db!;
    expect(await db.collection(engineCollectionName('AccessToken')).countDocuments({ 'payload.clientId': rp.clientId, 'payload.jkt': jkt })).toBe(1);
    const stored = await db.collection(engineCollectionName('AuthorizationCode')).findOne({ 'payload.clientId': rp.clientId });
    const payload = stored!.payload as { exp: number; iat: number; dpopJkt?: string };
    expect(payload.exp - payload.iat).toBe(60);
    expect(payload.dpopJkt).toBe(jkt);
    // The nonce dance of RFC 9449 §8: the first proof (at PAR) had no nonce and was told to use one; openid-client
    // retried with it, and the token request, carrying the nonce, went through at once.
    expect(rp.responses).toEqual([
      { path: '/request', status: 400, error: 'use_dpop_nonce' },
      { path: '/request', status: 201 },
      { path: '/token', status: 200 },
    ]);

    // Userinfo takes the token with a proof of the same key, and refuses it as a plain bearer token.
    const sub = tokens.claims()!.sub;
    await expect(client.fetchUserInfo(rp.config, tokens.access_token, sub, { DPoP: dpop })).resolves.toMatchObject({ sub, email: user.email });
    const asBearer = await fetch(`${app.issuer}/me`, { headers: { authorization: `Bearer ${tokens.access_token}` } });
    expect(asBearer.status).toBe(401);

    // Refresh: without a proof, refused; with another key, refused; with the key of the grant, a new DPoP-bound access
    // token and the same refresh token (no rotation, FAPI 2.0 §5.3.2.1-9).
    const refreshToken = tokens.refresh_token!;
    await expect(client.refreshTokenGrant(rp.config, refreshToken)).rejects.toMatchObject({ error: 'invalid_grant' });
    expect(lastGrantError()).toBe('DPoP proof JWT not provided');
    const otherKey = client.getDPoPHandle(rp.config, await client.randomDPoPKeyPair('ES256'));
    await expect(client.refreshTokenGrant(rp.config, refreshToken, undefined, { DPoP: otherKey }))
      .rejects.toMatchObject({ error: 'invalid_grant' });
    expect(lastGrantError()).toBe('failed jkt verification');
    const refreshed = await client.refreshTokenGrant(rp.config, refreshToken, undefined, { DPoP: dpop });
    expect(refreshed.token_type.toLowerCase()).toBe('dpop');
    expect(refreshed.refresh_token).toBe(refreshToken);
    await expect(client.fetchUserInfo(rp.config, refreshed.access_token, sub, { DPoP: dpop })).resolves.toMatchObject({ sub });
  });

  test('a FAPI client must send a DPoP nonce: a fresh key without one is told to use_dpop_nonce, and the retry works', async () => {
    const request = await pushedRequest(rp, undefined);
    const callback = await signInAt(new Browser(), request.url, user);
    // A key openid-client has never used, so it knows no nonce for it yet.
    const dpop = client.getDPoPHandle(rp.config, await client.randomDPoPKeyPair('ES256'));
    rp.responses.length = 0;
    const tokens = await client.authorizationCodeGrant(rp.config, new URL(callback.url), {
      pkceCodeVerifier: request.verifier, expectedState: request.state, expectedNonce: request.nonce,
    }, undefined, { DPoP: dpop });
    expect(tokens.token_type.toLowerCase()).toBe('dpop');
    expect(rp.responses).toEqual([{ path: '/token', status: 400, error: 'use_dpop_nonce' }, { path: '/token', status: 200 }]);
  });

  test('a client that registers request_object_encryption_* sends its request object signed and encrypted to our key', async () => {
    const encrypting = await registerFapiRp(app, { request_object_encryption_alg: 'ECDH-ES', request_object_encryption_enc: 'A256GCM' });
    const dpop = client.getDPoPHandle(encrypting.config, await client.randomDPoPKeyPair('ES256'));
    const request = await pushedRequest(encrypting, dpop, {}, true);
    const callback = await signInAt(new Browser(), request.url, user);
    const tokens = await client.authorizationCodeGrant(encrypting.config, new URL(callback.url), {
      pkceCodeVerifier: request.verifier, expectedState: request.state, expectedNonce: request.nonce,
    }, undefined, { DPoP: dpop });
    expect(tokens.token_type.toLowerCase()).toBe('dpop');
    // A request object encrypted to a key that is not ours is refused at the pushed authorization request.
    const stranger = await generateKeyPair('ECDH-ES', { extractable: true });
    const { searchParams } = await client.buildAuthorizationUrlWithJAR(encrypting.config, {
      redirect_uri: FAPI_REDIRECT, scope: 'openid', code_challenge: await client.calculatePKCECodeChallenge(client.randomPKCECodeVerifier()), code_challenge_method: 'S256',
    }, encrypting.signingKey);
    const jwe = await new CompactEncrypt(new TextEncoder().encode(searchParams.get('request')!))
      .setProtectedHeader({ alg: 'ECDH-ES', enc: 'A256GCM' }).encrypt(stranger.publicKey);
    searchParams.set('request', jwe);
    await expect(client.buildAuthorizationUrlWithPAR(encrypting.config, searchParams)).rejects.toMatchObject({ error: 'invalid_request_object' });
  });

  test('RSA keys sign with PS256 (assertion, request object, DPoP); RS256 from the same key is refused', async () => {
    const pair = await generateKeyPair('PS256', { extractable: true });
    // Registered without `alg`, so only our profile check stands between an RS256 signature and acceptance.
    const publicJwk = { ...(await exportJWK(pair.publicKey)), kid: 'rp-rsa-1', use: 'sig' };
    const rsa = await registerFapiRp(app, {}, { privateKey: pair.privateKey, publicJwk });
    const dpop = client.getDPoPHandle(rsa.config, await client.randomDPoPKeyPair('PS256'));
    const request = await pushedRequest(rsa, dpop);
    const callback = await signInAt(new Browser(), request.url, user);
    const tokens = await client.authorizationCodeGrant(rsa.config, new URL(callback.url), {
      pkceCodeVerifier: request.verifier, expectedState: request.state, expectedNonce: request.nonce,
    }, undefined, { DPoP: dpop });
    expect(tokens.token_type.toLowerCase()).toBe('dpop');

    const rs256 = await importJWK({ ...(await exportJWK(pair.privateKey)), alg: 'RS256' }, 'RS256') as CryptoKey;
    await expect(pushedRequest({ ...rsa, signingKey: rs256 }, undefined)).rejects.toThrow(/invalid_request_object: Request Object must be signed with ES256 or PS256/);
    const rs256Auth = await client.discovery(new URL(app.issuer), rsa.clientId, undefined, client.PrivateKeyJwt(rs256), {
      execute: [client.allowInsecureRequests, client.useJwtResponseMode],
    });
    await expect(pushedRequest({ ...rsa, config: rs256Auth }, undefined)).rejects.toThrow(/invalid_client/);
  });

  test('the token endpoint refuses a FAPI client\'s code without a DPoP proof', async () => {
    const request = await pushedRequest(rp, undefined);
    const callback = await signInAt(new Browser(), request.url, user);
    await expect(client.authorizationCodeGrant(rp.config, new URL(callback.url), {
      pkceCodeVerifier: request.verifier, expectedState: request.state, expectedNonce: request.nonce,
    })).rejects.toMatchObject({ error: 'invalid_grant' });
    expect(lastGrantError()).toBe('DPoP proof JWT not provided');
  });

  test('an authorization request without PAR, a pushed one without a signed request object, or one without JARM, is refused', async () => {
    const verifier = client.randomPKCECodeVerifier();
    const plain = client.buildAuthorizationUrl(rp.config, {
      redirect_uri: FAPI_REDIRECT, scope: 'openid', response_mode: 'jwt', state: client.randomState(),
      code_challenge: await client.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256',
    });
    const browser = new Browser();
    browser.stopAt = [FAPI_REDIRECT];
    const page = await browser.get(plain.toString());
    // Refused before any sign-in page: no interaction, no code.
    expect(page.url).not.toContain('/interaction/');
    const answer = page.url.startsWith(FAPI_REDIRECT) ? decodeJwt(new URL(page.url).searchParams.get('response')!) : { error: page.status };
    expect(answer).toMatchObject({ error: 'invalid_request' });
    expect(String((answer as { error_description?: string }).error_description)).toMatch(/Pushed Authorization Request must be used/);

    await expect(client.buildAuthorizationUrlWithPAR(rp.config, {
      redirect_uri: FAPI_REDIRECT, scope: 'openid', code_challenge: await client.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256',
    })).rejects.toMatchObject({ error: 'invalid_request', error_description: expect.stringMatching(/Request Object must be used/) });

    // JARM only: a pushed, signed request asking for a plain query response is refused. (openid-client set up for
    // JARM always asks for response_mode=jwt: this request is built without that.)
    const withoutJarm = await client.discovery(new URL(app.issuer), rp.clientId, undefined, client.PrivateKeyJwt(rp.signingKey), {
      execute: [client.allowInsecureRequests],
    });
    await expect(pushedRequest({ ...rp, config: withoutJarm }, undefined, { response_mode: 'query' }))
      .rejects.toThrow(/invalid_request: requested response_mode is not allowed/);
  });

  test('an ordinary client is unchanged: plain code flow, Bearer tokens, no DPoP, iss in the redirect', async () => {
    const plain = await registerRp(app);
    const { tokens, page } = await signIn(new Browser(), plain, user, { scope: 'openid email offline_access', prompt: 'consent' });
    expect(page.url.startsWith(RP_REDIRECT)).toBe(true);
    expect(new URL(page.url).searchParams.get('iss')).toBe(app.issuer);
    expect(tokens.token_type.toLowerCase()).toBe('bearer');
    expect(decodeProtectedHeader(tokens.id_token!).alg).toBe('RS256');
    const sub = tokens.claims()!.sub;
    await expect(client.fetchUserInfo(plain.config, tokens.access_token, sub)).resolves.toMatchObject({ sub });
    // Its codes keep the configured lifetime, and its refresh tokens keep rotating.
    const stored = await app.container.connection.db!.collection(engineCollectionName('AuthorizationCode')).findOne({ 'payload.clientId': plain.clientId });
    const payload = stored!.payload as { exp: number; iat: number };
    expect(payload.exp - payload.iat).toBe(300);
    const refreshed = await client.refreshTokenGrant(plain.config, tokens.refresh_token!);
    expect(refreshed.refresh_token).not.toBe(tokens.refresh_token);
  });

  test('an ordinary client may still use DPoP of its own accord, and is not asked for a nonce', async () => {
    const service = await registerRp(app, { grant_types: ['client_credentials'], response_types: [], redirect_uris: [], post_logout_redirect_uris: [], scope: 'idp:admin:read' });
    const statuses: number[] = [];
    service.config[client.customFetch] = async (url, options) => {
      const response = await fetch(url, options as RequestInit);
      if (new URL(url).pathname === '/token') statuses.push(response.status);
      return response;
    };
    const dpop = client.getDPoPHandle(service.config, await client.randomDPoPKeyPair('ES256'));
    const token = await client.clientCredentialsGrant(service.config, { scope: 'idp:admin:read' }, { DPoP: dpop });
    expect(token.token_type.toLowerCase()).toBe('dpop');
    expect(statuses).toEqual([200]);
  });

  test('`idp clients add --profile fapi2` registers a FAPI client with its jwks_uri; another profile name is a usage error', async () => {
    const metadata = { redirect_uris: [FAPI_REDIRECT], jwks_uri: 'https://rp.example/jwks.json', client_name: 'Bank App' };
    const added = await runIdp(['clients', 'add', '--profile', 'fapi2', '--json', JSON.stringify(metadata)], cliEnvFor(app, TEST_SECRETS));
    expect({ status: added.status, stderr: added.stderr }).toEqual({ status: 0, stderr: '' });
    const stored = JSON.parse(added.stdout) as Record<string, unknown>;
    expect(stored).toMatchObject({
      ...metadata, security_profile: 'fapi2', token_endpoint_auth_method: 'private_key_jwt',
      require_pushed_authorization_requests: true, require_signed_request_object: true, dpop_bound_access_tokens: true,
    });
    expect(stored.client_secret).toBeUndefined();
    const wrong = await runIdp(['clients', 'add', '--profile', 'fapi1', '--json', JSON.stringify(metadata)], cliEnvFor(app, TEST_SECRETS));
    expect(wrong.status).toBe(2);
    expect(wrong.stderr).toMatch(/--profile must be fapi2/);
  });

  test('the admin API creates a FAPI client with jwks, and turns an ordinary client into one only with keys', async () => {
    const writer = await managementClient(app, 'idp:admin');
    const api = await OpenApiClient.load(app, '/admin/api/openapi.json', await writer.token());
    const created = await api.call('createClient', { body: { security_profile: 'fapi2', redirect_uris: [FAPI_REDIRECT], jwks: rp.metadata.jwks } });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ security_profile: 'fapi2', dpop_bound_access_tokens: true, jwks: rp.metadata.jwks });
    expect(created.body.client_secret).toBeUndefined();

    const ordinary = await api.call('createClient', { body: { redirect_uris: ['https://shop.example/cb'] } });
    const id = ordinary.body.client_id as string;
    const withoutKeys = await api.call('updateClient', { params: { id }, body: { security_profile: 'fapi2' } });
    expect(withoutKeys.status).toBe(400);
    expect(JSON.stringify(withoutKeys.body)).toMatch(/jwks or jwks_uri is mandatory/);
    const upgraded = await api.call('updateClient', { params: { id }, body: { security_profile: 'fapi2', jwks_uri: 'https://shop.example/jwks.json' } });
    expect(upgraded.status).toBe(200);
    expect(upgraded.body).toMatchObject({ security_profile: 'fapi2', token_endpoint_auth_method: 'private_key_jwt', require_pushed_authorization_requests: true });
  });
});
