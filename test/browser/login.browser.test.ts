import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { type Browser as Chromium, type BrowserContext, type Page } from 'playwright-core';
import { launchChromium } from '../helpers/chromium.ts';
import { parse } from 'node-html-parser';
import { authorizationRequest, client, exchangeCode, registerRp, RP_REDIRECT, type Rp } from '../helpers/rp.ts';
import { startTestApp, type TestApp } from '../helpers/test-app.ts';

// A real browser (headless Chromium through playwright-core) on the hosted login page: the page works under our
// strict CSP (no violation reported), every input has a visible label, and the redirect reaches the RP with a code
// that the RP can exchange.


interface Watched {
  page: Page;
  /** CSP violations, from the console ("Refused to ...") and from securitypolicyviolation events. */
  violations: string[];
  /** Uncaught page errors. */
  errors: string[];
  /** URLs of requests that reached the RP's redirect URI (answered by the test, the port is not listening). */
  callbacks: string[];
}

async function watchedPage(context: BrowserContext): Promise<Watched> {
  const page = await context.newPage();
  const watched: Watched = { page, violations: [], errors: [], callbacks: [] };
  // Injected by the browser itself (not subject to the page's CSP); reports violations to the console.
  await page.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (event) => {
      console.error(`CSP violation: ${event.violatedDirective} blocked ${event.blockedURI}`);
    });
  });
  page.on('console', (message) => {
    const text = message.text();
    if (text.includes('Refused to') || text.startsWith('CSP violation')) watched.violations.push(text);
  });
  page.on('pageerror', (error) => watched.errors.push(error.message));
  await page.route(`${RP_REDIRECT}**`, async (route) => {
    watched.callbacks.push(route.request().url());
    await route.fulfill({ status: 200, contentType: 'text/html', body: '<!DOCTYPE html><title>RP</title><p>back at the RP</p>' });
  });
  return watched;
}

/** Every visible input has exactly one label[for=its id] that is visible and has text. */
async function unlabelledInputs(page: Page): Promise<string[]> {
  return page.$$eval('input:not([type=hidden])', (inputs) => inputs.flatMap((input) => {
    const name = input.getAttribute('name') ?? '?';
    const labels = input.id ? [...document.querySelectorAll(`label[for="${CSS.escape(input.id)}"]`)] as HTMLElement[] : [];
    if (labels.length !== 1) return [`${name}: ${labels.length} labels for id "${input.id}"`];
    const label = labels[0]!;
    const box = label.getBoundingClientRect();
    const style = getComputedStyle(label);
    const visible = box.width > 0 && box.height > 0 && style.visibility !== 'hidden' && style.display !== 'none' && Number(style.opacity) > 0;
    if (!visible || !label.innerText.trim()) return [`${name}: label not visible or empty`];
    return [];
  }));
}

