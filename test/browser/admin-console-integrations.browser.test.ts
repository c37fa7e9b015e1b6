import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { type Browser as Chromium, type Page } from 'playwright-core';
import { launchChromium } from '../helpers/chromium.ts';
import * as oidc from 'openid-client';
import { Browser } from '../helpers/browser.ts';
import { ROOT } from '../helpers/cli.ts';
import { enrolTotp } from '../helpers/mfa.ts';
import { signInToConsole } from '../helpers/console.ts';
import { registerRp, signIn, type Rp } from '../helpers/rp.ts';
import { startTestApp, type TestApp } from '../helpers/test-app.ts';
import { startWebhookReceiver, type WebhookReceiver } from '../helpers/webhook-receiver.ts';

// The console's pages for what the admin API gained after the console was built, in headless Chromium: an
// administrator subscribes a real receiver on 127.0.0.1 to user events, sees the delivery of a user change in the
// subscription's log and replays it, rotates the secret and removes the subscription, and replays an event
// dead-lettered by a failing receiver; finds a lead sent by a site
// and erases it; on an account's page sees the sign-in device and disconnects an app an openid-client RP signed in
// to (its refresh token stops working), and downloads the personal data. An auditor sees none of the write buttons,
// and forged writes are refused. CONSOLE_SCREENSHOTS=1 also writes docs/console/<page>-<locale>.png for the README.

const PASSWORD = 'a console passphrase 1';
const SYSTEM = { type: 'system' as const, id: 'test' };
const SHOTS = process.env.CONSOLE_SCREENSHOTS === '1' ? path.join(ROOT, 'docs', 'console') : undefined;

async function shot(page: Page, name: string, locale: string) {
  if (!SHOTS) return;
  mkdirSync(SHOTS, { recursive: true });
  await page.screenshot({ path: path.join(SHOTS, `${name}-${locale}.png`), fullPage: true });
}

