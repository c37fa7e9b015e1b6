import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { Browser } from '../helpers/browser.ts';
import { registerRp, signIn, type Rp } from '../helpers/rp.ts';
import { startTestApp, type TestApp } from '../helpers/test-app.ts';
import { accountIdOf, enrolTotp, startAuth, submitCode, tokensFor, totpAt } from '../helpers/mfa.ts';

// The account security page: the engine's sign-in session authenticates it, changes need CSRF, a recent sign-in and
// the second factor; the last factor of an account that uses a client requiring MFA cannot be removed.
const password = 'correct horse battery staple';

describe('account security page', () => {
  let app: TestApp;
  let required: Rp;
  let off: Rp;

  beforeAll(async () => {
    app = await startTestApp({ label: 'mfaaccount', overrides: { mfa: { risk: { threshold: 1000 } } } });
    for (const name of ['owner', 'weak']) {
      await app.container.accounts.createByAdmin({ email: `${name}@example.jp`, password, name, verified: true });
    }
    [required, off] = await Promise.all([registerRp(app, { mfa_policy: 'required' }), registerRp(app, { mfa_policy: 'off' })]);
  });
  afterAll(async () => app?.stop());

  test('lists, renames, refuses to remove the last required factor, makes new recovery codes', async () => {
    // A stranger is sent through the normal sign-in first (then back to /account/security).
    const stranger = await new Browser().get(`${app.issuer}/account/security`);
    expect(stranger.url).toMatch(/\/interaction\/[^/]+$/);
    expect(stranger.html.querySelector('input[name=password]')).not.toBeNull();
    const secret = await enrolTotp(app, await accountIdOf(app, 'owner@example.jp'));
    const browser = new Browser();
    const { request, page: login } = await startAuth(browser, required);
    const factorPage = await browser.submit(login, { email: 'owner@example.jp', password });
    await tokensFor(required, request, await submitCode(browser, factorPage, await totpAt(secret)));

    let page = await browser.get(`${app.issuer}/account/security`);
    expect(page.status).toBe(200);
    const totp = page.html.querySelector('[data-factor=totp]')!;
    const id = totp.getAttribute('data-factor-id')!;
    expect(page.html.querySelector('[data-factor=recovery]')?.text).toContain('10 recovery codes left');

    page = await browser.submit(page, { name: 'My phone' }, `form[action$="/rename"]`);
    expect(`${page.status} ${page.html.querySelector('h1')?.text}`).toBe('200 Sign-in security');
    expect(page.html.querySelector("[data-factor=totp] strong")?.text).toBe("My phone");
    page = await browser.submit(page, {}, `[data-factor-id="${id}"] form[action$="/remove"]`);
    expect(page.status).toBe(409);
    expect(page.html.querySelector('[role=alert]')?.text).toMatch(/last two-step method/);
    page = await browser.submit(page, {}, 'form[action$="/recovery-codes"]');
    expect(page.html.querySelectorAll('[data-recovery-codes] code')).toHaveLength(10);
    const forged = await browser.post(`${app.issuer}/account/security/remove`, { id, _csrf: 'forged' });
    expect(forged.status).toBe(403);
    expect((await app.container.mfa.mfa.list(await accountIdOf(app, 'owner@example.jp'))).some((f) => f.id === id)).toBe(true);
  });

  test('a password-only session cannot change an account that has a factor', async () => {
    const accountId = await accountIdOf(app, 'weak@example.jp');
    await enrolTotp(app, accountId);
    const browser = new Browser();
    await signIn(browser, off, { email: 'weak@example.jp', password });
    const page = await browser.get(`${app.issuer}/account/security`);
    const totpId = page.html.querySelector('[data-factor=totp]')!.getAttribute('data-factor-id')!;
    const refused = await browser.submit(page, {}, `[data-factor-id="${totpId}"] form[action$="/remove"]`);
    expect(refused.status).toBe(403);
    expect(refused.html.querySelector('main p')?.text).toBe('Please sign in again to change your sign-in security.');
    expect((await app.container.mfa.mfa.enrolledTypes(accountId))).toEqual(['totp']);
  });
});
