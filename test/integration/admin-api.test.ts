import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { Validator } from '@seriousme/openapi-schema-validator';
import { SignJWT, importJWK } from 'jose';
import { Browser } from '../helpers/browser.ts';
import { managementClient, OpenApiClient } from '../helpers/admin-api.ts';
import { registerRp, signIn, type Rp } from '../helpers/rp.ts';
import { startMailbox, type Mailbox } from '../helpers/smtp.ts';
import { startTestApp, TEST_SECRETS, type TestApp } from '../helpers/test-app.ts';
import { cliEnvFor, runIdp } from '../helpers/cli.ts';

const cliEnv = (app: TestApp) => cliEnvFor(app, TEST_SECRETS);

// The admin REST API on the real app and MongoDB: its OpenAPI 3.1 document validates, a client driven from that
// document manages accounts with a client_credentials token of our engine, and tokens without the right audience,
// scope or lifetime are refused as RFC 6750 says.

const password = 'correct horse battery staple';
const OTHER_API = 'https://orders.example/api';

describe('admin API', () => {
  let app: TestApp;
  let mailbox: Mailbox;
  let api: OpenApiClient;
  let writer: Awaited<ReturnType<typeof managementClient>>;
  let reader: Awaited<ReturnType<typeof managementClient>>;
  let rp: Rp;

  beforeAll(async () => {
    mailbox = await startMailbox();
    app = await startTestApp({
      label: 'adminapi',
      overrides: {
        mail: { smtpUrl: mailbox.url },
        resourceServers: { [OTHER_API]: { scopes: ['orders:read'] } },
        profile: { customAttributes: [{ key: 'member_rank', type: 'enum', values: ['gold', 'silver'], labels: { ja: '会員ランク', en: 'Member rank' } }] },
      },
    });
    writer = await managementClient(app, 'idp:admin');
    reader = await managementClient(app, 'idp:admin:read');
    api = await OpenApiClient.load(app, '/admin/api/openapi.json', await writer.token());
    rp = await registerRp(app);
  });
  afterAll(async () => {
    await app?.stop();
    await mailbox?.close();
  });

  test('the OpenAPI document is a valid OpenAPI 3.1 document describing every operation', async () => {
    const result = await new Validator().validate(api.document as never);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    expect((api.document as { openapi?: string }).openapi).toBe('3.1.0');
    const ids = Object.values(api.document.paths).flatMap((item) => Object.values(item).map((op) => op.operationId));
    expect(ids).toEqual(expect.arrayContaining(['createUser', 'searchUsers', 'updateUser', 'blockUser', 'deleteUser', 'listAuditEvents', 'createClient']));
  });

  test('create, find, update, block, unblock and delete an account', async () => {
    const created = await api.call('createUser', { body: { email: 'Api.User@Example.jp', password, email_verified: true, attributes: { name: 'API User', member_rank: 'gold' } } });
    expect(created.status).toBe(201);
    const id = created.body.id as string;
    expect(created.headers.get('location')).toBe(`${app.issuer}/admin/api/v1/users/${id}`);
    expect(created.body).toMatchObject({ email: 'Api.User@Example.jp', email_verified: true, status: 'active', profile: { name: 'API User' }, custom: { member_rank: 'gold' }, has_password: true });
    expect(JSON.stringify(created.body)).not.toMatch(/argon2|passwordHash/);

    const byEmail = await api.call('searchUsers', { query: { email: 'api.user@example.jp' } });
    expect(byEmail.body).toMatchObject({ total: 1, items: [{ id }] });
    const byPrefix = await api.call('searchUsers', { query: { email: 'api.u*' } });
    expect(byPrefix.body.items.map((u: { id: string }) => u.id)).toEqual([id]);
    const byAttribute = await api.call('searchUsers', { query: { attribute: 'member_rank=gold' } });
    expect(byAttribute.body.items.map((u: { id: string }) => u.id)).toEqual([id]);
    const byName = await api.call('searchUsers', { query: { name: 'API' } });
    expect(byName.body.total).toBe(1);

    const updated = await api.call('updateUser', { params: { id }, body: { attributes: { member_rank: 'silver', given_name: '花子' } } });
    expect(updated.body).toMatchObject({ custom: { member_rank: 'silver' }, profile: { given_name: '花子' } });

    // A signed-in person is signed out everywhere by the block, and cannot sign in until unblocked.
    await signIn(new Browser(), rp, { email: 'api.user@example.jp', password });
    expect((await api.call('listUserSessions', { params: { id } })).body.items.length).toBeGreaterThan(0);
    const blocked = await api.call('blockUser', { params: { id } });
    expect(blocked.body.status).toBe('blocked');
    expect((await api.call('listUserSessions', { params: { id } })).body.items).toEqual([]);
    await expect(signIn(new Browser(), rp, { email: 'api.user@example.jp', password })).rejects.toThrow();
    await api.call('unblockUser', { params: { id } });
    const { tokens } = await signIn(new Browser(), rp, { email: 'api.user@example.jp', password });
    expect(tokens.claims()?.sub).toBe(id);
    expect((await api.call('listUserGrants', { params: { id } })).body.items[0]).toMatchObject({ client: rp.clientId });

    const deleted = await api.call('deleteUser', { params: { id } });
    expect(deleted.status).toBe(204);
    expect((await api.call('getUser', { params: { id } })).status).toBe(404);
    expect((await api.call('searchUsers', { query: { email: 'api.user@example.jp' } })).body.total).toBe(0);
  });

  test('pages of a search follow the cursor, and the total counts every match', async () => {
    for (let i = 0; i < 5; i += 1) await api.call('createUser', { body: { email: `page${i}@paging.example` } });
    const seen: string[] = [];
    let cursor: string | undefined;
    for (let i = 0; i < 10; i += 1) {
      const page = await api.call('searchUsers', { query: { email: 'page*', limit: '2', ...(cursor ? { cursor } : {}) } });
      expect(page.body.total).toBe(5);
      seen.push(...page.body.items.map((u: { email: string }) => u.email));
      cursor = page.body.next_cursor;
      if (!cursor) break;
    }
    expect(seen.sort()).toEqual([0, 1, 2, 3, 4].map((i) => `page${i}@paging.example`));
  });

  test('bad input gets a clear 400 problem naming the field, and nothing is written', async () => {
    const before = (await api.call('searchUsers', {})).body.total;
    const invalidEmail = await api.call('createUser', { body: { email: 'not an address' } });
    expect(invalidEmail.status).toBe(400);
    expect(invalidEmail.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(invalidEmail.body).toMatchObject({ status: 400, code: 'request.invalid', field: 'email' });
    const badValue = await api.call('createUser', { body: { email: 'rank@example.jp', attributes: { member_rank: 'platinum' } } });
    expect(badValue.status).toBe(400);
    expect(badValue.body.field).toBe('member_rank');
    const unknownAttribute = await api.call('createUser', { body: { email: 'rank@example.jp', attributes: { shoe_size: '27' } } });
    expect(unknownAttribute.body).toMatchObject({ status: 400, field: 'shoe_size' });
    const extra = await api.call('createUser', { body: { email: 'rank@example.jp', role: 'admin' } });
    expect(extra.status).toBe(400);
    const notJson = await api.call('createUser', { rawBody: '{"email":', contentType: 'application/json' });
    expect(notJson.body).toMatchObject({ status: 400, code: 'request.invalid_json' });
    const wrongType = await api.call('createUser', { rawBody: 'email=a@b.c', contentType: 'application/x-www-form-urlencoded' });
    expect(wrongType.status).toBe(415);
    expect((await api.call('searchUsers', {})).body.total).toBe(before);

    await api.call('createUser', { body: { email: 'twice@example.jp' } });
    const duplicate = await api.call('createUser', { body: { email: 'TWICE@example.jp' } });
    expect(duplicate.body).toMatchObject({ status: 409, code: 'account.email_taken' });
  });

  test('a read-only token reads but cannot write (403 insufficient_scope)', async () => {
    const token = await reader.token();
    expect((await api.call('searchUsers', { token })).status).toBe(200);
    const refused = await api.call('createUser', { token, body: { email: 'reader@example.jp' } });
    expect(refused.status).toBe(403);
    expect(refused.headers.get('www-authenticate')).toMatch(/^Bearer realm="admin", error="insufficient_scope"/);
    expect((await api.call('searchUsers', { query: { email: 'reader@example.jp' } })).body.total).toBe(0);
  });

  test('no token, a forged, an expired, or another API\'s token: 401 with a Bearer challenge', async () => {
    const missing = await api.call('searchUsers', { token: null });
    expect(missing.status).toBe(401);
    expect(missing.headers.get('www-authenticate')).toBe('Bearer realm="admin"');

    const other = await managementClient(app, 'orders:read');
    const foreign = await api.call('searchUsers', { token: await other.token({ scope: 'orders:read', resource: OTHER_API }) });
    expect(foreign.status).toBe(401);
    expect(foreign.headers.get('www-authenticate')).toMatch(/error="invalid_token"/);

    // Signed with our own current key, but expired: only the lifetime is wrong.
    const { keys } = await app.container.keyStore.privateJwks();
    const jwk = keys.find((k) => k.alg === 'ES256')!;
    const claims = { client_id: writer.clientId, scope: 'idp:admin' };
    const expired = await new SignJWT(claims).setProtectedHeader({ alg: 'ES256', kid: jwk.kid, typ: 'at+jwt' })
      .setIssuer(app.issuer).setAudience(`${app.issuer}/admin/api`).setSubject(writer.clientId)
      .setIssuedAt(Math.floor(Date.now() / 1000) - 3600).setExpirationTime(Math.floor(Date.now() / 1000) - 60)
      .sign(await importJWK(jwk as never, 'ES256'));
    const late = await api.call('searchUsers', { token: expired });
    expect(late.status).toBe(401);
    expect(late.headers.get('www-authenticate')).toMatch(/error_description="the access token expired"/);

    const { privateKey } = await import('node:crypto').then((c) => c.generateKeyPairSync('ec', { namedCurve: 'P-256' }));
    const forged = await new SignJWT(claims).setProtectedHeader({ alg: 'ES256', kid: jwk.kid, typ: 'at+jwt' })
      .setIssuer(app.issuer).setAudience(`${app.issuer}/admin/api`).setSubject(writer.clientId).setIssuedAt().setExpirationTime('5m')
      .sign(privateKey);
    expect((await api.call('searchUsers', { token: forged })).status).toBe(401);

    const refusals = await app.container.auditTrail.flush().then(() => app.container.auditTrail.query.list({ type: 'management_api.access.refused' }));
    expect(refusals.items.length).toBeGreaterThanOrEqual(4);
  });

  test('admin changes are audited with the acting client, and readable through the API', async () => {
    const created = await api.call('createUser', { body: { email: 'audited-admin@example.jp' } });
    await app.container.auditTrail.flush();
    const events = await api.call('listAuditEvents', { query: { account: created.body.id, type: 'user.*' } });
    expect(events.body.items[0]).toMatchObject({ type: 'user.created', actor: { type: 'client', id: writer.clientId }, accountId: created.body.id });
  });

  test('a client created through the API works at once, and its secret rotates', async () => {
    const created = await api.call('createClient', { body: { grant_types: ['client_credentials'], response_types: [], redirect_uris: [], scope: 'idp:admin:read' } });
    expect(created.status).toBe(201);
    expect(created.body.client_secret).toBeTruthy();
    const token = async (secret: string) => fetch(`${app.issuer}/token`, {
      method: 'POST',
      headers: { authorization: `Basic ${Buffer.from(`${created.body.client_id}:${secret}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: 'grant_type=client_credentials&scope=idp%3Aadmin%3Aread',
    });
    expect((await token(created.body.client_secret)).status).toBe(200);
    const rotated = await api.call('rotateClientSecret', { params: { id: created.body.client_id } });
    expect(rotated.body.client_secret).not.toBe(created.body.client_secret);
    expect((await token(created.body.client_secret)).status).toBe(401);
    expect((await token(rotated.body.client_secret)).status).toBe(200);
    const shown = await api.call('getClient', { params: { id: created.body.client_id } });
    expect(shown.body.client_secret).toBeUndefined();
  });

  test('a client registered with `idp clients add` and scope idp:admin gets a token and calls the API (the README example)', async () => {
    const added = await runIdp(['clients', 'add', '--json', JSON.stringify({
      client_name: 'Identity team scripts', grant_types: ['client_credentials'], response_types: [], redirect_uris: [], scope: 'idp:admin',
    })], cliEnv(app));
    expect(added.stderr).toBe('');
    const { client_id: clientId, client_secret: secret } = JSON.parse(added.stdout) as { client_id: string; client_secret: string };
    const response = await fetch(`${app.issuer}/token`, {
      method: 'POST',
      headers: { authorization: `Basic ${Buffer.from(`${clientId}:${secret}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: 'grant_type=client_credentials&scope=idp%3Aadmin',
    });
    const { access_token: accessToken, token_type: tokenType, scope } = await response.json() as Record<string, string>;
    expect({ tokenType, scope }).toEqual({ tokenType: 'Bearer', scope: 'idp:admin' });
    const listed = await api.call('searchUsers', { token: accessToken, query: { limit: '1' } });
    expect(listed.status).toBe(200);
  });

  test('idp users add --role and idp users role set and remove admin console roles', async () => {
    const added = await runIdp(['users', 'add', '--email', 'ops@example.jp', '--password', 'ops passphrase 123', '--verified', '--role', 'admin'], cliEnv(app));
    expect(added.stderr).toBe('');
    expect(JSON.parse(added.stdout)).toMatchObject({ email: 'ops@example.jp', roles: ['admin'] });
    const changed = await runIdp(['users', 'role', 'ops@example.jp', 'auditor'], cliEnv(app));
    expect(JSON.parse(changed.stdout).roles).toEqual(['auditor']);
    const removed = await runIdp(['users', 'role', 'ops@example.jp', 'none'], cliEnv(app));
    expect(JSON.parse(removed.stdout).roles).toBeUndefined();
    const wrong = await runIdp(['users', 'role', 'ops@example.jp', 'root'], cliEnv(app));
    expect(wrong.status).toBe(2);
    expect(wrong.stderr).toMatch(/^idp: the role must be admin, auditor or none/);
  });

  test('send a password reset mail to an account', async () => {
    const created = await api.call('createUser', { body: { email: 'reset-me@example.jp' } });
    expect((await api.call('sendPasswordReset', { params: { id: created.body.id } })).status).toBe(202);
    const mail = await mailbox.next('reset-me@example.jp');
    expect(mail.text).toMatch(/\/password\/reset/);
  });
});
