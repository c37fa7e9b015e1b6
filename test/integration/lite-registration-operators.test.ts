import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { linkFrom } from '../helpers/account-flows.ts';
import { managementClient, OpenApiClient } from '../helpers/admin-api.ts';
import { Browser } from '../helpers/browser.ts';
import { cliEnvFor, runIdp } from '../helpers/cli.ts';
import { registerRp, type Rp } from '../helpers/rp.ts';
import { startMailbox, type Mailbox } from '../helpers/smtp.ts';
import { startTestApp, TEST_SECRETS, type TestApp } from '../helpers/test-app.ts';

// Operators and data subjects over leads: `idp leads list|show|delete`, the admin API's /leads (answers checked
// against the served OpenAPI document), a lead in the export of its person and gone with their erasure, and the
// per-address rate limit.

describe('lite registration: operators and personal data', () => {
  let app: TestApp;
  let mailbox: Mailbox;
  let site: Rp;
  let api: OpenApiClient;
  let readerToken: string;

  const post = (body: Record<string, unknown>) => fetch(`${app.issuer}/api/v1/leads`, {
    method: 'POST', body: JSON.stringify({ consents: ['privacy'], ...body }),
    headers: {
      'content-type': 'application/json',
      authorization: `Basic ${Buffer.from(`${site.clientId}:${site.metadata.client_secret as string}`).toString('base64')}`,
    },
  });
  async function confirmed(email: string) {
    expect((await post({ email, attributes: { given_name: 'Aiko' } })).status).toBe(202);
    const browser = new Browser();
    const page = await browser.get(linkFrom(await mailbox.next(email), app.issuer, '/lite/verify'));
    expect((await browser.submit(page, {})).status).toBe(200);
  }
  const leadOf = (email: string) => app.container.models.Lead.findOne({ emailNormalized: email }).lean().exec();

  beforeAll(async () => {
    mailbox = await startMailbox();
    app = await startTestApp({
      label: 'liteops',
      overrides: { mail: { smtpUrl: mailbox.url }, rateLimits: { leadPerEmail: { points: 3, duration: 3600 } } },
    });
    const { legal } = app.container.profile;
    await legal.addVersion({
      documentId: 'privacy', kind: 'privacy', version: '1', effectiveAt: new Date(Date.now() - 1000), requiresReacceptance: true,
      content: { ja: { title: 'プライバシー' }, en: { title: 'Privacy' } },
    });
    await legal.publish('privacy', '1');
    site = await registerRp(app, { client_name: 'Shop', lite_registration: { attributes: ['given_name'], legal_documents: { required: ['privacy'] } } });
    const writer = await managementClient(app, 'idp:admin');
    readerToken = await (await managementClient(app, 'idp:admin:read')).token();
    api = await OpenApiClient.load(app, '/admin/api/openapi.json', await writer.token());
  });
  afterAll(async () => {
    await app?.stop();
    await mailbox?.close();
  });

  test('the admin API lists, reads and deletes leads, as its OpenAPI document says', async () => {
    await confirmed('listed@example.jp');
    expect((await post({ email: 'waiting@example.jp' })).status).toBe(202);
    const all = await api.call('listLeads');
    expect(all.status).toBe(200);
    expect(all.body.items.map((l: { email: string }) => l.email)).toEqual(expect.arrayContaining(['listed@example.jp', 'waiting@example.jp']));
    const verified = await api.call('listLeads', { query: { status: 'verified' } });
    expect(verified.body.items.map((l: { email: string }) => l.email)).toEqual(['listed@example.jp']);
    const byEmail = await api.call('listLeads', { query: { email: 'WAITING@example.jp' } });
    expect(byEmail.body.items).toHaveLength(1);
    const waiting = byEmail.body.items[0];
    expect(waiting).toMatchObject({ status: 'pending', consents: [], unconfirmed: [{ client: site.clientId, method: 'lite_api' }] });
    expect(waiting.expires_at).toEqual(expect.any(String));

    const one = await api.call('getLead', { params: { id: verified.body.items[0].id } });
    expect(one.body).toMatchObject({ email: 'listed@example.jp', consents: [{ document: 'privacy', version: '1', method: 'lite_api' }], attributes: { given_name: 'Aiko' } });
    expect((await api.call('deleteLead', { params: { id: waiting.id }, token: readerToken })).status).toBe(403);
    expect((await api.call('deleteLead', { params: { id: waiting.id } })).status).toBe(204);
    expect((await api.call('getLead', { params: { id: waiting.id } })).status).toBe(404);
    expect(await leadOf('waiting@example.jp')).toBeNull();
    // Its confirmation link went with it.
    const link = linkFrom(await mailbox.next('waiting@example.jp'), app.issuer, '/lite/verify');
    expect((await new Browser().get(link)).status).toBe(400);
  });

  test('idp leads list, show and delete work on the same store', async () => {
    const env = cliEnvFor(app, TEST_SECRETS);
    await confirmed('cli.lead@example.jp');
    const listed = await runIdp(['leads', 'list', '--status', 'verified'], env);
    expect(listed.status).toBe(0);
    expect(JSON.parse(listed.stdout).map((l: { email: string }) => l.email)).toContain('cli.lead@example.jp');
    const shown = await runIdp(['leads', 'show', 'CLI.Lead@example.jp'], env);
    expect(shown.status).toBe(0);
    expect(JSON.parse(shown.stdout)).toMatchObject({ email: 'cli.lead@example.jp', status: 'verified', sources: [site.clientId] });
    const deleted = await runIdp(['leads', 'delete', 'cli.lead@example.jp'], env);
    expect(deleted.status).toBe(0);
    expect(await leadOf('cli.lead@example.jp')).toBeNull();
    const again = await runIdp(['leads', 'show', 'cli.lead@example.jp'], env);
    expect(again.status).toBe(1);
    expect(again.stderr).toContain('lead.not_found');
    expect((await runIdp(['leads', 'list', '--status', 'nope'], env)).status).toBe(2);
  });

  test('the export of a person holds their leads, and their erasure removes them', async () => {
    const email = 'subject@example.jp';
    await confirmed(email);
    const account = await app.container.accounts.createByAdmin({ email, password: 'a long enough password', verified: true });
    const actor = { type: 'cli' as const, id: 'test' };
    // Before the first sign-in: the confirmed lead is found by the address.
    const first = await app.container.users.exportData(account._id, actor) as { leads: Array<Record<string, unknown>> };
    expect(first.leads).toEqual([expect.objectContaining({ email, status: 'verified', attributes: { given_name: 'Aiko' } })]);
    // After the sign-in that carries it: the converted lead, by account id.
    await app.container.leads.onSignIn(account._id);
    const second = await app.container.users.exportData(account._id, actor) as { leads: Array<Record<string, unknown>>; consents: Array<{ method: string }> };
    expect(second.leads).toEqual([expect.objectContaining({ status: 'converted', account_id: account._id })]);
    expect(second.consents.map((c) => c.method)).toEqual(['lite_api']);

    await app.container.users.remove(account._id, actor);
    expect(await app.container.models.Lead.countDocuments({ accountId: account._id }).exec()).toBe(0);
    expect(await app.container.models.ConsentRecord.collection.countDocuments({ accountId: account._id })).toBe(0);
  });

  test('an address is rate-limited however it is sent, with the same answer until then', async () => {
    const email = 'flooded@example.jp';
    for (let i = 0; i < 3; i++) expect((await post({ email })).status).toBe(202);
    const limited = await post({ email });
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toMatch(/^\d+$/);
    expect((await post({ email: 'another@example.jp' })).status).toBe(202);
    expect((await leadOf(email))?.pending).toHaveLength(3);
  });
});
