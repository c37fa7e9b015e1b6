import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { linkFrom, linkTo } from '../helpers/account-flows.ts';
import { managementClient } from '../helpers/admin-api.ts';
import { Browser } from '../helpers/browser.ts';
import { authorizationRequest, client, RP_REDIRECT, registerRp, signIn, type Rp } from '../helpers/rp.ts';
import { completeSignIn, createTestSp, readPostForm } from '../helpers/saml-sp.ts';
import { startMailbox, type Mailbox } from '../helpers/smtp.ts';
import { startTestApp, type TestApp } from '../helpers/test-app.ts';

// SCIM 2.0 provisioning (RFC 7643/7644) on the real app and MongoDB, as an enterprise directory drives it: bearer
// token with idp:scim, application/scim+json, filters, PATCH, ETags, groups, and the errors with their scimType.

const USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
const ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
const GROUP = 'urn:ietf:params:scim:schemas:core:2.0:Group';
const PATCH = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
const ERROR = 'urn:ietf:params:scim:api:messages:2.0:Error';

interface Answer { status: number; headers: Headers; body: any }

describe('SCIM 2.0 server', () => {
  let app: TestApp;
  let mailbox: Mailbox;
  let token: string;
  let rp: Rp;

  async function scim(method: string, path: string, body?: unknown, headers: Record<string, string> = {}, bearer: string | null = token): Promise<Answer> {
    const response = await fetch(`${app.issuer}/scim/v2${path}`, {
      method,
      headers: { accept: 'application/scim+json', ...(bearer ? { authorization: `Bearer ${bearer}` } : {}), ...(body !== undefined ? { 'content-type': 'application/scim+json' } : {}), ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(20_000),
    });
    const text = await response.text();
    return { status: response.status, headers: response.headers, body: text ? JSON.parse(text) : undefined };
  }

  const newUser = (userName: string, extra: Record<string, unknown> = {}) => ({
    schemas: [USER, ENTERPRISE], userName, externalId: `ext-${userName}`,
    name: { givenName: 'Taro', familyName: 'Yamada' }, displayName: 'Taro Yamada',
    emails: [{ value: userName, type: 'work', primary: true }],
    [ENTERPRISE]: { employeeNumber: 'E-1001', department: 'Sales' },
    ...extra,
  });

  beforeAll(async () => {
    mailbox = await startMailbox();
    app = await startTestApp({
      label: 'scim',
      overrides: {
        mail: { smtpUrl: mailbox.url },
        profile: {
          customAttributes: [
            { key: 'employee_number', type: 'string', labels: { ja: '社員番号', en: 'Employee number' } },
            { key: 'department', type: 'string', labels: { ja: '部署', en: 'Department' } },
          ],
        },
      },
    });
    token = await (await managementClient(app, 'idp:scim')).token();
    rp = await registerRp(app, { scope: 'openid email profile groups' });
  });
  afterAll(async () => {
    await app?.stop();
    await mailbox?.close();
  });

  test('discovery: ServiceProviderConfig, ResourceTypes and Schemas (with the enterprise extension we map)', async () => {
    const config = await scim('GET', '/ServiceProviderConfig');
    expect(config.status).toBe(200);
    expect(config.headers.get('content-type')).toMatch(/^application\/scim\+json/);
    expect(config.body).toMatchObject({ patch: { supported: true }, filter: { supported: true }, etag: { supported: true }, bulk: { supported: false } });
    const types = await scim('GET', '/ResourceTypes');
    expect(types.body.Resources.map((r: { id: string }) => r.id)).toEqual(['User', 'Group']);
    expect(types.body.Resources[0].schemaExtensions).toEqual([{ schema: ENTERPRISE, required: false }]);
    const schemas = await scim('GET', '/Schemas');
    const enterprise = schemas.body.Resources.find((s: { id: string }) => s.id === ENTERPRISE);
    expect(enterprise.attributes.map((a: { name: string }) => a.name).sort()).toEqual(['department', 'employeeNumber']);
    expect((await scim('GET', `/Schemas/${USER}`)).body.attributes.find((a: { name: string }) => a.name === 'userName')).toMatchObject({ uniqueness: 'server', required: true });
  });

  test('tokens: none is 401, an admin-API token (another audience) is 401, scope idp:scim is needed', async () => {
    const none = await scim('GET', '/Users', undefined, {}, null);
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toBe('Bearer realm="scim"');
    expect(none.body.schemas).toEqual([ERROR]);
    const adminToken = await (await managementClient(app, 'idp:admin')).token();
    expect((await scim('GET', '/Users', undefined, {}, adminToken)).status).toBe(401);
  });

  test('create a user with the enterprise extension; it lands in our attribute schema', async () => {
    const created = await scim('POST', '/Users', newUser('taro@corp.example'));
    expect(created.status).toBe(201);
    expect(created.headers.get('location')).toBe(`${app.issuer}/scim/v2/Users/${created.body.id}`);
    expect(created.headers.get('etag')).toBe(created.body.meta.version);
    expect(created.body).toMatchObject({
      userName: 'taro@corp.example', externalId: 'ext-taro@corp.example', active: true,
      name: { givenName: 'Taro', familyName: 'Yamada' }, [ENTERPRISE]: { employeeNumber: 'E-1001', department: 'Sales' },
      meta: { resourceType: 'User' },
    });
    expect(created.body.password).toBeUndefined();
    const account = await app.container.users.get(created.body.id);
    expect(account).toMatchObject({ externalId: 'ext-taro@corp.example', custom: { employee_number: 'E-1001', department: 'Sales' }, profile: { given_name: 'Taro', family_name: 'Yamada' } });
  });

  test('a duplicate userName (any case) is 409 uniqueness, and nothing is written', async () => {
    await scim('POST', '/Users', newUser('dup@corp.example'));
    const again = await scim('POST', '/Users', newUser('DUP@corp.example', { externalId: 'another' }));
    expect(again.status).toBe(409);
    expect(again.body).toMatchObject({ schemas: [ERROR], status: '409', scimType: 'uniqueness' });
    expect((await scim('GET', '/Users?filter=externalId%20eq%20%22another%22')).body.totalResults).toBe(0);
    const badValue = await scim('POST', '/Users', { schemas: [USER], userName: 'x' });
    expect(badValue).toMatchObject({ status: 400, body: { scimType: 'invalidValue' } });
  });

  test('filters (eq, co, sw, pr, and/or, value paths, lastModified), sorting and pagination', async () => {
    const before = new Date().toISOString();
    await new Promise((resolve) => setTimeout(resolve, 20));
    for (const name of ['ann', 'bob', 'cid']) await scim('POST', '/Users', newUser(`${name}@filter.example`, { externalId: `f-${name}` }));
    const find = async (filter: string, extra = '') => (await scim('GET', `/Users?filter=${encodeURIComponent(filter)}${extra}`)).body;
    expect((await find('userName eq "BOB@filter.example"')).Resources.map((u: { userName: string }) => u.userName)).toEqual(['bob@filter.example']);
    expect((await find('emails[type eq "work" and value co "@filter.example"]')).totalResults).toBe(3);
    expect((await find('userName sw "a" and userName co "filter"')).totalResults).toBe(1);
    expect((await find('externalId eq "f-ann" or externalId eq "f-cid"')).totalResults).toBe(2);
    expect((await find(`meta.lastModified gt "${before}"`)).totalResults).toBe(3);
    expect((await find('externalId pr and userName ew "@filter.example"')).totalResults).toBe(3);
    const page = await find('userName co "@filter.example"', '&sortBy=userName&sortOrder=descending&startIndex=2&count=1');
    expect(page).toMatchObject({ totalResults: 3, startIndex: 2, itemsPerPage: 1 });
    expect(page.Resources[0].userName).toBe('bob@filter.example');
    const invalid = await scim('GET', `/Users?filter=${encodeURIComponent('userName eq')}`);
    expect(invalid).toMatchObject({ status: 400, body: { scimType: 'invalidFilter' } });
    const unknown = await scim('GET', `/Users?filter=${encodeURIComponent('shoeSize eq "27"')}`);
    expect(unknown).toMatchObject({ status: 400, body: { scimType: 'invalidFilter' } });
  });

  test('PATCH add/replace/remove with paths; active false blocks the account', async () => {
    const { body: user } = await scim('POST', '/Users', newUser('patch@corp.example'));
    const patched = await scim('PATCH', `/Users/${user.id}`, {
      schemas: [PATCH],
      Operations: [
        { op: 'replace', path: 'name.givenName', value: 'Jiro' },
        { op: 'add', path: 'phoneNumbers', value: [{ value: '+81312345678', type: 'work' }] },
        { op: 'remove', path: `${ENTERPRISE}:department` },
        { op: 'replace', value: { displayName: 'Jiro Yamada' } },
      ],
    });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({ name: { givenName: 'Jiro' }, displayName: 'Jiro Yamada', phoneNumbers: [{ value: '+81312345678' }], [ENTERPRISE]: { employeeNumber: 'E-1001' } });
    expect(patched.body[ENTERPRISE].department).toBeUndefined();
    const account = await app.container.users.get(user.id);
    expect(account.custom?.department).toBeUndefined();
    expect(account.profile.phone_number).toBe('+81312345678');

    const blocked = await scim('PATCH', `/Users/${user.id}`, { schemas: [PATCH], Operations: [{ op: 'Replace', path: 'active', value: 'False' }] });
    expect(blocked.body.active).toBe(false);
    expect((await app.container.users.get(user.id)).status).toBe('blocked');
    const badPath = await scim('PATCH', `/Users/${user.id}`, { schemas: [PATCH], Operations: [{ op: 'replace', path: 'emails[type eq "home"].value', value: 'x@y.z' }] });
    expect(badPath).toMatchObject({ status: 400, body: { scimType: 'noTarget' } });
  });

  test('ETags: If-Match with a stale version is 412 and changes nothing; the current one works; If-None-Match is 304', async () => {
    const { body: user, headers } = await scim('POST', '/Users', newUser('etag@corp.example'));
    const first = headers.get('etag')!;
    expect((await scim('GET', `/Users/${user.id}`, undefined, { 'if-none-match': first })).status).toBe(304);
    const changed = await scim('PUT', `/Users/${user.id}`, newUser('etag@corp.example', { displayName: 'Changed' }), { 'if-match': first });
    expect(changed.status).toBe(200);
    expect(changed.headers.get('etag')).not.toBe(first);
    const stale = await scim('PUT', `/Users/${user.id}`, newUser('etag@corp.example', { displayName: 'Stale write' }), { 'if-match': first });
    expect(stale).toMatchObject({ status: 412, body: { schemas: [ERROR], status: '412' } });
    expect((await scim('GET', `/Users/${user.id}`)).body.displayName).toBe('Changed');
    expect((await scim('DELETE', `/Users/${user.id}`, undefined, { 'if-match': first })).status).toBe(412);
  });

  test('DELETE removes the account; it is gone for SCIM and for sign-in', async () => {
    const { body: user } = await scim('POST', '/Users', newUser('gone@corp.example', { password: 'a long enough passphrase' }));
    expect((await scim('DELETE', `/Users/${user.id}`)).status).toBe(204);
    expect((await scim('GET', `/Users/${user.id}`)).status).toBe(404);
    await expect(signIn(new Browser(), rp, { email: 'gone@corp.example', password: 'a long enough passphrase' })).rejects.toThrow();
  });

  test('groups: create with members, PATCH members, filter; the groups claim reaches the RP', async () => {
    const { body: hanako } = await scim('POST', '/Users', newUser('hanako@corp.example', { password: 'hanako passphrase 1' }));
    const { body: ken } = await scim('POST', '/Users', newUser('ken@corp.example'));
    const created = await scim('POST', '/Groups', { schemas: [GROUP], displayName: 'Sales Team', members: [{ value: hanako.id }] });
    expect(created.status).toBe(201);
    expect(created.body.members).toEqual([expect.objectContaining({ value: hanako.id, display: 'hanako@corp.example' })]);
    const added = await scim('PATCH', `/Groups/${created.body.id}`, { schemas: [PATCH], Operations: [{ op: 'add', path: 'members', value: [{ value: ken.id }] }] });
    expect(added.body.members.map((m: { value: string }) => m.value).sort()).toEqual([hanako.id, ken.id].sort());
    const removed = await scim('PATCH', `/Groups/${created.body.id}`, { schemas: [PATCH], Operations: [{ op: 'remove', path: `members[value eq "${ken.id}"]` }] });
    expect(removed.body.members.map((m: { value: string }) => m.value)).toEqual([hanako.id]);
    expect((await scim('GET', `/Groups?filter=${encodeURIComponent('displayName eq "sales team"')}`)).body.totalResults).toBe(1);
    expect((await scim('GET', `/Users/${hanako.id}`)).body.groups).toEqual([expect.objectContaining({ value: created.body.id, display: 'Sales Team' })]);
    const unknownMember = await scim('POST', '/Groups', { schemas: [GROUP], displayName: 'Ghosts', members: [{ value: 'no-such-user' }] });
    expect(unknownMember).toMatchObject({ status: 400, body: { scimType: 'invalidValue' } });
    expect((await scim('GET', `/Groups?filter=${encodeURIComponent('displayName eq "Ghosts"')}`)).body.totalResults).toBe(0);

    // Provisioned addresses are unverified by default (scim.emailsVerified); this one was proven elsewhere.
    await app.container.users.update(hanako.id, { emailVerified: true }, { type: 'system' });
    const { tokens } = await signIn(new Browser(), rp, { email: 'hanako@corp.example', password: 'hanako passphrase 1' }, { scope: 'openid groups' });
    // Scope-released claims come from userinfo (OIDC Core §5.4; the engine conforms ID token claims to it).
    const userinfo = await client.fetchUserInfo(rp.config, tokens.access_token, tokens.claims()!.sub);
    expect(userinfo.groups).toEqual(['Sales Team']);
  });

  test('a SAML SP whose mapping names the groups claim receives the groups as one multi-valued attribute', async () => {
    const { body: member } = await scim('POST', '/Users', newUser('saml.member@corp.example', { password: 'saml member passphrase' }));
    await app.container.users.update(member.id, { emailVerified: true }, { type: 'system' });
    for (const displayName of ['Partners', 'Auditors']) await scim('POST', '/Groups', { schemas: [GROUP], displayName, members: [{ value: member.id }] });
    const sp = await createTestSp(app, 'groups');
    await app.container.saml.sps.add(sp.metadata, {
      firstParty: true,
      attributes: [{ claim: 'email', name: 'email', nameFormat: 'basic' }, { claim: 'groups', name: 'memberOf', nameFormat: 'basic' }],
    });
    const browser = new Browser();
    const page = await completeSignIn(browser, await browser.get(await sp.saml.getAuthorizeUrlAsync('', undefined, {})), { email: 'saml.member@corp.example', password: 'saml member passphrase' });
    const { profile } = await sp.saml.validatePostResponseAsync({ SAMLResponse: readPostForm(page).fields.SAMLResponse! });
    expect(profile!.memberOf).toEqual(['Auditors', 'Partners']);
  });

  test('a SCIM-created user without a password signs in after the password reset mail', async () => {
    const { body: user } = await scim('POST', '/Users', newUser('new-hire@corp.example'));
    const browser = new Browser();
    browser.stopAt = [RP_REDIRECT];
    const login = await browser.get((await authorizationRequest(rp)).url.toString());
    const forgot = await browser.get(linkTo(login, '/forgot'));
    await browser.submit(forgot, { email: 'new-hire@corp.example' });
    const link = linkFrom(await mailbox.next('new-hire@corp.example'), app.issuer, '/password/reset');
    const form = await browser.get(link);
    await browser.submit(form, { password: 'my first passphrase' });
    const { tokens } = await signIn(new Browser(), rp, { email: 'new-hire@corp.example', password: 'my first passphrase' });
    expect(tokens.claims()?.sub).toBe(user.id);
  });
});