describe('admin console: webhooks, leads, devices and apps', () => {
  let app: TestApp;
  let chrome: Chromium;
  let receiver: WebhookReceiver;
  let rp: Rp;
  let site: Rp;
  const secrets: Record<string, string> = {};
  const ids: Record<string, string> = {};
  const violations: string[] = [];

  beforeAll(async () => {
    receiver = await startWebhookReceiver();
    [app, chrome] = await Promise.all([
      startTestApp({
        label: 'console-integrations',
        overrides: { mfa: { risk: { threshold: 1000 } }, webhooks: { allowPrivateTargets: true, pollMs: 50, backoffBaseMs: 100, backoffMaxMs: 400, retryForSeconds: 1, timeoutMs: 2000 } },
      }),
      launchChromium(),
    ]);
    for (const role of ['admin', 'auditor'] as const) {
      const account = await app.container.accounts.createByAdmin({ email: `${role}@console.example`, password: PASSWORD, name: role, verified: true });
      ids[role] = account._id;
      secrets[role] = await enrolTotp(app, account._id);
      await app.container.users.setRoles(account._id, [role], SYSTEM);
    }
    ids.customer = (await app.container.accounts.createByAdmin({ email: 'customer@shop.example', password: PASSWORD, name: 'Customer', verified: true }))._id;
    rp = await registerRp(app, { first_party: false, client_name: 'Partner Shop' });
    const { legal } = app.container.profile;
    await legal.addVersion({
      documentId: 'privacy', kind: 'privacy', version: '1', effectiveAt: new Date(Date.now() - 1000), requiresReacceptance: true,
      content: { ja: { title: 'プライバシー' }, en: { title: 'Privacy' } },
    });
    await legal.publish('privacy', '1');
    site = await registerRp(app, { client_name: 'Newsletter', lite_registration: { attributes: ['given_name'], legal_documents: { required: ['privacy'] } } });
  });
  afterAll(async () => {
    await chrome?.close();
    await app?.stop();
    await receiver?.close();
  });

  const signedIn = (name: string, step = 0, locale = 'en-US') => signInToConsole(chrome, {
    issuer: app.issuer, email: `${name}@console.example`, password: PASSWORD, totpSecret: secrets[name]!, step, locale, acceptDownloads: true, violations,
  });

  /** Reloads `url` until `selector` matches (deliveries are logged right after the receiver answers). */
  async function untilShown(page: Page, url: string, selector: string, timeoutMs = 20_000) {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      await page.goto(url);
      if (await page.locator(selector).count()) return;
      if (Date.now() > deadline) throw new Error(`${selector} not shown on ${url}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }

  const sendLead = (email: string) => fetch(`${app.issuer}/api/v1/leads`, {
    method: 'POST', body: JSON.stringify({ email, consents: ['privacy'], attributes: { given_name: 'Aiko' } }),
    headers: {
      'content-type': 'application/json',
      authorization: `Basic ${Buffer.from(`${site.clientId}:${site.metadata.client_secret as string}`).toString('base64')}`,
    },
  });

  test('an administrator subscribes a receiver, sees a user change delivered, replays it, rotates the secret and removes it; a dead-lettered event is replayed', async () => {
    const { context, page } = await signedIn('admin', 0);
    try {
      await page.locator('nav a[href="/admin/webhooks"]').click();
      expect(await page.locator('h1').innerText()).toBe('Webhooks');
      await page.locator('#url').fill(receiver.url);
      await page.locator('#events').fill('user.*');
      await page.locator('button[name=action][value=create]').click();
      const id = (await page.locator('[data-webhook-id]').getAttribute('data-webhook-id'))!;
      expect(id).toMatch(/^wh_[0-9a-f]{24}$/);
      receiver.secrets = [await page.locator('[data-webhook-secret]').innerText()];
      expect(receiver.secrets[0]).toMatch(/^whsec_/);
      await page.goto(`${app.issuer}/admin/webhooks`);
      const row = page.locator(`[data-webhook-row="${id}"]`);
      expect(await row.getAttribute('data-state')).toBe('idle');
      expect(await row.innerText()).toContain(receiver.url);
      // The secret is never listed again.
      expect(await page.content()).not.toContain(receiver.secrets[0]);

      await app.container.users.update(ids.customer!, { attributes: { nickname: 'changed' } }, SYSTEM);
      // Changes made before the subscription may still be announced after it (events are derived asynchronously):
      // the delivery looked at is the one of this change.
      const ofChange = (r: { body: { type: string; data: Record<string, unknown> } }) => r.body.type === 'user.updated' && r.body.data.accountId === ids.customer;
      await receiver.waitFor((received) => received.some(ofChange), 30_000);
      const eventId = receiver.received.find(ofChange)!.id;
      const here = `${app.issuer}/admin/webhooks/${id}`;
      const delivered = page.locator(`tr[data-event-id="${eventId}"][data-outcome=delivered]`);
      await untilShown(page, here, `tr[data-event-id="${eventId}"][data-outcome=delivered]`);
      expect(await delivered.count()).toBe(1);
      expect(await delivered.locator('[data-status-code]').getAttribute('data-status-code')).toBe('200');
      expect(await delivered.innerText()).toContain('user.updated');
      expect(await delivered.innerText()).toContain('Delivered');

      await Promise.all([page.waitForURL(`${here}?done=replayed`), delivered.locator('button[name=action][value=replay]').click()]);
      const replayed = page.locator(`tr[data-event-id="${eventId}"][data-outcome=replayed]`);
      expect(await replayed.count()).toBe(1);
      expect(await replayed.locator('[data-attempt]').getAttribute('data-attempt')).toBe('2');
      // The same event (same webhook-id) arrived again, signed with the secret shown once.
      expect(receiver.accepted().filter((r) => r.id === eventId)).toHaveLength(2);
      await shot(page, 'webhook', 'en');
      await page.goto(`${app.issuer}/admin/webhooks`);
      expect(await page.locator(`[data-webhook-row="${id}"]`).getAttribute('data-state')).toBe('healthy');

      // Paused and resumed from the page: the subscription's state follows (setWebhookEnabled).
      await page.goto(here);
      await Promise.all([page.waitForURL(`${here}?done=webhook_disabled`), page.locator('button[name=action][value=disable]').click()]);
      expect(await page.locator('[data-enabled]').getAttribute('data-enabled')).toBe('false');
      await Promise.all([page.waitForURL(`${here}?done=webhook_enabled`), page.locator('button[name=action][value=enable]').click()]);
      expect(await page.locator('[data-enabled]').getAttribute('data-enabled')).toBe('true');

      await page.locator('button[name=action][value=rotate_secret]').click();
      expect(await page.locator('h1').innerText()).toBe('Please confirm');
      await page.locator('button[name=confirmed][value=yes]').click();
      const rotated = await page.locator('[data-webhook-secret]').innerText();
      expect(rotated).toMatch(/^whsec_/);
      expect(rotated).not.toBe(receiver.secrets[0]);

      await page.goto(here);
      await page.locator('button[name=action][value=delete]').click();
      expect(await page.locator('h1').innerText()).toBe('Please confirm');
      await Promise.all([page.waitForURL(`${app.issuer}/admin/webhooks?done=removed`), page.locator('button[name=confirmed][value=yes]').click()]);
      expect(await page.locator(`[data-webhook-row="${id}"]`).count()).toBe(0);
      expect(await app.container.events.webhooks.list()).toEqual([]);

      // A receiver that keeps failing: retried, then dead-lettered (retryForSeconds: 1); replayed once it answers.
      const failing = await app.container.events.webhooks.add({ url: receiver.url, events: ['user.updated'] }, SYSTEM);
      receiver.secrets = [failing.secret!];
      receiver.answer = () => 500;
      await app.container.users.update(ids.customer!, { attributes: { nickname: 'changed again' } }, SYSTEM);
      const deadHere = `${app.issuer}/admin/webhooks/${failing.id}`;
      await untilShown(page, deadHere, 'tr[data-delivery-id][data-outcome=dead]');
      const dead = page.locator('tr[data-delivery-id][data-outcome=dead]');
      expect(await dead.locator('[data-status-code]').getAttribute('data-status-code')).toBe('500');
      expect(await dead.innerText()).toContain('Dead-lettered');
      expect(Number(await dead.locator('[data-attempt]').getAttribute('data-attempt'))).toBeGreaterThan(1);
      expect(await page.locator('tr[data-delivery-id][data-outcome=failed]').count()).toBeGreaterThan(0);
      await page.goto(`${app.issuer}/admin/webhooks`);
      expect(await page.locator(`[data-webhook-row="${failing.id}"]`).getAttribute('data-state')).toBe('dead');
      receiver.answer = () => 200;
      await page.goto(deadHere);
      await Promise.all([page.waitForURL(`${deadHere}?done=replayed`), page.locator('tr[data-outcome=dead] button[name=action][value=replay]').click()]);
      expect(await page.locator('tr[data-delivery-id][data-outcome=replayed]').count()).toBe(1);
      expect(receiver.accepted().filter((r) => r.body.data.accountId === ids.customer && r.body.type === 'user.updated')).toHaveLength(3);
      await app.container.events.webhooks.remove(failing.id, SYSTEM);
    } finally {
      receiver.answer = () => 200;
      await context.close();
    }
  }, 90_000);

  test('an administrator finds a lead by address and erases it; on an account sees its device, disconnects an app and downloads its data', async () => {
    expect((await sendLead('lead.console@example.jp')).status).toBe(202);
    const browser = new Browser();
    const { tokens } = await signIn(browser, rp, { email: 'customer@shop.example', password: PASSWORD }, { scope: 'openid email offline_access', prompt: 'consent' });
    expect(tokens.refresh_token).toEqual(expect.any(String));

    const { context, page } = await signedIn('admin', 1);
    try {
      await page.locator('nav a[href="/admin/leads"]').click();
      await page.locator('input[name=q]').fill('LEAD.console@example.jp');
      await page.locator('form.search button[type=submit]').click();
      const row = page.locator('tr[data-lead-id]');
      expect(await row.count()).toBe(1);
      expect(await row.getAttribute('data-lead-status')).toBe('pending');
      const leadId = (await row.getAttribute('data-lead-id'))!;
      await shot(page, 'leads', 'en');
      await row.locator('a').click();
      expect(await page.locator('h1').innerText()).toContain('lead.console@example.jp');
      expect(await page.locator('[data-submission]').innerText()).toContain('given_name');
      await page.locator('button[name=action][value=delete]').click();
      expect(await page.locator('h1').innerText()).toBe('Please confirm');
      await Promise.all([page.waitForURL(`${app.issuer}/admin/leads?done=lead_deleted`), page.locator('button[name=confirmed][value=yes]').click()]);
      expect(await page.locator(`tr[data-lead-id="${leadId}"]`).count()).toBe(0);
      expect(await app.container.models.Lead.findById(leadId).lean().exec()).toBeNull();

      await page.goto(`${app.issuer}/admin/users/${ids.customer}`);
      const device = page.locator('tr[data-device]');
      expect(await device.count()).toBe(1);
      expect(await device.locator('[data-network]').innerText()).toContain('127.0.0');
      expect(await device.locator('[data-last-seen]').innerText()).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}$/);
      const appRow = page.locator(`tr[data-app-grant][data-client="${rp.clientId}"]`);
      expect(await appRow.innerText()).toContain('Partner Shop');
      await shot(page, 'user-apps', 'en');

      const [download] = await Promise.all([page.waitForEvent('download'), page.locator('button[name=action][value=export]').click()]);
      const exported = JSON.parse(readFileSync((await download.path())!, 'utf8'));
      expect(exported.format).toEqual(expect.any(String));
      expect(JSON.stringify(exported)).toContain('customer@shop.example');

      await appRow.locator('button[name=action][value=disconnect_app]').click();
      expect(await page.locator('h1').innerText()).toBe('Please confirm');
      await page.locator('button[name=confirmed][value=yes]').click();
      expect(await page.locator('[role=status]').innerText()).toContain('disconnected');
      expect(await page.locator('tr[data-app-grant]').count()).toBe(0);
      await expect(oidc.refreshTokenGrant(rp.config, tokens.refresh_token!)).rejects.toThrow();
    } finally {
      await context.close();
    }
  }, 90_000);

  test('an auditor reads the new pages without any write button, and forged writes are refused', async () => {
    const webhook = await app.container.events.webhooks.add({ url: receiver.url, events: ['client.*'] }, SYSTEM);
    expect((await sendLead('kept.lead@example.jp')).status).toBe(202);
    const lead = (await app.container.models.Lead.findOne({ emailNormalized: 'kept.lead@example.jp' }).lean().exec())!;
    // In Japanese: the pages read the same for an auditor, without their forms.
    const { context, page } = await signedIn('auditor', 0, 'ja-JP');
    try {
      for (const url of ['/admin/webhooks', `/admin/webhooks/${webhook.id}`, '/admin/leads', `/admin/leads/${lead._id}`, `/admin/users/${ids.customer}`]) {
        const response = await page.goto(`${app.issuer}${url}`);
        expect(response?.status()).toBe(200);
        expect(await page.locator('button[name=action]').count()).toBe(0);
        if (url === `/admin/webhooks/${webhook.id}`) await shot(page, 'webhook', 'ja');
        if (url === '/admin/leads') await shot(page, 'leads', 'ja');
      }
      expect(await page.locator('tr[data-device]').count()).toBe(1);
      await page.goto(`${app.issuer}/admin/users/${ids.customer}`);
      const csrf = (await page.locator('input[name=_csrf]').first().getAttribute('value'))!;
      const forge = (path: string, form: Record<string, string>) =>
        context.request.post(`${app.issuer}${path}`, { form: { _csrf: csrf, ...form }, headers: { 'accept-language': 'en' }, maxRedirects: 0 });
      for (const [path, form] of [
        ['/admin/webhooks', { action: 'create', url: receiver.url, events: '*' }],
        [`/admin/webhooks/${webhook.id}`, { action: 'delete', confirmed: 'yes' }],
        [`/admin/leads/${lead._id}`, { action: 'delete', confirmed: 'yes' }],
        [`/admin/users/${ids.customer}`, { action: 'export' }],
      ] as const) {
        const forged = await forge(path, form);
        expect(forged.status()).toBe(403);
        expect(await forged.text()).toContain('Your role may only read');
      }
      expect((await app.container.events.webhooks.list()).map((w) => w.id)).toEqual([webhook.id]);
      expect(await app.container.models.Lead.findById(lead._id).lean().exec()).not.toBeNull();
    } finally {
      await context.close();
    }
    expect(violations).toEqual([]);
  }, 90_000);
});
