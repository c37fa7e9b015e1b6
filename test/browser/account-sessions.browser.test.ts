import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { type Browser as Chromium, type Page } from 'playwright-core';
import { launchChromium } from '../helpers/chromium.ts';
import { startTestApp, type TestApp } from '../helpers/test-app.ts';

// /account/sessions with real browsers: the User-Agent headless Chromium actually sends is named on the page, the
// page passes the strict CSP, and the "End this session" button signs the other browser (its own context, its own
// cookie jar) out for real.


describe('account sessions in a real browser', () => {
  let app: TestApp;
  let chrome: Chromium;
  const user = { email: 'sessions.browser@example.com', password: 'a passphrase typed by hand' };

  beforeAll(async () => {
    [app, chrome] = await Promise.all([
      startTestApp({ label: 'sessions-browser' }),
      launchChromium(),
    ]);
    await app.container.accounts.createByAdmin({ ...user, verified: true });
  });
  afterAll(async () => {
    await chrome?.close();
    await app?.stop();
  });

  async function signIn(page: Page, path = '/account') {
    await page.goto(`${app.issuer}${path}`);
    await page.locator('input[name=email]').fill(user.email);
    await page.locator('input[name=password]').fill(user.password);
    await Promise.all([page.waitForURL(`${app.issuer}${path}`, { timeout: 15_000 }), page.locator('button[type=submit]').click()]);
  }

  test('the other browser is listed by name, and ending it signs it out', async () => {
    const [mine, theirs] = [await chrome.newContext({ locale: 'en-US' }), await chrome.newContext({ locale: 'en-US' })];
    const here = await mine.newPage();
    const violations: string[] = [];
    here.on('console', (message) => { if (/Refused to|Content Security Policy/.test(message.text())) violations.push(message.text()); });
    const there = await theirs.newPage();
    await signIn(here);
    await signIn(there);

    await here.goto(`${app.issuer}/account/sessions`);
    expect(await here.title()).toMatch(/^Sessions · /);
    await expect(here.locator('[data-current]').textContent()).resolves.toMatch(/Chrom(e|ium)/);
    const other = here.locator('li[data-session]:not([data-current])');
    expect(await other.count()).toBe(1);
    await expect(other.textContent()).resolves.toMatch(/Chrom(e|ium) \d+/);

    await Promise.all([here.waitForURL(/\/account\/sessions\?ended=1$/), other.locator('button[type=submit]').click()]);
    await expect(here.locator('[data-empty]').textContent()).resolves.toContain('No other sessions');

    await there.goto(`${app.issuer}/account`);
    await there.locator('input[name=password]').waitFor({ state: 'visible', timeout: 15_000 });
    expect(there.url()).toMatch(/\/interaction\/[^/]+$/);
    expect(violations).toEqual([]);
    await Promise.all([mine.close(), theirs.close()]);
  });
});
