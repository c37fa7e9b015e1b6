import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import * as jose from 'jose';
import type { AccountDocument } from '../../src/accounts/account.model.ts';
import { managementClient, OpenApiClient } from '../helpers/admin-api.ts';
import { startBackchannelReceiver, type BackchannelReceiver } from '../helpers/backchannel-receiver.ts';
import { Browser } from '../helpers/browser.ts';
import { cliEnvFor, runIdp } from '../helpers/cli.ts';
import { registerRp, signIn, type Rp } from '../helpers/rp.ts';
import { startTestApp, TEST_SECRETS, type TestApp } from '../helpers/test-app.ts';

// The data subject's rights (GDPR art. 15/17/20): the export gathers every collection's data about one person and
// nothing of anybody else; the erasure leaves no document in any collection that names the account id or the
// email (but the anonymous `user.deleted` audit record), and the RP the person was signed in to gets a logout token.

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('personal data: export and erasure', () => {
  let app: TestApp;
  let rp: Rp;
  let receiver: BackchannelReceiver;
  let env: Record<string, string>;
  const people = {
    alice: { email: 'Alice.Export@example.jp', password: 'alice long password' },
    bob: { email: 'bob.other@example.jp', password: 'bob long password' },
    carol: { email: 'carol.self@example.jp', password: 'carol long password' },
    dave: { email: 'dave.cli@example.jp', password: 'dave long password' },
  };
  const ids: Record<string, string> = {};

  /** What each collection holds about a person, planted directly (identity, factor, device, consent, ...). */
  async function plant(name: string, id: string, email: string) {
    const { models } = app.container;
    const now = new Date();
    const later = new Date(Date.now() + 3600_000);
    await models.Identity.collection.insertOne({ _id: `idn-${name}`, connectorId: 'upstream', subject: `upstream-sub-${name}`, accountId: id, email, createdAt: now } as never);
    await models.MfaDevice.collection.insertOne({ _id: `dev-${name}`, deviceHash: `hash-${name}`, accountId: id, userAgent: `agent of ${name}`, firstSeen: now, lastSeen: now } as never);
    await models.ConsentRecord.collection.insertOne({ _id: `rec-${name}`, accountId: id, documentId: 'newsletter', version: '1', kind: 'marketing', decision: 'granted', at: now, locale: 'en', ip: '203.0.113.9', method: 'signup' } as never);
    await models.ActionToken.collection.insertOne({ _id: `tok-${name}`, purpose: 'password_reset', accountId: id, attempts: 0, expiresAt: later, createdAt: now } as never);
    await models.MfaRiskProfile.collection.insertOne({ _id: id, networks: [`net-${name}`], countries: ['JP'], failures: [] } as never);
    await models.MfaLockout.collection.insertOne({ _id: id, failures: 1, expiresAt: later } as never);
    await models.MfaChallenge.collection.insertOne({ _id: `email:${name}`, accountId: id, value: 'digest', attempts: 0, expiresAt: later } as never);
    await models.FederationTransaction.collection.insertOne({
      _id: `ftx-${name}`, connectorId: 'upstream', interactionUid: 'x', bindingDigest: 'b', nonce: 'n', codeVerifierSealed: 'c',
      status: 'awaiting_email', email, expiresAt: later,
    } as never);
    await models.SamlParticipant.collection.insertOne({ _id: `sp-${name}`, sessionUid: 's', accountId: id, spEntityId: 'https://sp.example', nameId: 'n', nameIdFormat: 'f', sessionIndex: `idx-${name}`, expiresAt: later } as never);
  }

  /** A second factor (after the sign-ins of the test: with it, signing in would ask for the code). */
  const plantFactor = (name: string) => app.container.models.MfaFactor.collection.insertOne({
    _id: `fac-${name}`, accountId: ids[name], type: 'totp', name: `phone of ${name}`, createdAt: new Date(), secretSealed: `SEALED-SECRET-${name}`,
  } as never);

  /** Every document of every collection that mentions the account id or the email (case-insensitively). */
  async function mentions(id: string, email: string) {
    const db = app.container.connection.db!;
    const found: Array<{ collection: string; doc: Record<string, unknown> }> = [];
    for (const { name } of await db.listCollections({}, { nameOnly: true }).toArray()) {
      for (const doc of await db.collection(name).find({}).toArray()) {
        const text = JSON.stringify(doc).toLowerCase();
        if (text.includes(id.toLowerCase()) || text.includes(email.toLowerCase())) found.push({ collection: name, doc });
      }
    }
    return found;
  }

  const onlyTheAnonymousRecord = (found: Array<{ collection: string; doc: Record<string, unknown> }>) =>
    found.filter(({ collection, doc }) => !(collection === 'audit_events' && doc.type === 'user.deleted'));

  beforeAll(async () => {
    // The event log (derived in the background from change streams) is not part of this scan.
    app = await startTestApp({ label: 'personal-data', overrides: { events: { enabled: false } } });
    receiver = await startBackchannelReceiver();
    rp = await registerRp(app, { backchannel_logout_uri: receiver.url, backchannel_logout_session_required: true });
    for (const [name, person] of Object.entries(people)) {
      ids[name] = (await app.container.accounts.createByAdmin({ ...person, verified: true }))._id;
      await plant(name, ids[name]!, person.email);
    }
    env = cliEnvFor(app, TEST_SECRETS);
  });
  afterAll(async () => {
    receiver?.close();
    await app?.stop();
  });

  test('the export holds every collection\'s data of the person, without secrets, and nothing of another person', async () => {
    await signIn(new Browser(), rp, people.alice);
    await signIn(new Browser(), rp, people.bob);
    await plantFactor('alice');
    await plantFactor('bob');
    await app.container.auditTrail.flush();

    const result = await runIdp(['users', 'export', people.alice.email.toLowerCase()], env);
    expect({ status: result.status, stderr: result.stderr }).toEqual({ status: 0, stderr: '' });
    const data = JSON.parse(result.stdout);
    expect(data.format).toBe('idp.personal-data.v1');
    expect(data.account).toMatchObject({ id: ids.alice, email: people.alice.email, email_verified: true });
    expect(data.identities).toEqual([expect.objectContaining({ subject: 'upstream-sub-alice' })]);
    expect(data.factors).toEqual([expect.objectContaining({ type: 'totp', name: 'phone of alice' })]);
    expect(data.devices).toEqual(expect.arrayContaining([expect.objectContaining({ userAgent: 'agent of alice' })]));
    expect(data.consents).toEqual([expect.objectContaining({ receiptId: 'rec-alice', documentId: 'newsletter', decision: 'granted' })]);
    expect(data.riskProfile).toMatchObject({ networks: expect.arrayContaining(['net-alice']) });
    expect(data.sessions.length).toBeGreaterThanOrEqual(1);
    expect(data.grants).toEqual([expect.objectContaining({ client: rp.clientId })]);
    expect(data.saml.signedInTo).toEqual([expect.objectContaining({ spEntityId: 'https://sp.example', sessionIndex: 'idx-alice' })]);
    expect(data.auditEvents.length).toBeGreaterThan(0);
    expect(data.auditEvents.every((event: { accountId?: string }) => event.accountId === ids.alice)).toBe(true);

    const text = result.stdout;
    expect(text).not.toContain('SEALED-SECRET');
    expect(text).not.toContain('passwordHash');
    expect(text).not.toContain('$argon2');
    for (const other of ['bob', 'carol', 'dave'] as const) {
      expect(text).not.toContain(ids[other]);
      expect(text.toLowerCase()).not.toContain(people[other].email.toLowerCase());
      expect(text).not.toContain(`upstream-sub-${other}`);
    }

    // The admin API answers the same request (idp:admin only).
    const token = await (await managementClient(app, 'idp:admin')).token();
    const api = await OpenApiClient.load(app, undefined, token);
    const answer = await api.call('exportUser', { params: { id: ids.alice! } });
    expect(answer.status).toBe(200);
    expect(answer.body.identities).toEqual([expect.objectContaining({ subject: 'upstream-sub-alice' })]);
    const reader = await OpenApiClient.load(app, undefined, await (await managementClient(app, 'idp:admin:read')).token());
    expect((await reader.call('exportUser', { params: { id: ids.alice! } })).status).toBe(403);
  });

  test('deleting through the admin API erases the person from every collection, and the RP gets a back-channel logout token', async () => {
    const before = receiver.received.length;
    await app.container.auditTrail.flush();
    expect(onlyTheAnonymousRecord(await mentions(ids.alice!, people.alice.email)).length).toBeGreaterThan(5);

    const api = await OpenApiClient.load(app, undefined, await (await managementClient(app, 'idp:admin')).token());
    expect((await api.call('deleteUser', { params: { id: ids.alice! } })).status).toBe(204);

    for (let i = 0; i < 50 && receiver.received.length === before; i++) await sleep(100);
    const tokens = receiver.received.slice(before).map((t) => jose.decodeJwt(t));
    expect(tokens).toEqual([expect.objectContaining({ sub: ids.alice, aud: rp.clientId, events: { 'http://schemas.openid.net/event/backchannel-logout': {} } })]);

    await app.container.auditTrail.flush();
    expect(onlyTheAnonymousRecord(await mentions(ids.alice!, people.alice.email))).toEqual([]);
    const record = await app.container.models.AuditEvent.collection.findOne({ type: 'user.deleted', accountId: ids.alice });
    expect(record).toBeTruthy();
    expect(record).not.toHaveProperty('ip');
    expect(record).not.toHaveProperty('userAgent');
    expect(JSON.stringify(record).toLowerCase()).not.toContain(people.alice.email.toLowerCase());
    // Another person's data stays.
    expect(await app.container.models.Identity.exists({ _id: 'idn-bob' })).toBeTruthy();
    expect((await mentions(ids.bob!, people.bob.email)).length).toBeGreaterThan(5);
  });

  test('idp users delete <email> erases the same way from the command line', async () => {
    await signIn(new Browser(), rp, people.dave);
    await app.container.auditTrail.flush();
    expect(onlyTheAnonymousRecord(await mentions(ids.dave!, people.dave.email)).length).toBeGreaterThan(5);
    const result = await runIdp(['users', 'delete', people.dave.email.toUpperCase()], env);
    expect({ status: result.status, stderr: result.stderr }).toEqual({ status: 0, stderr: '' });
    // The CLI's own process sends the logout token too; the engine refuses loopback targets outside tests, so
    // here the outcome is reported rather than received.
    expect(JSON.parse(result.stdout)).toEqual({ deleted: ids.dave, backchannelLogout: [expect.objectContaining({ clientId: rp.clientId })] });
    await app.container.auditTrail.flush();
    expect(onlyTheAnonymousRecord(await mentions(ids.dave!, people.dave.email))).toEqual([]);
    expect((await runIdp(['users', 'delete', people.dave.email], env)).stderr).toBe('idp: account.not_found\n');
  });

  test('at /account a person downloads their data and deletes their account after a fresh sign-in', async () => {
    const browser = new Browser();
    const login = await browser.get(`${app.issuer}/account/data`);
    const page = await browser.submit(login, people.carol);
    expect(page.url).toBe(`${app.issuer}/account/data`);

    const download = await browser.submit(page, {}, 'form[action="/account/data/export"]');
    expect(download.status).toBe(200);
    const data = JSON.parse(download.body);
    expect(data.account.id).toBe(ids.carol);
    expect(download.body).not.toContain(ids.bob);

    // Without the confirmation nothing happens.
    const refused = await browser.submit(page, {}, 'form[action="/account/data/delete"]');
    expect(refused.url).toBe(`${app.issuer}/account/data?error=confirm`);
    expect(await app.container.models.Account.exists({ _id: ids.carol })).toBeTruthy();

    const done = await browser.submit(page, { confirm: 'yes' }, 'form[action="/account/data/delete"]');
    expect(done.status).toBe(200);
    expect(done.html.querySelector('h1')?.text).toBe('Account deleted');
    await app.container.auditTrail.flush();
    expect(onlyTheAnonymousRecord(await mentions(ids.carol!, people.carol.email))).toEqual([]);
    const record = await app.container.models.AuditEvent.collection.findOne({ type: 'user.deleted', accountId: ids.carol });
    expect(record).not.toHaveProperty('ip');
    expect(record?.actor).toEqual({ type: 'user' });
  });

  test('a stale sign-in is sent to sign in again before the export is made', async () => {
    const browser = new Browser();
    const email = `stale-${randomUUID().slice(0, 6)}@example.jp`;
    const account: AccountDocument = await app.container.users.create({ email, password: 'stale long password', verified: true }, { type: 'system' });
    const login = await browser.get(`${app.issuer}/account/data`);
    const page = await browser.submit(login, { email, password: 'stale long password' });
    // An old sign-in (auth_time beyond mfa.recentAuthSeconds): the export is not answered, a new sign-in is asked.
    const sessions = app.container.connection.db!.collection('oidc_session');
    await sessions.updateMany({ 'payload.accountId': account._id }, { $set: { 'payload.loginTs': Math.floor(Date.now() / 1000) - 7200 } });
    // A write from outside the engine reaches its session cache through the change stream: wait for it (bounded).
    const stale = (await sessions.find({ 'payload.accountId': account._id }).toArray()).map((s) => String(s._id));
    const cached = app.container.caches.for<{ payload: { loginTs: number } }>('oidc_session');
    const isFresh = (id: string) => (cached.get(id)?.payload.loginTs ?? 0) > Date.now() / 1000 - 3600;
    for (let i = 0; i < 100 && stale.some(isFresh); i += 1) await new Promise((resolve) => setTimeout(resolve, 50));
    browser.stopAt = [`${app.issuer}/interaction/`];
    const answer = await browser.submit(page, {}, 'form[action="/account/data/export"]');
    expect(answer.url).toContain('/interaction/');
    expect(answer.body).not.toContain(account._id);
  });
});
