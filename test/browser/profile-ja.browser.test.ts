import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { type Browser as Chromium } from 'playwright-core';
import { launchChromium } from '../helpers/chromium.ts';
import { parse } from 'node-html-parser';
import { authorizationRequest, client, exchangeCode, registerRp, RP_REDIRECT, type Rp } from '../helpers/rp.ts';
import { startTestApp, type TestApp } from '../helpers/test-app.ts';

// Profile completion in a real browser (headless Chromium), in Japanese: the legal page, then exactly the missing
// attributes with Japanese labels in Japanese order (姓 before 名), a field error announced next to its input, and
// the values reaching the RP. No CSP violation on the way.


describe('profile completion in Japanese, in Chromium', () => {
  let app: TestApp;
  let rp: Rp;
  let chrome: Chromium;
  const user = { email: 'hanako@example.jp', password: 'a passphrase typed by hand' };

  beforeAll(async () => {
    [app, chrome] = await Promise.all([
      startTestApp({ label: 'profile_ja' }),
      launchChromium(),
    ]);
    await app.container.accounts.createByAdmin({ ...user, verified: true });
    const { legal } = app.container.profile;
    await legal.addVersion({
      documentId: 'terms', kind: 'terms', version: '2026-04', effectiveAt: new Date(Date.now() - 1000), requiresReacceptance: true,
      content: { ja: { title: '利用規約', text: '第1条 この規約は…' }, en: { title: 'Terms of Service', text: 'Article 1 …' } },
    });
    await legal.publish('terms', '2026-04');
    rp = await registerRp(app, {
      client_name: 'ブランドサイト', legal_documents: { required: ['terms'] },
      required_attributes: ['family_name', 'given_name', 'phone_number'],
    });
  });
  afterAll(async () => {
    await chrome?.close();
    await app?.stop();
  });

  test('terms, then the missing attributes, typed and corrected by a person, reach the RP', async () => {
    const context = await chrome.newContext({ locale: 'ja-JP', viewport: { width: 800, height: 900 } });
    const violations: string[] = [];
    try {
      const page = await context.newPage();
      page.on('console', (message) => {
        if (message.text().includes('Refused to')) violations.push(message.text());
      });
      await page.route(`${RP_REDIRECT}**`, (route) => route.fulfill({ status: 200, contentType: 'text/html', body: '<!DOCTYPE html><title>RP</title>' }));
      const request = await authorizationRequest(rp, { ui_locales: 'ja' });
      await page.goto(request.url.toString());
      await page.locator('input[name=email]').fill(user.email);
      await page.locator('input[name=password]').fill(user.password);
      await Promise.all([page.waitForURL(/\/interaction\//), page.locator('button[type=submit]').click()]);

      await page.locator('h1', { hasText: '規約への同意' }).waitFor({ timeout: 10_000 });
      expect(await page.title()).toBe('規約への同意 · グループID');
      await page.getByLabel('利用規約に同意します').check();
      await Promise.all([page.waitForLoadState('load'), page.locator('button[name=decision][value=allow]').click()]);

      await page.locator('h1', { hasText: 'プロフィールの入力' }).waitFor({ timeout: 10_000 });
      expect(await page.locator('html').getAttribute('lang')).toBe('ja');
      const labels = await page.locator('form label').allInnerTexts();
      expect(labels).toEqual(['姓', '名', '電話番号']);
      await page.getByLabel('姓').fill('山田');
      await page.getByLabel('名').fill('花子');
      await page.getByLabel('電話番号').fill('でんわ');
      await Promise.all([page.waitForLoadState('load'), page.locator('button[name=decision][value=save]').click()]);

      const phone = page.getByLabel('電話番号');
      await page.locator('.field-error').waitFor({ timeout: 10_000 });
      expect(await phone.getAttribute('aria-invalid')).toBe('true');
      expect(await page.locator(`#${await phone.getAttribute('aria-describedby')}`).innerText()).toBe('電話番号を入力してください（例：090-1234-5678）。');
      expect(await page.getByLabel('姓').inputValue()).toBe('山田');
      await page.screenshot({ path: '/tmp/profile-ja.png', fullPage: true });
      await phone.fill('090-1234-5678');
      const reached = page.waitForRequest((r) => r.url().startsWith(RP_REDIRECT), { timeout: 15_000 });
      await page.locator('button[name=decision][value=save]').click();
      const callback = (await reached).url();

      const tokens = await exchangeCode(rp, request, { status: 303, url: callback, headers: new Headers(), body: '', html: parse('') });
      const info = await client.fetchUserInfo(rp.config, tokens.access_token, tokens.claims()!.sub);
      expect(info).toMatchObject({ family_name: '山田', given_name: '花子' });
      expect(violations).toEqual([]);
    } finally {
      await context.close();
    }
  });
});
