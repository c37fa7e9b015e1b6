import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import * as jose from 'jose';
import { ACCOUNT_CLIENT_ID } from '../../src/account/account-client.ts';
import { Browser, type Page } from '../helpers/browser.ts';
import { codeFrom, documentTitle, errorText } from '../helpers/account-flows.ts';
import { startBackchannelReceiver, type BackchannelReceiver } from '../helpers/backchannel-receiver.ts';
import { authorizationRequest, client, exchangeCode, registerRp, RP_REDIRECT, type Rp } from '../helpers/rp.ts';
import { startMailbox, type Mailbox } from '../helpers/smtp.ts';
import { startTestApp, TEST_SECRETS, type TestApp } from '../helpers/test-app.ts';
import { cliEnvFor, runIdp } from '../helpers/cli.ts';
import { managementClient, OpenApiClient } from '../helpers/admin-api.ts';
import { completeSignIn, createTestSp, readPostForm } from '../helpers/saml-sp.ts';

// The customer's self-service on /account: password, email, sessions and connected apps, through the real app,
// MongoDB, SMTP and an openid-client RP with a back-channel logout endpoint.

const FIREFOX = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0';
const SAFARI_IPHONE = 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1';
const CHROME_MAC = 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36';

describe('account self-service', () => {
  let app: TestApp;
  let mailbox: Mailbox;
  let receiver: BackchannelReceiver;
  let rp: Rp;
  let serial = 0;

  beforeAll(async () => {
    mailbox = await startMailbox();
    app = await startTestApp({
      label: 'selfservice',
      overrides: { mail: { smtpUrl: mailbox.url }, rateLimits: { loginPerAccount: { points: 3, duration: 900 } } },
    });
    receiver = await startBackchannelReceiver();
    rp = await registerRp(app, {
      client_name: 'Brand Shop', 'client_name#ja': 'ブランドショップ',
      backchannel_logout_uri: receiver.url, backchannel_logout_session_required: true,
    });
  });
  afterAll(async () => {
    receiver?.close();
    await app?.stop();
    await mailbox?.close();
  });

  /** A new verified account of its own for each test (limits and sessions do not leak between tests). */
  async function newUser(password = 'a long enough password') {
    serial += 1;
    const email = `self${serial}@example.jp`;
    const account = await app.container.accounts.createByAdmin({ email, password, verified: true, name: `Person ${serial}` });
    return { id: account._id, email, password };
  }

  /** A browser (with this User-Agent) signed in on /account with the password. */
  async function signedInBrowser(user: { email: string; password: string }, userAgent?: string): Promise<Browser> {
    const browser = new Browser();
    if (userAgent) browser.headers['user-agent'] = userAgent;
    const login = await browser.get(`${app.issuer}/account`);
    const page = await browser.submit(login, { email: user.email, password: user.password });
    expect(page.url).toBe(`${app.issuer}/account`);
    return browser;
  }

  const isSignInPage = (page: Page) => /\/interaction\/[^/]+$/.test(page.url) && page.html.querySelector('input[name=password]') !== null;

  async function auditCount(type: string, accountId: string): Promise<number> {
    await app.container.auditTrail.flush();
    return app.container.models.AuditEvent.countDocuments({ type, accountId });
  }

  test('changing the password with the current one signs out the other browser, keeps this one, and mails a notice', async () => {
    const user = await newUser();
    const laptop = await signedInBrowser(user, CHROME_MAC);
    const phone = await signedInBrowser(user, SAFARI_IPHONE);

    const form = await laptop.get(`${app.issuer}/account/password`);
    expect(form.html.querySelector('input[name=current_password]')).not.toBeNull();
    const done = await laptop.submit(form, { current_password: user.password, new_password: 'an entirely new passphrase' });
    expect(done.url).toBe(`${app.issuer}/account/password?changed=1&ended=1`);
    expect(done.html.querySelector('[data-changed]')?.text).toContain('1 other session was signed out');

    expect((await laptop.get(`${app.issuer}/account`)).url).toBe(`${app.issuer}/account`);
    expect(isSignInPage(await phone.get(`${app.issuer}/account`))).toBe(true);

    const mail = await mailbox.next(user.email);
    expect(mail.subject).toBe('Your password was changed');
    expect(mail.text).toContain('Every other browser and device was signed out');
    await signedInBrowser({ email: user.email, password: 'an entirely new passphrase' });
    expect(await auditCount('password.changed', user.id)).toBe(1);
  });

  test('a wrong current password is refused with a message, then rate-limited like sign-in; a weak one gives the policy reason', async () => {
    const user = await newUser();
    const browser = await signedInBrowser(user);
    const form = await browser.get(`${app.issuer}/account/password`);
    const weak = await browser.submit(form, { current_password: user.password, new_password: 'password123' });
    expect(weak.status).toBe(400);
    expect(errorText(weak)).toContain('leaked and most common passwords');

    for (let attempt = 1; attempt <= 3; attempt += 1) {
      const wrong = await browser.submit(form, { current_password: `wrong guess ${attempt}`, new_password: 'an entirely new passphrase' });
      expect(wrong.status).toBe(400);
      expect(errorText(wrong)).toBe('The current password is incorrect.');
    }
    const limited = await browser.submit(form, { current_password: user.password, new_password: 'an entirely new passphrase' });
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(errorText(limited)).toContain('Too many attempts');
    // Nothing changed: the old password still signs in (the sign-in shares the same counter, so from a fresh start).
    await app.container.limits.reset('loginPerAccount', user.email);
    await signedInBrowser(user);
    expect(await auditCount('password.change_failed', user.id)).toBe(3);
  });

  test('an account without a password (social sign-in) sets one after a fresh sign-in', async () => {
    const user = await newUser();
    const browser = await signedInBrowser(user);
    await app.container.models.Account.updateOne({ _id: user.id }, { $unset: { passwordHash: 1 } }).exec();
    const form = await browser.get(`${app.issuer}/account/password`);
    expect(form.html.querySelector('input[name=current_password]')).toBeNull();
    expect(documentTitle(form)).toContain('Set a password');
    const done = await browser.submit(form, { new_password: 'my first real passphrase' });
    expect(done.url).toContain('/account/password?changed=1');
    await signedInBrowser({ email: user.email, password: 'my first real passphrase' });
  });

  test('changing the email: a code to the new address, a notice to the old one, then sign-in with the new address', async () => {
    const user = await newUser();
    const browser = await signedInBrowser(user);
    const newEmail = `moved${serial}@example.com`;
    const form = await browser.get(`${app.issuer}/account/email`);
    const sent = await browser.submit(form, { email: newEmail });
    expect(sent.status).toBe(200);
    expect(sent.html.querySelector('[role=status]')?.text).toContain(newEmail);
    // Nothing changes before the code.
    expect((await app.container.accountRepository.findById(user.id))?.email).toBe(user.email);

    const codeMail = await mailbox.next(newEmail);
    // The token is made with the mail (in the background): once it arrived, the export shows the change waiting.
    const exported = await app.container.users.exportData(user.id, { type: 'user', id: user.id });
    expect(exported.pendingEmailChanges).toEqual([expect.objectContaining({ email: newEmail })]);
    expect(JSON.stringify(exported.pendingEmailChanges)).not.toMatch(/code/i);
    expect(codeMail.subject).toMatch(/^Your code to change your email address: \d{6}$/);
    const wrong = await browser.submit(sent, { code: '000000' === codeFrom(codeMail) ? '111111' : '000000' });
    expect(wrong.status).toBe(400);
    const done = await browser.submit(sent, { code: codeFrom(codeMail) });
    expect(done.url).toBe(`${app.issuer}/account/email?changed=1`);
    expect(done.html.querySelector('[data-email]')?.text).toBe(newEmail);

    const notice = await mailbox.next(user.email);
    expect(notice.subject).toBe('Your email address was changed');
    expect(notice.text).toContain(`m***@example.com`);
    const account = await app.container.accountRepository.findById(user.id);
    expect(account).toMatchObject({ email: newEmail, emailVerified: true });
    await signedInBrowser({ email: newEmail, password: user.password });
    expect(await auditCount('user.email_changed', user.id)).toBe(1);
  });

  test('an address another account has gets the same answer; that mailbox is told, and nothing changes', async () => {
    const user = await newUser();
    const other = await newUser();
    const browser = await signedInBrowser(user);
    const fresh = await browser.submit(await browser.get(`${app.issuer}/account/email`), { email: `unused${serial}@example.com` });
    const taken = await browser.submit(await browser.get(`${app.issuer}/account/email`), { email: other.email });
    expect(taken.status).toBe(fresh.status);
    const shape = (page: Page, address: string) => page.html.querySelector('main')!.text.replace(address, '<email>').replace(/\s+/g, ' ');
    expect(shape(taken, other.email)).toBe(shape(fresh, `unused${serial}@example.com`));

    const mail = await mailbox.next(other.email);
    expect(mail.subject).toBe('Email address already in use');
    expect(mail.text).not.toMatch(/\b\d{6}\b/);
    expect((await app.container.accountRepository.findById(user.id))?.email).toBe(user.email);
  });

  test('the session list names the browser from its User-Agent; ending it signs that browser out', async () => {
    const user = await newUser();
    const laptop = await signedInBrowser(user, CHROME_MAC);
    const phone = await signedInBrowser(user, FIREFOX);
    const page = await laptop.get(`${app.issuer}/account/sessions`);
    expect(page.status).toBe(200);
    const current = page.html.querySelector('[data-current]')!;
    expect(current.text).toContain('Chrome 126');
    expect(current.text).toContain('macOS');
    expect(current.text).toContain('(this browser)');
    expect(current.text).toContain('127.0.0.0/24');
    const others = page.html.querySelectorAll('li[data-session]:not([data-current])');
    expect(others).toHaveLength(1);
    expect(others[0]!.text).toContain('Firefox 128');
    expect(others[0]!.text).toContain('Windows');
    expect(current.querySelector('form')).toBeNull();

    const after = await laptop.submit(page, {}, `li[data-session="${others[0]!.getAttribute('data-session')}"] form`);
    expect(after.url).toBe(`${app.issuer}/account/sessions?ended=1`);
    expect(after.html.querySelector('[data-empty]')?.text).toContain('No other sessions');
    expect(isSignInPage(await phone.get(`${app.issuer}/account`))).toBe(true);
    expect((await laptop.get(`${app.issuer}/account`)).url).toBe(`${app.issuer}/account`);
  });

  test('"end all other sessions" signs out every other browser and keeps this one', async () => {
    const user = await newUser();
    const here = await signedInBrowser(user, CHROME_MAC);
    const elsewhere = [await signedInBrowser(user, FIREFOX), await signedInBrowser(user, SAFARI_IPHONE)];
    const page = await here.get(`${app.issuer}/account/sessions`);
    expect(page.html.querySelectorAll('li[data-session]')).toHaveLength(3);
    const after = await here.submit(page, {}, 'form[action="/account/sessions/end-others"]');
    expect(after.url).toBe(`${app.issuer}/account/sessions?ended=2`);
    expect(after.html.querySelectorAll('li[data-session]')).toHaveLength(1);
    for (const browser of elsewhere) expect(isSignInPage(await browser.get(`${app.issuer}/account`))).toBe(true);
    expect((await here.get(`${app.issuer}/account/sessions`)).status).toBe(200);
  });

  test('connected apps lists the RP (never our own clients); disconnecting revokes its refresh token and sends a back-channel logout', async () => {
    const user = await newUser();
    const browser = await signedInBrowser(user);
    const empty = await browser.get(`${app.issuer}/account/apps`);
    expect(empty.html.querySelector('[data-empty]')?.text).toBe('No connected apps.');
    expect(empty.html.querySelector('[data-client]')).toBeNull();

    // Already signed in on this browser: the authorization goes straight to the consent that offline_access needs.
    browser.stopAt = [RP_REDIRECT];
    const request = await authorizationRequest(rp, { scope: 'openid email offline_access', prompt: 'consent' });
    const consent = await browser.get(request.url.toString());
    const tokens = await exchangeCode(rp, request, await browser.submit(consent, { decision: 'allow' }));
    expect(tokens.refresh_token).toBeDefined();
    expect((await client.tokenIntrospection(rp.config, tokens.refresh_token!)).active).toBe(true);

    const page = await browser.get(`${app.issuer}/account/apps`);
    const items = page.html.querySelectorAll('li[data-client]');
    expect(items.map((li) => li.getAttribute('data-client'))).toEqual([rp.clientId]);
    expect(items[0]!.text).toContain('Brand Shop');
    expect(items[0]!.text).toContain('offline_access');
    // The account pages' own client holds a grant of this account too, and is not an app the person connected.
    expect((await app.container.accountSessions.listGrants(user.id)).map((g) => g.client).sort()).toEqual([ACCOUNT_CLIENT_ID, rp.clientId].sort());
    expect((await browser.get(`${app.issuer}/account/apps?ui_locales=ja`)).html.querySelector('li[data-client]')!.text).toContain('ブランドショップ');

    const before = receiver.received.length;
    const after = await browser.submit(page, {}, `li[data-client="${rp.clientId}"] form`);
    expect(after.url).toBe(`${app.issuer}/account/apps?revoked=1`);
    expect(after.html.querySelector('[data-empty]')?.text).toBe('No connected apps.');
    expect((await client.tokenIntrospection(rp.config, tokens.refresh_token!)).active).toBe(false);
    await expect(client.refreshTokenGrant(rp.config, tokens.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });

    expect(receiver.received.length).toBe(before + 1);
    const logoutToken = jose.decodeJwt(receiver.received.at(-1)!);
    expect(logoutToken).toMatchObject({ iss: app.issuer, aud: rp.clientId, sub: user.id, sid: tokens.claims()!.sid, events: { 'http://schemas.openid.net/event/backchannel-logout': {} } });
    // The account pages stay signed in: only the app was signed out.
    expect((await browser.get(`${app.issuer}/account`)).url).toBe(`${app.issuer}/account`);
    expect(await auditCount('grant.revoked_by_user', user.id)).toBe(1);
  });

  test('a partner SAML SP the account signed in to is listed as a SAML site, and its internal OIDC client is not an app', async () => {
    const user = await newUser();
    const browser = await signedInBrowser(user);
    const sp = await createTestSp(app, `partner${serial}`);
    await app.container.saml.sps.add(sp.metadata, { firstParty: true });
    const form = readPostForm(await completeSignIn(browser, await browser.get(await sp.saml.getAuthorizeUrlAsync('', undefined, {}))));
    expect((await sp.saml.validatePostResponseAsync({ SAMLResponse: form.fields.SAMLResponse! })).profile).not.toBeNull();

    const page = await browser.get(`${app.issuer}/account/apps`);
    expect(page.html.querySelectorAll('li[data-sp]').map((li) => li.getAttribute('data-sp'))).toEqual([sp.entityId]);
    expect(page.html.querySelector('[data-empty]')?.text).toBe('No connected apps.');
    // The SP's sign-in went through its own OIDC client of our engine, which holds a grant: internal, not listed.
    expect((await app.container.accountSessions.listGrants(user.id)).length).toBeGreaterThan(1);
  });

  test('operators reach the same calls from the CLI: `idp sessions list` names the browser, `idp sessions end` signs it out', async () => {
    const user = await newUser();
    const phone = await signedInBrowser(user, FIREFOX);
    const env = cliEnvFor(app, TEST_SECRETS);
    const listed = await runIdp(['sessions', 'list', user.email], env);
    expect({ status: listed.status, stderr: listed.stderr }).toEqual({ status: 0, stderr: '' });
    const sessions = JSON.parse(listed.stdout) as Array<{ uid: string; label?: string }>;
    expect(sessions).toEqual([expect.objectContaining({ label: expect.stringContaining('Firefox 128') })]);
    const ended = await runIdp(['sessions', 'end', user.email, sessions[0]!.uid], env);
    expect(JSON.parse(ended.stdout)).toEqual({ ended: true });
    expect(isSignInPage(await phone.get(`${app.issuer}/account`))).toBe(true);
    expect(await auditCount('session.ended_by_admin', user.id)).toBe(1);
  });

  test('the admin API lists the same sessions and apps, and disconnects an app with the back-channel logout', async () => {
    const user = await newUser();
    const browser = await signedInBrowser(user, FIREFOX);
    browser.stopAt = [RP_REDIRECT];
    const request = await authorizationRequest(rp, { scope: 'openid offline_access', prompt: 'consent' });
    const tokens = await exchangeCode(rp, request, await browser.submit(await browser.get(request.url.toString()), { decision: 'allow' }));
    const api = await OpenApiClient.load(app, '/admin/api/openapi.json', await (await managementClient(app, 'idp:admin')).token());

    const sessions = await api.call('listUserSessionDevices', { params: { id: user.id } });
    expect(sessions.status).toBe(200);
    expect(sessions.body.items).toEqual([expect.objectContaining({ browser: expect.stringContaining('Firefox 128'), network: '127.0.0.0/24', sites: 1 })]);
    const apps = await api.call('listUserApps', { params: { id: user.id } });
    expect(apps.body.items).toEqual([expect.objectContaining({ client_id: rp.clientId, name: 'ブランドショップ', offline: true })]);

    const before = receiver.received.length;
    const gone = await api.call('disconnectUserApp', { params: { id: user.id, itemId: apps.body.items[0].grant_id } });
    expect(gone.status).toBe(204);
    expect(receiver.received.length).toBe(before + 1);
    expect((await client.tokenIntrospection(rp.config, tokens.refresh_token!)).active).toBe(false);
    expect((await api.call('disconnectUserApp', { params: { id: user.id, itemId: apps.body.items[0].grant_id } })).status).toBe(404);
    expect(await auditCount('grant.revoked_by_admin', user.id)).toBe(1);
  });

  test('a change without the CSRF token is refused and changes nothing', async () => {
    const user = await newUser();
    const other = await signedInBrowser(user);
    const browser = await signedInBrowser(user);
    const password = await browser.post(`${app.issuer}/account/password`, { current_password: user.password, new_password: 'an entirely new passphrase' });
    expect(password.status).toBe(403);
    const endAll = await browser.post(`${app.issuer}/account/sessions/end-others`, {});
    expect(endAll.status).toBe(403);
    const email = await browser.post(`${app.issuer}/account/email`, { email: 'csrf-target@example.com' });
    expect(email.status).toBe(403);
    expect((await other.get(`${app.issuer}/account`)).url).toBe(`${app.issuer}/account`);
    await signedInBrowser(user);
  });

  test('every account page has the shared navigation and its own title, in Japanese with ui_locales=ja', async () => {
    const user = await newUser();
    const browser = await signedInBrowser(user);
    const expected: Record<string, string> = {
      '/account/sessions': 'ログイン中の端末', '/account/apps': '連携アプリ', '/account/password': 'パスワードの変更',
      '/account/email': 'メールアドレスの変更', '/account/security': 'ログインのセキュリティ', '/account/data': 'あなたのデータ', '/account': 'アカウント',
    };
    for (const [path, title] of Object.entries(expected)) {
      const page = await browser.get(`${app.issuer}${path}?ui_locales=ja`);
      expect({ path, status: page.status }).toEqual({ path, status: 200 });
      expect(documentTitle(page).split(' · ')[0]).toBe(title);
      expect(page.html.querySelector('nav.account-nav a[aria-current=page]')?.getAttribute('href')).toBe(path);
    }
    for (const path of ['/account/profile', '/account/consents']) {
      const page = await browser.get(`${app.issuer}${path}`);
      expect(page.html.querySelector('nav.account-nav a[aria-current=page]')?.getAttribute('href')).toBe(path);
    }
    const en = await browser.get(`${app.issuer}/account/sessions?ui_locales=en`);
    expect(documentTitle(en).split(' · ')[0]).toBe('Sessions');
  });
});
