import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { type Browser as Chromium, type BrowserContext, type Page } from 'playwright-core';
import { launchChromium } from '../helpers/chromium.ts';
import { authorizationRequest, registerRp, RP_REDIRECT, type Rp } from '../helpers/rp.ts';
import { ROOT } from '../helpers/cli.ts';
import { startTestApp, type TestApp } from '../helpers/test-app.ts';

// A branded site's pages in a real browser: the colours of /branding/<client_id>.css reach the buttons and the page
// (computed styles, with the strict CSP in force and no violation), the logo shows, and a logo that does not load
// leaves the site's name readable instead of an empty gap. Screenshots go to docs/branding/.

const SHOTS = path.join(ROOT, 'docs', 'branding');
const LOGO = 'https://logo.example/sakura.svg';
const BROKEN_LOGO = 'https://logo.example/missing.png';
const LOGO_SVG = '<svg xmlns="http://www.w3.org/2000/svg" width="160" height="48" viewBox="0 0 160 48">'
  + '<rect width="160" height="48" rx="10" fill="#c2410c"/><circle cx="24" cy="24" r="12" fill="#fed7aa"/>'
  + '<text x="44" y="31" font-family="sans-serif" font-size="18" font-weight="700" fill="#fff">SAKURA</text></svg>';

