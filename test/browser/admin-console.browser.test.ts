import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { type Browser as Chromium, type Page } from 'playwright-core';
import { launchChromium } from '../helpers/chromium.ts';
import * as oidc from 'openid-client';
import { Browser } from '../helpers/browser.ts';
import { ROOT } from '../helpers/cli.ts';
import { enrolTotp, totpAt } from '../helpers/mfa.ts';
import { signInToConsole } from '../helpers/console.ts';
import { RP_REDIRECT, registerRp, signIn, type Rp } from '../helpers/rp.ts';
import { startTestApp, type TestApp } from '../helpers/test-app.ts';

// The admin console in headless Chromium: an administrator signs in with TOTP, finds a user, blocks them (their
// next sign-in is refused), creates an application and signs in with it from openid-client, and reads a failed
// sign-in in the audit log; an account without a role gets 403; an auditor reads but cannot write.
// CONSOLE_SCREENSHOTS=1 also writes docs/console/<page>-<locale>.png for the README.

const PASSWORD = 'a console passphrase 1';
const SHOTS = process.env.CONSOLE_SCREENSHOTS === '1' ? path.join(ROOT, 'docs', 'console') : undefined;

describe('admin console', () => {
  let app: TestApp;
  let chrome: Chromium;
  let rp: Rp;
  const secrets: Record<string, string> = {};
  const ids: Record<string, string> = {};
  const violations: string[] = [];

  beforeAll(async () => {
    [app, chrome] = await Promise.all([
      startTestApp({ label: 'console', overrides: { mfa: { risk: { threshold: 1000 } } } }),
      launchChromium(),
    ]);
    for (const [name, role] of [['admin', 'admin'], ['auditor', 'auditor'], ['nobody', undefined]] as const) {
      const account = await app.container.accounts.createByAdmin({ email: `${name}@console.example`, password: PASSWORD, name, verified: true });
      ids[name] = account._id;
      secrets[name] = await enrolTotp(app, account._id);
      if (role) await app.container.users.setRoles(account._id, [role], { type: 'system' });
    }
    ids.customer = (await app.container.accounts.createByAdmin({ email: 'customer@shop.example', password: PASSWORD, name: 'Customer', verified: true }))._id;
    await app.container.accounts.createByAdmin({ email: 'other@shop.example', password: PASSWORD, name: 'Other', verified: true });
    rp = await registerRp(app);
  });
  afterAll(async () => {
    await chrome?.close();
    await app?.stop();
  });

  const signedIn = (name: string, locale = 'en-US') => signInToConsole(chrome, {
    issuer: app.issuer, email: `${name}@console.example`, password: PASSWORD, totpSecret: secrets[name]!,
    step: locale === 'en-US' ? 0 : 1, locale, violations,
  });

  async function shot(page: Page, name: string, locale: string) {
    if (!SHOTS) return;
    mkdirSync(SHOTS, { recursive: true });
    await page.screenshot({ path: path.join(SHOTS, `${name}-${locale}.png`), fullPage: true });
  }

  /** Every console page, for the README (only with CONSOLE_SCREENSHOTS=1). */
  async function shootAll(page: Page, locale: string) {
    if (!SHOTS) return;
    const pages = { dashboard: '/admin', users: '/admin/users?q=*', user: `/admin/users/${ids.customer}`, clients: '/admin/clients', saml: '/admin/saml', connectors: '/admin/connectors', legal: '/admin/legal', audit: '/admin/audit' };
    for (const [name, url] of Object.entries(pages)) {
      await page.goto(`${app.issuer}${url}`);
      await shot(page, name, locale);
    }
  }

  test('an administrator signs in with TOTP, finds a user, blocks them, and their next sign-in is refused', async () => {
    // A failed sign-in for the audit log test below.
    await expect(signIn(new Browser(), rp, { email: 'customer@shop.example', password: 'not the password' })).rejects.toThrow();
    const { context, page } = await signedIn('admin');
    try {
      expect(await page.locator('h1').innerText()).toBe('Dashboard');
      expect(await page.locator('[data-chart]').count()).toBe(4);
      // The administrator's own sign-in counts (from the audit trail, written in batches).
      await app.container.auditTrail.flush();
      await page.reload();
      expect(Number(await page.locator('[data-stat=active-users]').innerText())).toBeGreaterThanOrEqual(1);
      expect(Number(await page.locator('[data-chart=signIns] h2 .muted').innerText().then((t) => /(\d+)\)/.exec(t)?.[1]))).toBeGreaterThanOrEqual(1);
      await page.goto(`${app.issuer}/admin/users`);
      await page.locator('input[name=q]').fill('customer@shop.example');
      await page.locator('form.search button[type=submit]').click();
      const row = page.locator(`[data-user-id="${ids.customer}"]`);
      expect(await row.count()).toBe(1);
      await row.locator('a').click();
      await page.locator('button[name=action][value=block]').click();
      expect(await page.locator('h1').innerText()).toBe('Please confirm');
      await page.locator('button[name=confirmed][value=yes]').click();
      expect(await page.locator('[data-status]').getAttribute('data-status')).toBe('blocked');
      expect(await page.locator('[role=status]').innerText()).toContain('blocked');
      expect((await app.container.users.get(ids.customer!)).status).toBe('blocked');
      await expect(signIn(new Browser(), rp, { email: 'customer@shop.example', password: PASSWORD })).rejects.toThrow();

      await app.container.auditTrail.flush();
      await page.goto(`${app.issuer}/admin/audit?type=login.failed`);
      expect(await page.locator(`tr[data-event-type="login.failed"]:has(a[href="/admin/users/${ids.customer}"])`).count()).toBeGreaterThan(0);
      await shootAll(page, 'en');
    } finally {
      await context.close();
    }
  });

  test('an administrator creates an application; an openid-client RP signs in with it at once', async () => {
    const { context, page } = await signedIn('admin', 'ja-JP');
    try {
      await page.goto(`${app.issuer}/admin/clients`);
      expect(await page.locator('h1').innerText()).toBe('アプリケーション(OIDCクライアント)');
      await page.locator('#client_name').fill('Console Shop');
      await page.locator('#redirect_uris').fill(RP_REDIRECT);
      await page.locator('input[name=first_party]').check();
      await page.locator('button[name=action][value=create]').click();
      const clientId = await page.locator('[data-client-id]').getAttribute('data-client-id');
      const secret = await page.locator('[data-client-secret]').innerText();
      expect(clientId).toMatch(/^[0-9a-f]{32}$/);
      await shot(page, 'client-created', 'ja');
      await page.goto(`${app.issuer}/admin/clients/${clientId}`);
      await shootAll(page, 'ja');

      const config = await oidc.discovery(new URL(app.issuer), clientId!, undefined, oidc.ClientSecretBasic(secret), { execute: [oidc.allowInsecureRequests] });
      const { tokens } = await signIn(new Browser(), { config, metadata: {}, clientId: clientId! }, { email: 'other@shop.example', password: PASSWORD });
      expect(tokens.claims()?.aud).toBe(clientId);
    } finally {
      await context.close();
    }
  });

  test('an account without a console role gets 403', async () => {
    const context = await chrome.newContext({ locale: 'en-US' });
    try {
      const page = await context.newPage();
      await page.goto(`${app.issuer}/admin`);
      await page.locator('input[name=email]').fill('nobody@console.example');
      await page.locator('input[name=password]').fill(PASSWORD);
      await page.locator('button[type=submit]').click();
      await page.locator('input[name=code]').fill(await totpAt(secrets.nobody!));
      const [response] = await Promise.all([
        page.waitForResponse((r) => r.url() === `${app.issuer}/admin`, { timeout: 15_000 }),
        page.locator('form:has(input[name=code]) button[type=submit]').click(),
      ]);
      expect(response.status()).toBe(403);
      expect(await page.locator('h1').innerText()).toBe('No access to the admin console');
      const api = await context.request.get(`${app.issuer}/admin/users`, { maxRedirects: 0 });
      expect(api.status()).toBe(403);
    } finally {
      await context.close();
    }
  });

  test('an auditor reads everything but cannot write: no write buttons, and a forged write is refused', async () => {
    const { context, page } = await signedIn('auditor');
    try {
      await page.goto(`${app.issuer}/admin/users/${ids.admin}`);
      expect(await page.locator('[data-account-id]').innerText()).toBe(ids.admin);
      expect(await page.locator('button[name=action]').count()).toBe(0);
      const csrf = await page.locator('input[name=_csrf]').first().getAttribute('value').catch(() => null);
      const forged = await context.request.post(`${app.issuer}/admin/users/${ids.admin}`, { form: { _csrf: csrf ?? '', action: 'unblock' }, headers: { 'accept-language': 'en' } });
      expect(forged.status()).toBe(403);
      expect(await forged.text()).toContain('Your role may only read');
      expect((await app.container.users.get(ids.admin!)).status).toBe('active');
      await app.container.auditTrail.flush();
      const refused = await app.container.auditTrail.query.list({ accountId: ids.auditor, type: 'user.unblocked' });
      expect(refused.items).toEqual([]);
    } finally {
      await context.close();
    }
    expect(violations).toEqual([]);
  });
});
