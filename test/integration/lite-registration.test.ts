import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { codeFrom, heading, linkFrom, linkTo, pageShape } from '../helpers/account-flows.ts';
import { Browser, type Page } from '../helpers/browser.ts';
import { atRp, finish, submitEntries } from '../helpers/profile-flows.ts';
import { authorizationRequest, registerRp, RP_REDIRECT, type Rp } from '../helpers/rp.ts';
import { startMailbox, type Mailbox } from '../helpers/smtp.ts';
import { startTestApp, type TestApp } from '../helpers/test-app.ts';

// Lite registration on the real app, MongoDB and SMTP: a lead from the hosted page and from a site's server (client
// credentials), confirmed by its mailed link, then carried into the account the same address signs up for through
// the real sign-up pages, and only when both the lead and the account are proven by the mailbox.

const doc = (id: string, kind: string) => ({
  documentId: id, kind: kind as 'terms', version: '1', effectiveAt: new Date(Date.now() - 1000), requiresReacceptance: true,
  content: { ja: { title: `${id} ja` }, en: { title: `${id} en` } },
});

describe('lite registration', () => {
  let app: TestApp;
  let mailbox: Mailbox;
  let site: Rp;
  let plain: Rp;
  const password = 'a long enough password';
  const checkboxes = (page: Page) => page.html.querySelectorAll('input[type=checkbox][name=accept]').map((el) => el.getAttribute('value'));
  const leadOf = (email: string) => app.container.models.Lead.findOne({ emailNormalized: email.toLowerCase() }).lean().exec();
  const api = (body: unknown, auth?: string) => fetch(`${app.issuer}/api/v1/leads`, {
    method: 'POST', body: JSON.stringify(body),
    headers: { 'content-type': 'application/json', accept: 'application/json', ...(auth ? { authorization: auth } : {}) },
  });
  const basic = (id: string, secret: string) => `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`;
  const siteAuth = () => basic(site.clientId, site.metadata.client_secret as string);

  beforeAll(async () => {
    mailbox = await startMailbox();
    app = await startTestApp({ label: 'lite', overrides: { mail: { smtpUrl: mailbox.url } } });
    const { legal } = app.container.profile;
    for (const version of [doc('terms', 'terms'), doc('privacy', 'privacy'), doc('marketing', 'marketing')]) {
      await legal.addVersion(version);
      await legal.publish(version.documentId, version.version);
    }
    site = await registerRp(app, {
      client_name: 'News Site', legal_documents: { required: ['terms', 'privacy'], optional: ['marketing'] },
      lite_registration: { attributes: ['given_name', 'family_name'], required_attributes: ['given_name'], legal_documents: { required: ['privacy'], optional: ['marketing'] } },
    });
    plain = await registerRp(app, { client_name: 'Plain Site' });
  });
  afterAll(async () => {
    await app?.stop();
    await mailbox?.close();
  });

  async function subscribe(browser: Browser, entries: Array<[string, string]>) {
    const form = await browser.get(`${app.issuer}/lite/subscribe?client_id=${site.clientId}`);
    return { form, answer: await submitEntries(browser, form, entries) };
  }

  async function confirm(browser: Browser, email: string) {
    const link = linkFrom(await mailbox.next(email), app.issuer, '/lite/verify');
    const page = await browser.get(link);
    expect(page.html.querySelector('form button[type=submit]')).not.toBeNull();
    return { link, page: await browser.submit(page, {}) };
  }

  async function signUp(browser: Browser, email: string) {
    browser.stopAt = [RP_REDIRECT];
    const request = await authorizationRequest(site);
    const login = await browser.get(request.url.toString());
    const form = await browser.get(linkTo(login, '/register'));
    const verify = await browser.submit(form, { email, password });
    return { request, verify };
  }

  test('the hosted page collects a lead that its mailed link confirms', async () => {
    const browser = new Browser();
    const email = 'Reader.One@example.jp';
    const form = await browser.get(`${app.issuer}/lite/subscribe?client_id=${site.clientId}`);
    expect(form.status).toBe(200);
    expect(form.html.querySelector('input[name=email]')).not.toBeNull();
    expect(form.html.querySelector('input[name=given_name]')).not.toBeNull();
    expect(form.html.querySelector('input[name=password]')).toBeNull();
    expect(checkboxes(form)).toEqual(['privacy', 'marketing']);
    expect(form.html.querySelectorAll('input[type=checkbox][checked]')).toHaveLength(0);

    const refused = await submitEntries(browser, form, [['email', email], ['given_name', 'Hanako'], ['accept', 'marketing']]);
    expect(refused.status).toBe(400);
    expect(refused.html.querySelector('.error[role=alert]')?.text).toContain('Tick every required document');
    expect(await leadOf(email)).toBeNull();

    const sent = await submitEntries(browser, refused, [['email', email], ['given_name', 'Hanako'], ['accept', 'privacy'], ['accept', 'marketing']]);
    expect(sent.status).toBe(200);
    expect(heading(sent)).toBe('Check your mail');
    const pending = (await leadOf(email))!;
    expect(pending).toMatchObject({ status: 'pending', email, consents: [], sources: [site.clientId] });
    expect(pending.pending).toHaveLength(1);

    const { link, page } = await confirm(browser, email);
    expect(page.status).toBe(200);
    expect(heading(page)).toBe('Subscription confirmed');
    expect(page.html.querySelector('main')?.text).not.toContain('added to your account');
    const lead = (await leadOf(email))!;
    expect(lead.status).toBe('verified');
    expect(lead.pending).toEqual([]);
    expect(lead.consents.map((c) => [c.documentId, c.version, c.method, c.clientId])).toEqual([
      ['privacy', '1', 'lite_page', site.clientId], ['marketing', '1', 'lite_page', site.clientId],
    ]);
    expect(lead.attributes).toEqual([{ key: 'given_name', value: 'Hanako' }]);
    expect(lead.expiresAt).toBeUndefined();
    // The link works once.
    expect((await browser.get(link)).status).toBe(400);
  });

  test('the API takes a lead from a site authenticated by its client credentials, and only from it', async () => {
    const body = { email: 'api.reader@example.jp', consents: ['privacy'], attributes: { given_name: 'Ken' }, locale: 'ja' };
    const wrong = await api(body, basic(site.clientId, 'not-the-secret'));
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get('www-authenticate')).toMatch(/^Basic/);
    expect(await wrong.json()).toMatchObject({ error: 'invalid_client' });
    expect((await api(body)).status).toBe(401);
    const other = await api(body, basic(plain.clientId, plain.metadata.client_secret as string));
    expect(other.status).toBe(403);
    expect(await leadOf(body.email)).toBeNull();

    const missing = await api({ ...body, consents: [] }, siteAuth());
    expect(missing.status).toBe(400);
    expect((await missing.json()).fields).toEqual({ accept: 'lead.accept_required' });
    const badAttribute = await api({ ...body, attributes: { nickname: 'x' } }, siteAuth());
    expect(badAttribute.status).toBe(400);

    const accepted = await api(body, siteAuth());
    expect(accepted.status).toBe(202);
    expect(await accepted.json()).toEqual({ status: 'accepted' });
    const mail = await mailbox.next(body.email);
    expect(mail.subject).toBe('News Siteのメール配信登録のご確認');
    expect(mail.text).toContain('次のリンクを開いて登録を確定してください');
    // client_secret_post: the credentials in the body.
    const posted = await api({ ...body, client_id: site.clientId, client_secret: site.metadata.client_secret }, undefined);
    expect(posted.status).toBe(202);
    const lead = (await leadOf(body.email))!;
    expect(lead.pending.map((s) => s.method)).toEqual(['lite_api', 'lite_api']);
    expect(lead.pending[0]!.attributes).toEqual([{ key: 'given_name', value: 'Ken' }]);
  });

  test('an address that has an account gets the same answer, and nothing is recorded for it', async () => {
    const owner = 'account.owner@example.jp';
    const account = await app.container.accounts.createByAdmin({ email: owner, password, verified: true });
    const entries = (email: string): Array<[string, string]> => [['email', email], ['given_name', 'Mallory'], ['accept', 'privacy'], ['accept', 'marketing']];
    const fresh = await subscribe(new Browser(), entries('someone.new@example.jp'));
    const taken = await subscribe(new Browser(), entries(owner));
    expect(pageShape(taken.answer, owner)).toBe(pageShape(fresh.answer, 'someone.new@example.jp'));
    const viaApi = await api({ email: owner, consents: ['privacy'], attributes: { given_name: 'Mallory' } }, siteAuth());
    expect(viaApi.status).toBe(202);
    expect(await viaApi.json()).toEqual({ status: 'accepted' });

    expect(await leadOf(owner)).toBeNull();
    expect((await app.container.profile.legal.overview(account._id)).history).toEqual([]);
    expect((await app.container.accountRepository.findById(account._id))?.profile?.given_name).toBeUndefined();
    // The owner is told where to manage consents instead of getting a confirmation link.
    const mail = await mailbox.next(owner);
    expect(mail.text).toContain(`${app.issuer}/account/consents`);
    expect(mail.text).not.toContain('/lite/verify');
  });

  test('a confirmed lead\'s consents and attributes appear on the account the same address signs up for', async () => {
    const email = 'convert.me@example.jp';
    const accepted = await api({ email, consents: ['privacy', 'marketing'], attributes: { given_name: 'Taro', family_name: 'Yamada' }, locale: 'en' }, siteAuth());
    expect(accepted.status).toBe(202);
    const browser = new Browser();
    await confirm(browser, email);
    const leadId = (await leadOf(email))!._id;

    const { request, verify } = await signUp(browser, email);
    const legalPage = await browser.submit(verify, { code: codeFrom(await mailbox.next(email)) });
    // privacy and marketing came with the lead: only the terms are asked.
    expect(checkboxes(legalPage)).toEqual(['terms']);
    const back = await submitEntries(browser, legalPage, [['decision', 'allow'], ['accept', 'terms']]);
    expect(atRp(back)).toBe(true);
    await finish(site, { request, page: back }, back);

    const account = (await app.container.accountRepository.findByEmail(email))!;
    expect(account.profile).toMatchObject({ given_name: 'Taro', family_name: 'Yamada' });
    const { history } = await app.container.profile.legal.overview(account._id);
    expect(history.map((r) => [r.documentId, r.method]).sort()).toEqual([['marketing', 'lite_api'], ['privacy', 'lite_api'], ['terms', 'signup']]);

    const consents = await browser.get(`${app.issuer}/account/consents`);
    expect(consents.url).toBe(`${app.issuer}/account/consents`);
    expect(consents.html.querySelector('.current tr[data-document=privacy][data-decision=granted]')).not.toBeNull();
    const marketing = consents.html.querySelector('.current tr[data-document=marketing][data-decision=granted]');
    expect(marketing?.querySelector('button[name=withdraw]')).not.toBeNull();
    expect(consents.html.querySelector('.all')?.text).toContain('on a site\'s subscription form');
    const receiptRow = consents.html.querySelector('.all tr[data-document=marketing]')!;
    const receipt = await browser.get(`${app.issuer}/account/consents/receipts/${receiptRow.getAttribute('data-record')}`);
    expect(receipt.status).toBe(200);

    const lead = await app.container.models.Lead.findById(leadId).lean().exec();
    expect(lead).toMatchObject({ status: 'converted', accountId: account._id });
    expect(lead?.email).toBeUndefined();
    expect(lead?.consents).toBeUndefined();
  });

  test('an unconfirmed lead is carried only once its own link is opened, and never into an unverified account', async () => {
    const email = 'planted@example.jp';
    // Someone types the address into the form; its owner has not opened the link.
    await subscribe(new Browser(), [['email', email], ['given_name', 'Planted'], ['accept', 'privacy'], ['accept', 'marketing']]);
    const leadMail = await mailbox.next(email);

    const browser = new Browser();
    const { request, verify } = await signUp(browser, email);
    const account = (await app.container.accountRepository.findByEmail(email))!;
    expect(account.emailVerified).toBe(false);
    expect((await app.container.profile.legal.overview(account._id)).history).toEqual([]);

    const legalPage = await browser.submit(verify, { code: codeFrom(await mailbox.next(email)) });
    // Verified now, yet nothing unconfirmed was carried: privacy is asked at sign-up like for anybody.
    expect(checkboxes(legalPage)).toEqual(['terms', 'privacy', 'marketing']);
    const back = await submitEntries(browser, legalPage, [['decision', 'allow'], ['accept', 'terms'], ['accept', 'privacy']]);
    await finish(site, { request, page: back }, back);
    const before = (await app.container.profile.legal.overview(account._id)).history;
    expect(before.map((r) => r.documentId).sort()).toEqual(['privacy', 'terms']);
    expect((await app.container.accountRepository.findById(account._id))?.profile?.given_name).toBeUndefined();
    expect((await leadOf(email))?.status).toBe('pending');

    // The mailbox owner opens the lead's own link: now both are proven, and the lead goes to the account at once.
    const confirmPage = await browser.get(linkFrom(leadMail, app.issuer, '/lite/verify'));
    const confirmed = await browser.submit(confirmPage, {});
    expect(heading(confirmed)).toBe('Subscription confirmed');
    expect(confirmed.html.querySelector('main')?.text).toContain('added to your account');
    const after = (await app.container.profile.legal.overview(account._id)).history;
    expect(after.filter((r) => r.method === 'lite_page').map((r) => r.documentId).sort()).toEqual(['marketing', 'privacy']);
    expect((await app.container.accountRepository.findById(account._id))?.profile.given_name).toBe('Planted');
    expect(await app.container.models.Lead.findOne({ accountId: account._id }).lean().exec()).toMatchObject({ status: 'converted' });
  });

  test('the hosted page speaks Japanese and refuses an unknown or non-collecting client', async () => {
    const browser = new Browser();
    browser.acceptLanguage = 'ja';
    const form = await browser.get(`${app.issuer}/lite/subscribe?client_id=${site.clientId}`);
    expect(heading(form)).toBe('メール配信の登録');
    expect((await browser.get(`${app.issuer}/lite/subscribe?client_id=${plain.clientId}`)).status).toBe(404);
    expect((await browser.get(`${app.issuer}/lite/subscribe?client_id=nope`)).status).toBe(404);
    // No CSRF token: refused.
    const forged = await browser.post(`${app.issuer}/lite/subscribe`, { client_id: site.clientId, email: 'x@example.jp', accept: 'privacy', given_name: 'X' });
    expect(forged.status).toBe(403);
  });
});
