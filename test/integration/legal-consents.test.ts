import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { codeFrom, linkTo } from '../helpers/account-flows.ts';
import { Browser } from '../helpers/browser.ts';
import { atRp, callbackError, finish, startSignIn, submitEntries } from '../helpers/profile-flows.ts';
import { authorizationRequest, registerRp, RP_REDIRECT, type Rp } from '../helpers/rp.ts';
import { startMailbox, type Mailbox } from '../helpers/smtp.ts';
import { startTestApp, type TestApp } from '../helpers/test-app.ts';

// Versioned legal documents and append-only consent records through the engine's `legal` prompt, the account page
// and signed receipts, with a real RP, a real SMTP server for sign-up, and the IdP's own JWKS for verification.

const doc = (id: string, kind: string, version: string, extra: Record<string, unknown> = {}) => ({
  documentId: id, kind: kind as 'terms', version, effectiveAt: new Date(Date.now() - 1000), requiresReacceptance: true,
  content: { ja: { title: `${id} ja ${version}`, url: `https://example.jp/${id}/${version}` }, en: { title: `${id} ${version}`, url: `https://example.com/${id}/${version}` } },
  ...extra,
});

describe('legal consents', () => {
  let app: TestApp;
  let mailbox: Mailbox;
  let site: Rp;
  const password = 'a long enough password';
  const checkboxes = (page: { html: { querySelectorAll(s: string): Array<{ getAttribute(n: string): string | undefined }> } }) =>
    page.html.querySelectorAll('input[type=checkbox][name=accept]').map((el) => `${el.getAttribute('value')}${el.getAttribute('checked') === undefined ? '' : '*'}`);
  const records = (accountId: string) => app.container.profile.legal.overview(accountId);

  beforeAll(async () => {
    mailbox = await startMailbox();
    app = await startTestApp({ label: 'legal', overrides: { mail: { smtpUrl: mailbox.url } } });
    const { legal } = app.container.profile;
    for (const version of [doc('terms', 'terms', '1'), doc('privacy', 'privacy', '1'), doc('marketing', 'marketing', '1')]) {
      await legal.addVersion(version);
      await legal.publish(version.documentId, version.version);
    }
    site = await registerRp(app, { client_name: 'Legal Site', legal_documents: { required: ['terms', 'privacy'], optional: ['marketing'] } });
  });
  afterAll(async () => {
    await app?.stop();
    await mailbox?.close();
  });

  async function signUp(browser: Browser, email: string) {
    browser.stopAt = [RP_REDIRECT];
    const request = await authorizationRequest(site);
    const login = await browser.get(request.url.toString());
    const form = await browser.get(linkTo(login, '/register'));
    const verify = await browser.submit(form, { email, password });
    const page = await browser.submit(verify, { code: codeFrom(await mailbox.next(email)) });
    return { request, page };
  }

  test('sign-up asks for the required documents, offers marketing unticked, and records each decision', async () => {
    const browser = new Browser();
    const email = 'new.customer@example.jp';
    const started = await signUp(browser, email);
    expect(started.page.status).toBe(200);
    expect(checkboxes(started.page)).toEqual(['terms', 'privacy', 'marketing']);
    const missing = await browser.submit(started.page, { accept: 'terms', decision: 'allow' });
    expect(missing.status).toBe(400);
    expect(missing.html.querySelector('.error[role=alert]')?.text).toContain('tick every required document');
    expect(checkboxes(missing)).toEqual(['terms*', 'privacy', 'marketing']);

    const back = await submitEntries(browser, missing, [['decision', 'allow'], ['accept', 'terms'], ['accept', 'privacy'], ['accept', 'marketing']]);
    expect(atRp(back)).toBe(true);
    await finish(site, started, back);

    const account = (await app.container.accountRepository.findByEmail(email))!;
    const { history } = await records(account._id);
    expect(history.map((r) => [r.documentId, r.version, r.decision, r.method, r.clientId]).sort()).toEqual([
      ['marketing', '1', 'granted', 'signup', site.clientId],
      ['privacy', '1', 'granted', 'signup', site.clientId],
      ['terms', '1', 'granted', 'signup', site.clientId],
    ]);
    expect(history[0]).toMatchObject({ locale: 'en', ip: expect.any(String), userAgent: expect.any(String), at: expect.any(Date) });
  });

  test('declining a required document returns access_denied to the client and records nothing', async () => {
    const browser = new Browser();
    const email = 'decliner@example.jp';
    const started = await signUp(browser, email);
    const back = await browser.submit(started.page, { decision: 'deny' });
    expect(callbackError(back)).toBe('access_denied');
    const account = (await app.container.accountRepository.findByEmail(email))!;
    expect((await records(account._id)).history).toEqual([]);
  });

  test('a new version needing re-acceptance is asked for at the next sign-in; an editorial one is not', async () => {
    const email = 'returning@example.jp';
    await app.container.accounts.createByAdmin({ email, password, verified: true });
    const browser = new Browser();
    const first = await startSignIn(browser, site, { email, password });
    await finish(site, first, await submitEntries(browser, first.page, [['decision', 'allow'], ['accept', 'terms'], ['accept', 'privacy']]));
    expect(atRp((await startSignIn(browser, site, { email, password })).page)).toBe(true);

    const { legal } = app.container.profile;
    await legal.addVersion(doc('privacy', 'privacy', '1.1', { requiresReacceptance: false }));
    await legal.publish('privacy', '1.1');
    expect(atRp((await startSignIn(browser, site, { email, password })).page)).toBe(true);

    await legal.addVersion(doc('terms', 'terms', '2'));
    await legal.publish('terms', '2');
    const again = await startSignIn(browser, site, { email, password });
    expect(checkboxes(again.page)).toEqual(['terms', 'marketing']);
    expect(again.page.html.querySelector('main')?.text).toContain('updated since you last agreed');
    await finish(site, again, await submitEntries(browser, again.page, [['decision', 'allow'], ['accept', 'terms']]));
    const account = (await app.container.accountRepository.findByEmail(email))!;
    const latest = (await records(account._id)).asOf.find((r) => r.documentId === 'terms');
    expect(latest).toMatchObject({ version: '2', decision: 'granted', method: 'prompt' });
  });

  test('marketing can be withdrawn on the account page; history answers what held at a past moment', async () => {
    const email = 'new.customer@example.jp';
    const browser = new Browser();
    const signedIn = await startSignIn(browser, site, { email, password });
    expect(checkboxes(signedIn.page)).toEqual(['terms']); // terms 2 was published meanwhile; marketing 1 still holds
    await finish(site, signedIn, await submitEntries(browser, signedIn.page, [['decision', 'allow'], ['accept', 'terms']]));
    const beforeWithdrawal = new Date();

    const page = await browser.get(`${app.issuer}/account/consents`);
    expect(page.url).toBe(`${app.issuer}/account/consents`);
    expect(page.html.querySelector('tr[data-document=marketing][data-decision=granted] button[name=withdraw]')).not.toBeNull();
    expect(page.html.querySelector('tr[data-document=terms] button[name=withdraw]')).toBeNull();
    const after = await browser.submit(page, {}, 'form.inline');
    expect(after.url).toBe(`${app.issuer}/account/consents?withdrawn=1`);
    expect(after.html.querySelector('.current tr[data-document=marketing]')?.getAttribute('data-decision')).toBe('withdrawn');

    // Terms cannot be withdrawn here, whatever the form says.
    const refused = await browser.post(`${app.issuer}/account/consents/withdraw`, {
      _csrf: page.html.querySelector('input[name=_csrf]')!.getAttribute('value')!, document: 'terms',
    });
    expect(refused.status).toBe(400);

    const account = (await app.container.accountRepository.findByEmail(email))!;
    const { legal } = app.container.profile;
    const then = await legal.overview(account._id, beforeWithdrawal);
    expect(then.asOf.find((r) => r.documentId === 'marketing')?.decision).toBe('granted');
    expect(then.asOf.find((r) => r.documentId === 'terms')?.version).toBe('2');
    const now = await legal.overview(account._id);
    expect(now.asOf.find((r) => r.documentId === 'marketing')?.decision).toBe('withdrawn');
    const firstGrant = Math.min(...now.history.map((r) => new Date(r.at).getTime()));
    expect((await legal.overview(account._id, new Date(firstGrant - 1))).asOf).toEqual([]);
    const old = await legal.overview(account._id, new Date(firstGrant));
    expect(old.asOf.find((r) => r.documentId === 'terms')?.version).toBe('1');
    expect(now.history.filter((r) => r.documentId === 'marketing').map((r) => r.decision)).toEqual(['withdrawn', 'granted']);
    // The page shows the same for a date before the account existed.
    const yesterday = new Date(firstGrant - 86_400_000).toISOString().slice(0, 10);
    const past = await browser.get(`${app.issuer}/account/consents?at=${yesterday}`);
    expect(past.html.querySelectorAll('.current tr[data-document]')).toHaveLength(0);
  });

  test('a receipt is a JWT that verifies with /jwks and matches its record; only its owner gets it', async () => {
    const email = 'new.customer@example.jp';
    const browser = new Browser();
    const signedIn = await startSignIn(browser, site, { email, password });
    expect(atRp(signedIn.page)).toBe(true);
    const page = await browser.get(`${app.issuer}/account/consents`);
    const row = page.html.querySelector('.all tr[data-document=terms][data-decision=granted]')!;
    const recordId = row.getAttribute('data-record')!;
    const response = await browser.get(`${app.issuer}/account/consents/receipts/${recordId}`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('application/jwt');
    const { payload, protectedHeader } = await jwtVerify(response.body, createRemoteJWKSet(new URL(`${app.issuer}/jwks`)), {
      issuer: app.issuer, algorithms: ['ES256'],
    });
    const record = (await app.container.profile.legal.findRecord(recordId))!;
    expect(protectedHeader.alg).toBe('ES256');
    expect(payload).toMatchObject({
      version: 'KI-CR-v1.1.0', jurisdiction: 'JP', consentReceiptID: record._id, jti: record._id,
      piiPrincipalId: record.accountId, sub: record.accountId, language: record.locale,
      consentTimestamp: Math.floor(new Date(record.at).getTime() / 1000),
      collectionMethod: expect.stringContaining(record.method === 'signup' ? 'sign-up' : 'sign-in'),
      piiControllers: [expect.objectContaining({ piiController: expect.any(String) })],
      services: [{ service: 'Legal Site', purposes: [expect.objectContaining({ consentType: 'EXPLICIT', purpose: `terms ${record.version}` })] }],
      document: { id: 'terms', version: record.version, title: `terms ${record.version}`, url: `https://example.com/terms/${record.version}`, effectiveAt: expect.any(String) },
      decision: 'granted',
    });

    // Someone else's browser, signed in as another account, gets a 404 for the same id.
    const other = new Browser();
    const stranger = { email: 'stranger@example.jp', password };
    await app.container.accounts.createByAdmin({ ...stranger, verified: true });
    const login = await other.get(`${app.issuer}/account/consents/receipts/${recordId}`);
    const denied = await other.submit(login, stranger);
    expect(denied.status).toBe(404);
    expect(denied.body).not.toContain('eyJ');
  });

  test('records and published versions cannot be changed: the model refuses, the API has no way to', async () => {
    const account = (await app.container.accountRepository.findByEmail('new.customer@example.jp'))!;
    const { ConsentRecord, LegalDocument } = app.container.models;
    const before = await ConsentRecord.find({ accountId: account._id }).lean().exec();
    await expect(ConsentRecord.updateOne({ accountId: account._id }, { $set: { decision: 'withdrawn' } }).exec()).rejects.toThrow(/append-only/);
    await expect(ConsentRecord.deleteMany({ accountId: account._id }).exec()).rejects.toThrow(/append-only/);
    await expect(ConsentRecord.findOneAndUpdate({ accountId: account._id }, { $set: { version: 'x' } }).exec()).rejects.toThrow(/append-only/);
    const existing = await ConsentRecord.findOne({ accountId: account._id }).exec();
    existing!.set('decision', 'withdrawn');
    await expect(existing!.save()).rejects.toThrow(/append-only/);
    expect(await ConsentRecord.find({ accountId: account._id }).lean().exec()).toEqual(before);

    const published = await LegalDocument.findById('terms@1').lean().exec();
    expect((await LegalDocument.updateOne({ _id: 'terms@1' }, { $set: { 'content.en.title': 'rewritten' } }).exec()).matchedCount).toBe(0);
    expect((await LegalDocument.deleteOne({ _id: 'terms@1' }).exec()).deletedCount).toBe(0);
    await expect(app.container.profile.legal.addVersion(doc('terms', 'terms', '1'))).rejects.toMatchObject({ status: 409 });
    expect(await LegalDocument.findById('terms@1').lean().exec()).toEqual(published);

    // No route changes or deletes a record: only the withdraw action exists, and it appends.
    const routes = app.container.profile.routers({ provider: app.container.provider, pages: app.container.pages, formMiddleware: [] })
      .flatMap((router) => router.stack.map((layer) => `${layer.methods.filter((m) => m !== 'HEAD').join(',')} ${layer.path}`));
    expect(routes.filter((r) => r.includes('consents'))).toEqual([
      'GET /account/consents', 'POST /account/consents/withdraw', 'GET /account/consents/receipts/:id',
    ]);
  });
});
