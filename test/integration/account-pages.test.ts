import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { Browser } from '../helpers/browser.ts';
import { authorizationRequest, registerRp, signIn } from '../helpers/rp.ts';
import { startTestApp, type TestApp } from '../helpers/test-app.ts';

describe('account pages', () => {
  let app: TestApp;
  const user = { email: 'owner@example.jp', password: 'a long enough password' };
  beforeAll(async () => {
    app = await startTestApp({ label: 'account' });
    await app.container.accounts.createByAdmin({ ...user, name: 'Owner Name', verified: true });
  });
  afterAll(async () => app?.stop());

  test('a stranger is sent through the normal sign-in, then lands on /account', async () => {
    const browser = new Browser();
    const login = await browser.get(`${app.issuer}/account`);
    expect(login.url).toMatch(/\/interaction\/[^/]+$/);
    expect(login.html.querySelector('input[name=password]')).not.toBeNull();
    const page = await browser.submit(login, user);
    expect(page.url).toBe(`${app.issuer}/account`);
    expect(page.status).toBe(200);
    expect(page.body).toContain('owner@example.jp');
    expect(page.body).toContain('Owner Name');
  });

  test('an existing session (from any site) opens /account directly; a forged state is refused', async () => {
    const browser = new Browser();
    await signIn(browser, await registerRp(app), user);
    const page = await browser.get(`${app.issuer}/account`);
    expect(page.url).toBe(`${app.issuer}/account`);
    expect(page.body).toContain('owner@example.jp');
    const forged = await browser.get(`${app.issuer}/account/callback?code=x&state=forged`);
    expect(forged.status).toBe(400);
  });

  test('the return path must stay inside /account (no open redirect)', async () => {
    const browser = new Browser();
    browser.stopAt = ['https://evil.example'];
    const login = await browser.get(`${app.issuer}/account/login?return=https://evil.example/x`);
    const page = await browser.submit(login, user);
    expect(page.url).toBe(`${app.issuer}/account`);
  });

  // Forms a browser resolves to another host, or that climb out of /account once the path is normalised.
  test.each([
    '//evil.invalid/x', '/\\evil.invalid/x', '\\\\evil.invalid', 'https:evil.invalid', '/%2F%2Fevil.invalid', '/account/%2F%2Fevil.invalid',
    '/account//evil.invalid', '/account//evil', '/account/\\evil.invalid', '/account/../../evil', '/account/..%2F..%2Fevil', '/account/%2e%2e/evil',
    '/account/./security', '/account\t/x', ' /account', '/account?x=//evil.invalid', '/account#//evil.invalid',
  ])('the return path %j falls back to /account (no open redirect)', async (returnTo) => {
    const browser = new Browser();
    browser.stopAt = ['http://evil', 'https://evil', `${app.issuer}/evil`];
    const login = await browser.get(`${app.issuer}/account/login?return=${encodeURIComponent(returnTo)}`);
    const page = await browser.submit(login, user);
    expect(page.url).toBe(`${app.issuer}/account`);
  });
});

describe('language-tagged client names (RFC 7591 §2.2)', () => {
  let app: TestApp;
  beforeAll(async () => { app = await startTestApp({ label: 'clientnames' }); });
  afterAll(async () => app?.stop());

  test('the hosted pages show client_name#<lang> for their language, client_name otherwise', async () => {
    const rp = await registerRp(app, { client_name: 'Brand', 'client_name#ja': 'ブランド' });
    const url = (await authorizationRequest(rp, { ui_locales: 'ja' })).url.toString();
    const ja = await new Browser().get(url);
    expect(ja.body).toContain('ブランド に進みます');
    const en = await new Browser().get(url.replace('ui_locales=ja', 'ui_locales=en'));
    expect(en.body).toContain('to continue to Brand');
  });
});