describe('login page in a real browser', () => {
  let app: TestApp;
  let rp: Rp;
  let chrome: Chromium;
  const user = { email: 'browser.user@example.com', password: 'a passphrase typed by hand' };

  beforeAll(async () => {
    [app, chrome] = await Promise.all([
      startTestApp({ label: 'browser' }),
      launchChromium(),
    ]);
    await app.container.accounts.createByAdmin({ ...user, name: 'Browser User', verified: true });
    rp = await registerRp(app);
  });
  afterAll(async () => {
    await chrome?.close();
    await app?.stop();
  });

  test('sign in by typing and clicking: no CSP violation, labelled inputs, a code the RP can exchange', async () => {
    const context = await chrome.newContext({ locale: 'en-US', viewport: { width: 800, height: 800 } });
    try {
      const watched = await watchedPage(context);
      const { page } = watched;
      const request = await authorizationRequest(rp);
      const response = await page.goto(request.url.toString(), { waitUntil: 'load' });
      expect(response?.status()).toBe(200);
      expect(page.url()).toMatch(new RegExp(`^${app.issuer}/interaction/[^/]+$`));
      expect(await page.title()).toBe('Sign in · Group ID');
      expect(await page.locator('h1').innerText()).toBe('Sign in');
      expect(await page.locator('html').getAttribute('lang')).toBe('en');

      // The stylesheet loaded under the CSP (style-src 'self'): the card is styled.
      expect(await page.locator('main.card').evaluate((el) => getComputedStyle(el).borderTopLeftRadius)).toBe('12px');
      expect(await unlabelledInputs(page)).toEqual([]);
      expect(await page.getByLabel('Email address').getAttribute('name')).toBe('email');
      expect(await page.getByLabel('Password', { exact: true }).getAttribute('name')).toBe('password');
      await expect(page.locator('button[type=submit]').count()).resolves.toBe(1);
      await page.screenshot({ path: '/tmp/login.png', fullPage: true });

      await page.locator('input[name=email]').fill(user.email);
      await page.locator('input[name=password]').fill(user.password);
      const reachedRp = page.waitForRequest((r) => r.url().startsWith(RP_REDIRECT), { timeout: 15_000 }).catch((error: Error) => {
        throw new Error(`${error.message}\nstill at ${page.url()}; CSP violations: ${JSON.stringify(watched.violations)}`);
      });
      await page.locator('button[type=submit]').click();
      const callbackUrl = (await reachedRp).url();
      await page.waitForURL(`${RP_REDIRECT}**`, { timeout: 15_000 });
      expect(watched.callbacks).toEqual([callbackUrl]);
      expect(new URL(callbackUrl).searchParams.get('code')).toBeTruthy();

      const tokens = await exchangeCode(rp, request, { status: 303, url: callbackUrl, headers: new Headers(), body: '', html: parse('') });
      const userinfo = await client.fetchUserInfo(rp.config, tokens.access_token, tokens.claims()!.sub);
      expect(userinfo).toMatchObject({ email: user.email, email_verified: true, name: 'Browser User' });

      expect(watched.violations).toEqual([]);
      expect(watched.errors).toEqual([]);
    } finally {
      await context.close();
    }
  });

  test('a wrong password shows the error next to the form, announced and linked to the email field', async () => {
    const context = await chrome.newContext({ locale: 'en-US' });
    try {
      const watched = await watchedPage(context);
      const { page } = watched;
      await page.goto((await authorizationRequest(rp)).url.toString());
      await page.locator('input[name=email]').fill(user.email);
      await page.locator('input[name=password]').fill('not my passphrase');
      await Promise.all([page.waitForLoadState('load'), page.locator('button[type=submit]').click()]);
      const alert = page.getByRole('alert');
      await alert.waitFor({ timeout: 10_000 });
      expect(await alert.innerText()).toBe('The email address or password is incorrect.');
      expect(await page.locator('input[name=email]').inputValue()).toBe(user.email);
      expect(await page.locator('input[name=email]').getAttribute('aria-describedby')).toBe(await alert.getAttribute('id'));
      expect(await unlabelledInputs(page)).toEqual([]);
      expect(watched.callbacks).toEqual([]);
      expect(watched.violations).toEqual([]);
    } finally {
      await context.close();
    }
  });

  test('ui_locales=ja gives the Japanese page even to an English browser', async () => {
    const context = await chrome.newContext({ locale: 'en-US' });
    try {
      const watched = await watchedPage(context);
      const { page } = watched;
      await page.goto((await authorizationRequest(rp, { ui_locales: 'ja' })).url.toString());
      expect(await page.title()).toBe('ログイン · グループID');
      expect(await page.locator('h1').innerText()).toBe('ログイン');
      expect(await page.locator('html').getAttribute('lang')).toBe('ja');
      expect(await page.getByLabel('メールアドレス').getAttribute('name')).toBe('email');
      expect(await page.locator('button[type=submit]').innerText()).toBe('ログイン');
      expect(await unlabelledInputs(page)).toEqual([]);
      await page.screenshot({ path: '/tmp/login-ja.png', fullPage: true });
      expect(watched.violations).toEqual([]);
    } finally {
      await context.close();
    }
  });
});
