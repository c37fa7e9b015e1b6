import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { codeFrom, documentTitle, errorText, heading, linkFrom, linkTo, pageShape } from '../helpers/account-flows.ts';
import { Browser, type Page } from '../helpers/browser.ts';
import { authorizationRequest, client, exchangeCode, registerRp, RP_REDIRECT, signIn, type Rp } from '../helpers/rp.ts';
import { startMailbox, type Mailbox } from '../helpers/smtp.ts';
import { startTestApp, type TestApp } from '../helpers/test-app.ts';

// Sign-up and email verification through the hosted pages, with a real RP (openid-client) and real mail (SMTP).

describe('sign-up and email verification', () => {
  let app: TestApp;
  let rp: Rp;
  let mailbox: Mailbox;
  const password = 'a long enough passphrase';

  beforeAll(async () => {
    mailbox = await startMailbox();
    app = await startTestApp({ label: 'signup', overrides: { mail: { smtpUrl: mailbox.url } } });
    rp = await registerRp(app);
  });
  afterAll(async () => {
    await app?.stop();
    await mailbox?.close();
  });

  const accounts = () => app.container.models.Account;

  /** Authorization request -> login page -> "create an account" -> the sign-up form. */
  async function openRegister(browser: Browser, params: Record<string, string> = {}) {
    browser.stopAt = [RP_REDIRECT];
    const request = await authorizationRequest(rp, params);
    const login = await browser.get(request.url.toString());
    expect(login.status).toBe(200);
    expect(login.html.querySelector('input[name=password]')).not.toBeNull();
    const register = await browser.get(linkTo(login, '/register'));
    expect(register.status).toBe(200);
    expect(register.url).toMatch(/\/interaction\/[^/]+\/register$/);
    return { request, register };
  }

  async function register(browser: Browser, form: { email: string; password: string; name?: string }, params: Record<string, string> = {}) {
    const { request, register: page } = await openRegister(browser, params);
    const answer = await browser.submit(page, { name: '', ...form });
    return { request, page: answer };
  }

  const codeInput = (page: Page) => page.html.querySelector('input[name=code]');

  test('sign up, get the code by mail, enter it, and come back to the RP with a verified email', async () => {
    const browser = new Browser();
    const email = 'new.customer@example.com';
    const { request, page } = await register(browser, { email, password, name: 'New Customer' });
    expect(page.status).toBe(200);
    expect(heading(page)).toBe('Check your email');
    expect(documentTitle(page)).toBe('Check your email · Group ID');
    expect(codeInput(page)).not.toBeNull();
    const stored = await accounts().findOne({ emailNormalized: email }).lean();
    expect(stored).toMatchObject({ email, emailVerified: false, profile: { name: 'New Customer' } });

    const mail = await mailbox.next(email);
    const code = codeFrom(mail);
    expect(mail.subject).toBe(`Your verification code: ${code}`);
    expect(mail.text).toContain(`${app.issuer}/verify-email?token=`);

    const callback = await browser.submit(page, { code });
    expect(callback.status).toBe(303);
    expect(callback.url).toMatch(/^http:\/\/127\.0\.0\.1:9\/cb\?code=/);
    const tokens = await exchangeCode(rp, request, callback);
    const claims = tokens.claims()!;
    expect(claims.sub).toBe(stored!._id);
    expect(claims.amr).toEqual(['pwd']);
    const userinfo = await client.fetchUserInfo(rp.config, tokens.access_token, claims.sub);
    expect(userinfo).toMatchObject({ sub: stored!._id, email, email_verified: true, name: 'New Customer' });
    expect((await accounts().findById(stored!._id).lean())?.emailVerified).toBe(true);
  });

  test('the mailed link verifies the account in another browser, and works once', async () => {
    const email = 'link.reader@example.com';
    const signUpBrowser = new Browser();
    const { page } = await register(signUpBrowser, { email, password });
    expect(heading(page)).toBe('Check your email');
    const link = linkFrom(await mailbox.next(email), app.issuer, '/verify-email');

    const phone = new Browser();
    const verified = await phone.get(link);
    expect(verified.status).toBe(200);
    expect(heading(verified)).toBe('Email address verified');
    expect((await accounts().findOne({ emailNormalized: email }).lean())?.emailVerified).toBe(true);

    const again = await phone.get(link);
    expect(again.status).toBe(400);
    expect(heading(again)).toBe('Something went wrong');
    expect(errorText(again)).toBe('This verification link is invalid, already used or expired.');

    // A forged token is refused the same way.
    const forged = await new Browser().get(`${app.issuer}/verify-email?token=${'A'.repeat(43)}`);
    expect(forged.status).toBe(400);

    // Back in the first browser, "continue where you were": the code page now lets the person through.
    const callback = await signUpBrowser.submit(page, { code: codeFrom(mailbox.mails.find((m) => m.to.includes(email))!) });
    expect(callback.url).toMatch(/^http:\/\/127\.0\.0\.1:9\/cb\?code=/);
  });

  test('a wrong code shows the code page again with 400 and a message; the right one still works', async () => {
    const browser = new Browser();
    const email = 'typo@example.com';
    const { request, page } = await register(browser, { email, password });
    const code = codeFrom(await mailbox.next(email));
    const wrong = code === '000000' ? '111111' : '000000';

    const refused = await browser.submit(page, { code: wrong });
    expect(refused.status).toBe(400);
    expect(heading(refused)).toBe('Check your email');
    expect(errorText(refused)).toBe('The code is incorrect or has expired.');
    expect(codeInput(refused)).not.toBeNull();
    expect((await accounts().findOne({ emailNormalized: email }).lean())?.emailVerified).toBe(false);

    const malformed = await browser.submit(refused, { code: 'abc' });
    expect(malformed.status).toBe(400);
    expect(errorText(malformed)).toBe('The code is incorrect or has expired.');

    const callback = await browser.submit(malformed, { code });
    const tokens = await exchangeCode(rp, request, callback);
    expect(tokens.claims()!.sub).toBeDefined();
  });

  test('sign-up with an existing email (other case) looks the same, creates nothing, and mails the owner', async () => {
    const owner = 'Existing.Owner@Example.com';
    await app.container.accounts.createByAdmin({ email: owner, password, verified: true });
    const before = await accounts().countDocuments();

    const fresh = 'brand.new@example.com';
    const { page: freshPage } = await register(new Browser(), { email: fresh, password });
    await mailbox.next(fresh);
    const afterFresh = await accounts().countDocuments();
    expect(afterFresh).toBe(before + 1);

    const taken = 'existing.owner@EXAMPLE.COM';
    const { page: takenPage } = await register(new Browser(), { email: taken, password: 'another passphrase here' });
    expect(takenPage.status).toBe(freshPage.status);
    expect(heading(takenPage)).toBe('Check your email');
    expect(pageShape(takenPage, taken)).toBe(pageShape(freshPage, fresh));
    expect(takenPage.body).not.toMatch(/already|exists/i);

    const mail = await mailbox.next(owner);
    expect(mail.subject).toBe('You already have an account');
    expect(mail.text).not.toMatch(/\b\d{6}\b/);
    expect(await accounts().countDocuments()).toBe(afterFresh);
    expect(await accounts().countDocuments({ emailNormalized: 'existing.owner@example.com' })).toBe(1);
  });

  test('signing in with an unverified account asks for the code before returning to the RP', async () => {
    const email = 'unverified@example.com';
    await app.container.accounts.createByAdmin({ email, password, verified: false });
    const browser = new Browser();
    browser.stopAt = [RP_REDIRECT];
    const request = await authorizationRequest(rp);
    const login = await browser.get(request.url.toString());
    const verify = await browser.submit(login, { email, password });
    expect(verify.status).toBe(200);
    expect(verify.url).not.toContain(RP_REDIRECT);
    expect(heading(verify)).toBe('Check your email');
    expect(codeInput(verify)).not.toBeNull();

    const callback = await browser.submit(verify, { code: codeFrom(await mailbox.next(email)) });
    const tokens = await exchangeCode(rp, request, callback);
    const userinfo = await client.fetchUserInfo(rp.config, tokens.access_token, tokens.claims()!.sub);
    expect(userinfo.email_verified).toBe(true);

    // Verified now: the next sign-in goes straight through.
    const { tokens: again } = await signIn(new Browser(), rp, { email, password });
    expect(again.claims()!.sub).toBe(tokens.claims()!.sub);
  });

  test('a too-short password shows the form again with 400 and the password message', async () => {
    const browser = new Browser();
    const email = 'short.password@example.com';
    const mailsBefore = mailbox.mails.length;
    const { page } = await register(browser, { email, password: 'short', name: 'Shorty' });
    expect(page.status).toBe(400);
    expect(heading(page)).toBe('Create your account');
    expect(errorText(page)).toBe('The password is too short: use at least 8 characters.');
    expect(page.html.querySelector('input[name=email]')?.getAttribute('value')).toBe(email);
    expect(page.html.querySelector('input[name=name]')?.getAttribute('value')).toBe('Shorty');
    expect(page.html.querySelector('input[name=password]')?.getAttribute('value') ?? '').toBe('');
    expect(await accounts().countDocuments({ emailNormalized: email })).toBe(0);
    expect(mailbox.mails.length).toBe(mailsBefore);
  });

  test('sign-up checks profile attributes with the attribute schema (the same rule as the profile pages)', async () => {
    const browser = new Browser();
    const email = 'long.name@example.com';
    const { page } = await register(browser, { email, password, name: 'N'.repeat(201) });
    expect(page.status).toBe(400);
    expect(errorText(page)).toBe('This value is too long.');
    expect(await accounts().countDocuments({ emailNormalized: email })).toBe(0);
  });

  test('pages and mails follow ui_locales=ja', async () => {
    const browser = new Browser();
    const email = 'nihongo@example.jp';
    const { register: form } = await openRegister(browser, { ui_locales: 'ja' });
    expect(heading(form)).toBe('アカウントの作成');
    expect(documentTitle(form)).toBe('アカウントの作成 · グループID');
    expect(form.html.querySelector('html')?.getAttribute('lang')).toBe('ja');
    const page = await browser.submit(form, { email, password, name: '山田 花子' });
    expect(page.status).toBe(200);
    expect(heading(page)).toBe('メールをご確認ください');

    const mail = await mailbox.next(email);
    const code = codeFrom(mail);
    expect(mail.subject).toBe(`確認コード: ${code}`);
    expect(mail.text).toContain('メールアドレスを確認するため');
    expect((await accounts().findOne({ emailNormalized: email }).lean())?.profile.locale).toBe('ja');
  });
});