describe('branding in a real browser', () => {
  let app: TestApp;
  let chrome: Chromium;
  let branded: Rp;
  let brokenLogo: Rp;
  const user = { email: 'branding.browser@example.com', password: 'a passphrase typed by hand' };

  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    [app, chrome] = await Promise.all([
      startTestApp({ label: 'branding-browser' }),
      launchChromium(),
    ]);
    await app.container.accounts.createByAdmin({ ...user, verified: true });
    const colours = { branding_primary_color: '#c2410c', branding_background_color: '#fff7ed', branding_text_color: '#1c1917' };
    branded = await registerRp(app, {
      ...colours, first_party: false, client_name: 'Sakura Books', 'client_name#ja': 'さくら書店', logo_uri: LOGO,
      policy_uri: 'https://books.example/privacy', tos_uri: 'https://books.example/terms', support_uri: 'https://books.example/help',
    });
    brokenLogo = await registerRp(app, { ...colours, client_name: 'Broken Logo Books', 'client_name#ja': '壊れたロゴ書店', logo_uri: BROKEN_LOGO });
  });
  afterAll(async () => {
    await chrome?.close();
    await app?.stop();
  });

  /** A page whose logo requests are answered here (the IdP never fetches logos) and whose CSP violations are kept. */
  async function open(context: BrowserContext): Promise<{ page: Page; violations: string[] }> {
    const page = await context.newPage();
    const violations: string[] = [];
    await page.addInitScript(() => {
      document.addEventListener('securitypolicyviolation', (event) => console.error(`CSP violation: ${event.violatedDirective} blocked ${event.blockedURI}`));
    });
    page.on('console', (message) => { if (/Refused to|CSP violation/.test(message.text())) violations.push(message.text()); });
    await page.route(LOGO, (route) => route.fulfill({ status: 200, contentType: 'image/svg+xml', body: LOGO_SVG }));
    await page.route(BROKEN_LOGO, (route) => route.fulfill({ status: 404, contentType: 'text/plain', body: 'not found' }));
    await page.route('http://127.0.0.1:9/**', (route) => route.fulfill({ status: 200, contentType: 'text/html', body: '<!DOCTYPE html><title>RP</title>' }));
    return { page, violations };
  }

  const colour = (page: Page, selector: string, property: 'background-color' | 'color') =>
    page.locator(selector).first().evaluate((element, name) => getComputedStyle(element).getPropertyValue(name), property);
  const logoLoaded = (page: Page) => page.locator('img.client-logo').evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth > 0);

  test('sign-in, consent and logout pages carry the colours and logo of the site, in Japanese', async () => {
    const context = await chrome.newContext({ locale: 'ja-JP', viewport: { width: 520, height: 860 } });
    try {
      const { page, violations } = await open(context);
      await page.goto((await authorizationRequest(branded, { ui_locales: 'ja' })).url.toString());
      await page.locator('img.client-logo').evaluate((img: HTMLImageElement) => img.decode());
      expect(await colour(page, 'button[type=submit]', 'background-color')).toBe('rgb(194, 65, 12)');
      expect(await colour(page, 'button[type=submit]', 'color')).toBe('rgb(255, 255, 255)');
      expect(await colour(page, 'body', 'background-color')).toBe('rgb(255, 247, 237)');
      expect(await colour(page, 'main', 'color')).toBe('rgb(28, 25, 23)');
      expect(await logoLoaded(page)).toBe(true);
      await expect(page.locator('header.client').innerText()).resolves.toContain('さくら書店');
      await page.screenshot({ path: path.join(SHOTS, 'login-ja.png'), fullPage: true });

      await page.locator('input[name=email]').fill(user.email);
      await page.locator('input[name=password]').fill(user.password);
      await page.locator('button[type=submit]').click();
      const allow = page.locator('button[name=decision][value=allow]');
      await allow.waitFor({ timeout: 15_000 });
      await page.locator('img.client-logo').evaluate((img: HTMLImageElement) => img.decode());
      expect(await colour(page, 'button[name=decision][value=allow]', 'background-color')).toBe('rgb(194, 65, 12)');
      // The secondary button is outlined in the site's colour.
      expect(await colour(page, 'button[name=decision][value=deny]', 'color')).toBe('rgb(194, 65, 12)');
      expect(await logoLoaded(page)).toBe(true);
      await expect(page.locator('h1').innerText()).resolves.toContain('さくら書店');
      await page.screenshot({ path: path.join(SHOTS, 'consent-ja.png'), fullPage: true });
      await allow.click();
      await page.waitForURL((url) => url.toString().startsWith(RP_REDIRECT), { timeout: 15_000 });

      await page.goto(`${app.issuer}/session/end?client_id=${branded.clientId}&ui_locales=ja`);
      const signOut = page.locator('button[name=logout][value=yes]');
      await signOut.waitFor({ timeout: 15_000 });
      await page.locator('img.client-logo').evaluate((img: HTMLImageElement) => img.decode());
      expect(await colour(page, 'button[name=logout][value=yes]', 'background-color')).toBe('rgb(194, 65, 12)');
      expect(await logoLoaded(page)).toBe(true);
      await expect(page.locator('main').innerText()).resolves.toContain('さくら書店');
      await page.screenshot({ path: path.join(SHOTS, 'logout-ja.png'), fullPage: true });
      expect(violations).toEqual([]);
    } finally {
      await context.close();
    }
  });

  test('the sign-in page in English, and without branding the default colours', async () => {
    const context = await chrome.newContext({ locale: 'en-US', viewport: { width: 520, height: 860 }, colorScheme: 'light' });
    try {
      const { page, violations } = await open(context);
      await page.goto((await authorizationRequest(branded)).url.toString());
      await page.locator('img.client-logo').evaluate((img: HTMLImageElement) => img.decode());
      expect(await colour(page, 'button[type=submit]', 'background-color')).toBe('rgb(194, 65, 12)');
      await expect(page.locator('header.client').innerText()).resolves.toContain('Sakura Books');
      await page.screenshot({ path: path.join(SHOTS, 'login-en.png'), fullPage: true });

      const plain = await registerRp(app, { client_name: 'Plain Site' });
      await page.goto((await authorizationRequest(plain)).url.toString());
      // public/app.css's own accent (#1d4ed8) when the site sets none.
      expect(await colour(page, 'button[type=submit]', 'background-color')).toBe('rgb(29, 78, 216)');
      expect(violations).toEqual([]);
    } finally {
      await context.close();
    }
  });

  test('a logo that does not load leaves the site name visible, not an empty gap', async () => {
    const context = await chrome.newContext({ locale: 'ja-JP', viewport: { width: 520, height: 860 } });
    try {
      const { page, violations } = await open(context);
      const failed = page.waitForResponse((response) => response.url() === BROKEN_LOGO, { timeout: 15_000 });
      await page.goto((await authorizationRequest(brokenLogo, { ui_locales: 'ja' })).url.toString());
      expect((await failed).status()).toBe(404);
      await page.waitForFunction(() => (document.querySelector('img.client-logo') as HTMLImageElement | null)?.complete === true);
      expect(await logoLoaded(page)).toBe(false);
      const name = page.locator('header.client .client-name');
      await expect(name.isVisible()).resolves.toBe(true);
      await expect(name.innerText()).resolves.toContain('壊れたロゴ書店');
      // The broken image takes no room: no empty box above the name.
      const box = await page.locator('img.client-logo').boundingBox();
      expect(box === null || box.height <= 1).toBe(true);
      await page.screenshot({ path: path.join(SHOTS, 'login-broken-logo-ja.png'), fullPage: true });
      expect(violations.filter((v) => !v.includes('404'))).toEqual([]);
    } finally {
      await context.close();
    }
  });
});
