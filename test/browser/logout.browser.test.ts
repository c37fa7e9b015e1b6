import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { type Browser as Chromium, type BrowserContext, type Page } from 'playwright-core';
import { launchChromium } from '../helpers/chromium.ts';
import { parse } from 'node-html-parser';
import { authorizationRequest, client, exchangeCode, RP_REDIRECT, type Rp } from '../helpers/rp.ts';
import { startWithUserAndRp } from '../helpers/scenario.ts';
import type { TestApp } from '../helpers/test-app.ts';

// RP-initiated logout (OpenID Connect RP-Initiated Logout 1.0) in a real browser, where CSP form-action applies
// to the redirect after the logout form: the browser must arrive at the registered post_logout_redirect_uri with
// the RP's state. With an id_token_hint of the current session nobody clicks anything.

const LOGGED_OUT = 'http://127.0.0.1:9/logged-out';

describe('RP-initiated logout in a real browser', () => {
  let app: TestApp;
  let rp: Rp;
  let chrome: Chromium;
  const user = { email: 'logout.browser@example.com', password: 'a passphrase typed by hand' };

  beforeAll(async () => {
    [{ app, rp }, chrome] = await Promise.all([
      startWithUserAndRp({ label: 'logout-browser', user }),
      launchChromium(),
    ]);
  });
  afterAll(async () => {
    await chrome?.close();
    await app?.stop();
  });

  /** A page whose requests to the RP are answered by the test; CSP violations are collected. */
  async function rpPage(context: BrowserContext): Promise<{ page: Page; violations: string[] }> {
    const page = await context.newPage();
    const violations: string[] = [];
    await page.addInitScript(() => {
      document.addEventListener('securitypolicyviolation', (event) => console.error(`CSP violation: ${event.violatedDirective} blocked ${event.blockedURI}`));
    });
    page.on('console', (message) => { if (/Refused to|CSP violation/.test(message.text())) violations.push(message.text()); });
    await page.route('http://127.0.0.1:9/**', (route) => route.fulfill({ status: 200, contentType: 'text/html', body: '<!DOCTYPE html><title>RP</title>' }));
    return { page, violations };
  }

  async function signInWithChromium(page: Page) {
    const request = await authorizationRequest(rp);
    await page.goto(request.url.toString());
    await page.locator('input[name=email]').fill(user.email);
    await page.locator('input[name=password]').fill(user.password);
    const reached = page.waitForRequest((r) => r.url().startsWith(RP_REDIRECT), { timeout: 15_000 });
    await page.locator('button[type=submit]').click();
    const url = (await reached).url();
    return exchangeCode(rp, request, { status: 303, url, headers: new Headers(), body: '', html: parse('') });
  }

  async function stillSignedIn(page: Page): Promise<boolean> {
    const request = await authorizationRequest(rp);
    const reached = page.waitForRequest((r) => r.url().startsWith(RP_REDIRECT), { timeout: 5_000 }).then(() => true, () => false);
    await page.goto(request.url.toString());
    return reached;
  }

  test('with an id_token_hint of this session: no click, the RP gets its state back, the session is gone', async () => {
    const context = await chrome.newContext({ locale: 'en-US' });
    try {
      const tokens = await signInWithChromium((await rpPage(context)).page);
      // A tab of its own for the logout (same cookies): the sign-in tab's late error page for port 9 cannot interrupt it.
      const { page, violations } = await rpPage(context);
      const endSession = client.buildEndSessionUrl(rp.config, { id_token_hint: tokens.id_token!, post_logout_redirect_uri: LOGGED_OUT, state: 'bye' });
      const back = page.waitForRequest((r) => r.url().startsWith(LOGGED_OUT), { timeout: 15_000 }).catch((error: Error) => {
        throw new Error(`${error.message}\nstill at ${page.url()}; CSP: ${JSON.stringify(violations)}`);
      });
      await page.goto(endSession.toString(), { waitUntil: 'commit' });
      expect((await back).url()).toBe(`${LOGGED_OUT}?state=bye`);
      expect(violations).toEqual([]);
      // A new tab of the same browser (same cookies): the sign-in session is gone, the login page shows.
      const { page: next } = await rpPage(context);
      expect(await stillSignedIn(next)).toBe(false);
      expect(await next.locator('input[name=password]').count()).toBe(1);
    } finally {
      await context.close();
    }
  });

  test('without a hint: the confirmation is asked, and "Sign out" reaches the registered URI with state', async () => {
    const context = await chrome.newContext({ locale: 'en-US' });
    try {
      await signInWithChromium((await rpPage(context)).page);
      const { page, violations } = await rpPage(context);
      await page.goto(`${app.issuer}/session/end?client_id=${rp.clientId}&state=s2&post_logout_redirect_uri=${encodeURIComponent(LOGGED_OUT)}`);
      const button = page.locator('button[name=logout][value=yes]');
      expect(await button.count()).toBe(1);
      const back = page.waitForRequest((r) => r.url().startsWith(LOGGED_OUT), { timeout: 15_000 }).catch((error: Error) => {
        throw new Error(`${error.message}\nstill at ${page.url()}; CSP: ${JSON.stringify(violations)}`);
      });
      await button.click();
      expect((await back).url()).toBe(`${LOGGED_OUT}?state=s2`);
      expect(violations).toEqual([]);
    } finally {
      await context.close();
    }
  });
});
