import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { type Browser as Chromium } from 'playwright-core';
import { launchChromium } from '../helpers/chromium.ts';
import { parse } from 'node-html-parser';
import { authorizationRequest, exchangeCode, RP_REDIRECT, registerRp, type Rp } from '../helpers/rp.ts';
import { startTestApp, type TestApp } from '../helpers/test-app.ts';
import { enrolTotp, totpAt } from '../helpers/mfa.ts';

// Step-up in real headless Chromium: password sign-in, then the client asks acr_values=urn:idp:acr:mfa on the same
// session and only the TOTP page appears (labelled code input, no CSP violation); the ID token says mfa.

describe('step-up MFA in a real browser', () => {
  let app: TestApp;
  let rp: Rp;
  let chrome: Chromium;
  let secret: string;
  const user = { email: 'stepup.browser@example.com', password: 'a passphrase typed by hand' };

  beforeAll(async () => {
    [app, chrome] = await Promise.all([
      startTestApp({ label: 'mfabrowser', overrides: { mfa: { risk: { threshold: 1000 } } } }),
      launchChromium(),
    ]);
    const account = await app.container.accounts.createByAdmin({ ...user, name: 'Step Up', verified: true });
    secret = await enrolTotp(app, account!._id);
    rp = await registerRp(app, { mfa_policy: 'off' });
  });
  afterAll(async () => {
    await chrome?.close();
    await app?.stop();
  });

  test('password first, then acr_values=mfa asks only for the TOTP code', async () => {
    const context = await chrome.newContext({ locale: 'en-US' });
    try {
      const violations: string[] = [];
      const newPage = async () => {
        const opened = await context.newPage();
        opened.on('console', (m) => { if (m.text().includes('Refused to')) violations.push(m.text()); });
        return opened;
      };
      let page = await newPage();

      await page.goto((await authorizationRequest(rp)).url.toString());
      await page.locator('input[name=email]').fill(user.email);
      await page.locator('input[name=password]').fill(user.password);
      await Promise.all([page.waitForRequest((r) => r.url().startsWith(RP_REDIRECT), { timeout: 15_000 }), page.locator('button[type=submit]').click()]);

      // A new tab of the same browser (same cookies, same session) for the client's step-up request.
      page = await newPage();
      const request = await authorizationRequest(rp, { acr_values: 'urn:idp:acr:mfa' });
      await page.goto(request.url.toString());
      expect(await page.locator('h1').innerText()).toBe('Two-step verification');
      expect(await page.locator('input[name=password]').count()).toBe(0);
      expect(await page.getByLabel('6-digit code').getAttribute('name')).toBe('code');
      await page.getByLabel('6-digit code').fill(await totpAt(secret));
      const [callback] = await Promise.all([
        page.waitForRequest((r) => r.url().startsWith(RP_REDIRECT), { timeout: 15_000 }),
        page.locator('form:has(input[name=code]) button[type=submit]').click(),
      ]);

      const tokens = await exchangeCode(rp, request, { status: 303, url: callback.url(), headers: new Headers(), body: '', html: parse('') });
      expect(tokens.claims()).toMatchObject({ acr: 'urn:idp:acr:mfa', amr: ['pwd', 'otp', 'mfa'] });
      expect(violations).toEqual([]);
    } finally {
      await context.close();
    }
  });
});
