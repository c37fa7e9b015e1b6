import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { type Browser as Chromium } from 'playwright-core';
import { launchChromium } from '../helpers/chromium.ts';
import { client, registerDeviceClient } from '../helpers/device.ts';
import type { Rp } from '../helpers/rp.ts';
import { startTestApp, type TestApp } from '../helpers/test-app.ts';

// The device authorization grant (RFC 8628) end to end: the device (openid-client) asks for a code and polls; a
// person opens the verification URI in a real browser (headless Chromium), types the code, confirms, signs in
// through our normal interaction stages (login, consent), and the polling device gets tokens for that person.


describe('device flow in a real browser', () => {
  let app: TestApp;
  let rp: Rp;
  let chrome: Chromium;
  const user = { email: 'device.user@example.com', password: 'a passphrase typed on the sofa' };

  beforeAll(async () => {
    [app, chrome] = await Promise.all([
      startTestApp({ label: 'device-browser', overrides: { deviceFlow: { pollIntervalSeconds: 1 } } }),
      launchChromium(),
    ]);
    await app.container.accounts.createByAdmin({ ...user, name: 'Device User', verified: true });
    rp = await registerDeviceClient(app);
  });
  afterAll(async () => {
    await chrome?.close();
    await app?.stop();
  });

  test('type the code, confirm, sign in, allow: the polling device gets tokens for the person', async () => {
    const started = await client.initiateDeviceAuthorization(rp.config, { scope: 'openid email profile' });
    const controller = new AbortController();
    const polling = client.pollDeviceAuthorizationGrant(rp.config, started, undefined, { signal: controller.signal });
    polling.catch(() => undefined);
    const timer = setTimeout(() => controller.abort(), 45_000);
    const context = await chrome.newContext({ locale: 'en-US' });
    try {
      const page = await context.newPage();
      const violations: string[] = [];
      page.on('console', (message) => { if (message.text().includes('Refused to')) violations.push(message.text()); });

      await page.goto(started.verification_uri, { waitUntil: 'load' });
      expect(await page.locator('h1').innerText()).toBe('Connect a device');
      expect(await page.title()).toBe('Connect a device · Group ID');
      await page.getByLabel('Code from your device').fill(started.user_code.toLowerCase());
      await page.locator('button[type=submit]').click();

      await page.waitForSelector('[data-user-code]');
      expect(await page.locator('h1').innerText()).toBe('Confirm the device');
      expect(await page.locator('[data-user-code]').innerText()).toBe(started.user_code);
      expect(await page.locator('main').innerText()).toContain('Living Room TV');
      expect(await page.locator('ul.scopes').innerText()).toContain('See your email address');
      await page.locator('button[name=confirm][value=yes]').click();

      // Our normal sign-in stage, then the consent stage of a third-party client.
      await page.waitForURL(new RegExp(`^${app.issuer}/interaction/[^/]+$`));
      await page.locator('input[name=email]').fill(user.email);
      await page.locator('input[name=password]').fill(user.password);
      await page.locator('button[type=submit]').click();
      await page.locator('button[name=decision][value=allow]').click();

      await page.waitForURL(new RegExp(`^${app.issuer}/device/[^/]+$`));
      expect(await page.locator('h1').innerText()).toBe('Your device is connected');
      expect(await page.locator('main').innerText()).toContain('You are signed in to Living Room TV on your device.');

      const tokens = await polling;
      expect(tokens.claims()?.sub).toBe((await app.container.accountRepository.findByEmail(user.email))?._id);
      const userinfo = await client.fetchUserInfo(rp.config, tokens.access_token, tokens.claims()!.sub);
      expect(userinfo).toMatchObject({ email: user.email, name: 'Device User' });
      expect(violations).toEqual([]);
    } finally {
      clearTimeout(timer);
      controller.abort();
      await context.close();
    }
  });
});
