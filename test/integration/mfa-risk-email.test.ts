import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { PassThrough } from 'node:stream';
import { Browser } from '../helpers/browser.ts';
import { registerRp, signIn, type Rp } from '../helpers/rp.ts';
import { startMailbox, type Mailbox } from '../helpers/smtp.ts';
import { startTestApp, type TestApp } from '../helpers/test-app.ts';
import { codeFrom } from '../helpers/account-flows.ts';
import { alertText, atRp, codeInput, isLoginPage, startAuth, submitCode, tokensFor } from '../helpers/mfa.ts';

// Email codes (real SMTP) and the adaptive risk check: a new device asks for MFA, a remembered one does not;
// impossible travel from a trusted geo header; the decision and its signals are an audit event.
const ACR = { password: 'urn:idp:acr:password', mfa: 'urn:idp:acr:mfa' };
const password = 'correct horse battery staple';

describe('email codes and risk-based MFA', () => {
  let app: TestApp;
  let mailbox: Mailbox;
  let optional: Rp;
  let required: Rp;
  const log: Array<Record<string, unknown>> = [];

  beforeAll(async () => {
    mailbox = await startMailbox();
    const logStream = new PassThrough();
    logStream.on('data', (chunk: Buffer) => {
      for (const line of chunk.toString().split('\n').filter(Boolean)) log.push(JSON.parse(line));
    });
    app = await startTestApp({
      label: 'mfarisk', logLevel: 'info', logStream,
      overrides: {
        mail: { smtpUrl: mailbox.url },
        // The geo headers are believed only from a trusted proxy; the tests play that proxy on 127.0.0.1.
        http: { trustedProxies: ['127.0.0.1'] },
        mfa: { risk: { weights: { newDevice: 60 }, geoHeader: 'x-geo-country', geoCoordinatesHeader: 'x-geo-latlon' } },
      },
    });
    for (const name of ['mailer', 'risky', 'traveller', 'guesser']) {
      await app.container.accounts.createByAdmin({ email: `${name}@example.jp`, password, name, verified: true });
    }
    [optional, required] = await Promise.all([registerRp(app), registerRp(app, { mfa_policy: 'required' })]);
  });
  afterAll(async () => {
    await app?.stop();
    await mailbox?.close();
  });

  const riskEvents = (accountEmail: string) => log.filter((l) => l.event === 'mfa.risk.evaluated' && l.accountId === accountOf(accountEmail));
  const ids = new Map<string, string>();
  const accountOf = (email: string) => ids.get(email);
  const remember = async (email: string) => ids.set(email, (await app.container.accountRepository.findByEmail(email))!._id);

  test('enrol email codes in Japanese through the pages; the mailed code signs in once', async () => {
    const browser = new Browser();
    const { request, page: login } = await startAuth(browser, required, { ui_locales: 'ja' });
    let page = await browser.submit(login, { email: 'mailer@example.jp', password });
    page = await browser.submit(page, { factor: 'email' });
    const mail = await mailbox.next('mailer@example.jp');
    expect(mail.subject).toMatch(/^ログイン用コード: \d{6}$/);
    expect(page.html.querySelector('main')?.text).toContain('m***@example.jp');
    page = await submitCode(browser, page, codeFrom(mail));
    page = await browser.submit(page, {});
    const { claims } = await tokensFor(required, request, page);
    expect(claims.acr).toBe(ACR.mfa);
    expect(claims.amr).toEqual(['pwd', 'otp', 'mfa']);
  });

  test('a new device asks for MFA (email code as fallback); a remembered device does not; the session cannot skip it', async () => {
    await remember('risky@example.jp');
    const first = await signIn(new Browser(), optional, { email: 'risky@example.jp', password });
    expect(first.tokens.claims()!.acr).toBe(ACR.password);

    const laptop = new Browser();
    let { request, page } = await startAuth(laptop, optional);
    page = await laptop.submit(page, { email: 'risky@example.jp', password });
    expect(alertText(page) + page.html.querySelector('main')!.text).toContain('looks unusual');
    // Leaving the MFA page and starting again on the same session still asks for it (the decision is kept).
    const again = await startAuth(laptop, optional);
    expect(isLoginPage(again.page)).toBe(false);
    ({ request, page } = again);
    page = await laptop.submit(page, {});
    const code = codeFrom(await mailbox.next('risky@example.jp'));
    expect(page.html.querySelector('input[name=remember]')).toBeTruthy();
    page = await submitCode(laptop, page, code, { remember: 'yes' });
    expect((await tokensFor(optional, request, page)).claims.acr).toBe(ACR.mfa);
    const [evaluated] = riskEvents('risky@example.jp').slice(-1);
    expect(evaluated).toMatchObject({ signals: ['newDevice'], score: 60, threshold: 50, mfa: true, remembered: false });

    const remembered = await signIn(laptop, optional, { email: 'risky@example.jp', password }, { prompt: 'login' });
    expect(remembered.tokens.claims()!.acr).toBe(ACR.password);
    expect(riskEvents('risky@example.jp').at(-1)).toMatchObject({ remembered: true, mfa: false });

    const phone = new Browser();
    const third = await startAuth(phone, optional);
    page = await phone.submit(third.page, { email: 'risky@example.jp', password });
    expect(page.html.querySelector('form[action$="/send"]')).toBeTruthy();
  });

  test('impossible travel and a new country, from the trusted geo header, ask for MFA on a known device', async () => {
    await remember('traveller@example.jp');
    const browser = new Browser();
    browser.headers = { 'x-geo-country': 'JP', 'x-geo-latlon': '35.68,139.76' };
    await signIn(browser, optional, { email: 'traveller@example.jp', password });
    browser.headers = { 'x-geo-country': 'GB', 'x-geo-latlon': '51.50,-0.12' };
    const { page: login } = await startAuth(browser, optional, { prompt: 'login' });
    const page = await browser.submit(login, { email: 'traveller@example.jp', password });
    expect(page.html.querySelector('form[action$="/send"]')).toBeTruthy();
    expect(riskEvents('traveller@example.jp').at(-1)).toMatchObject({ signals: ['newCountry', 'impossibleTravel'], score: 90, mfa: true, country: 'GB' });
  });

  test('a mailed code takes a few wrong tries only; then even the right one is refused', async () => {
    await remember('guesser@example.jp');
    await signIn(new Browser(), optional, { email: 'guesser@example.jp', password });
    const browser = new Browser();
    let { page } = await startAuth(browser, optional);
    page = await browser.submit(page, { email: 'guesser@example.jp', password });
    page = await browser.submit(page, {});
    const code = codeFrom(await mailbox.next('guesser@example.jp'));
    const wrong = code === '000000' ? '111111' : '000000';
    for (let i = 0; i < 3; i += 1) page = await submitCode(browser, page, wrong);
    page = await submitCode(browser, page, code);
    expect(page.status).toBe(400);
    expect(codeInput(page)).toBeTruthy();
    expect(atRp(page)).toBe(false);
    expect(log.filter((l) => l.event === 'mfa.challenge.failed' && l.accountId === accountOf('guesser@example.jp'))).toHaveLength(4);
  });
});
