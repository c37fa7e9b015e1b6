import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { Browser, type Page } from '../helpers/browser.ts';
import { registerRp, signIn, type Rp } from '../helpers/rp.ts';
import { SoftAuthenticator } from '../helpers/soft-authenticator.ts';
import { startTestApp, type TestApp } from '../helpers/test-app.ts';
import { accountIdOf, atRp, codeInput, enrolTotp, isLoginPage, startAuth, submitCode, tokensFor, totpAt } from '../helpers/mfa.ts';

// The account security page: the engine's sign-in session authenticates it, changes need CSRF, a recent sign-in and
// the second factor; the last factor of an account that uses a client requiring MFA cannot be removed.
const password = 'correct horse battery staple';

describe('account security page', () => {
  let app: TestApp;
  let required: Rp;
  let off: Rp;
  let optional: Rp;

  beforeAll(async () => {
    app = await startTestApp({ label: 'mfaaccount', overrides: { mfa: { risk: { threshold: 1000 } } } });
    for (const name of ['owner', 'weak', 'adder', 'second', 'site']) {
      await app.container.accounts.createByAdmin({ email: `${name}@example.jp`, password, name, verified: true });
    }
    [required, off, optional] = await Promise.all([
      registerRp(app, { mfa_policy: 'required' }), registerRp(app, { mfa_policy: 'off' }), registerRp(app, { mfa_policy: 'optional' }),
    ]);
  });

  /** Follows the security page's "Add a method" link: a fresh account sign-in that asks to enrol. */
  const followAddLink = async (browser: Browser, page: Page) => {
    const href = page.html.querySelector('a[data-add-factor]')?.getAttribute('href');
    if (!href) throw new Error(`no add link on ${page.url}:\n${page.body.slice(0, 800)}`);
    return browser.get(`${app.issuer}${href}`);
  };
  const listed = (page: Page) => page.html.querySelectorAll('[data-factor]').map((f) => f.getAttribute('data-factor'));
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
    // Refused: sent to a step-up sign-in that asks for the second factor, back to this page afterwards.
    browser.stopAt = [`${app.issuer}/account/login`];
    const refused = await browser.submit(page, {}, `[data-factor-id="${totpId}"] form[action$="/remove"]`);
    expect(refused.status).toBe(303);
    const stepUp = new URL(refused.url).searchParams;
    expect([stepUp.get('return'), stepUp.get('acr_values')]).toEqual(['/account/security', 'urn:idp:acr:mfa']);
    expect((await app.container.mfa.mfa.enrolledTypes(accountId))).toEqual(['totp']);
  });

  test('a person with no factor adds TOTP from the security page, saves recovery codes and sees it listed', async () => {
    const browser = new Browser();
    await signIn(browser, off, { email: 'adder@example.jp', password });
    let page = await browser.get(`${app.issuer}/account/security`);
    expect(listed(page)).toEqual([]);
    // max_age=0: the password is asked again even though the session is fresh.
    page = await followAddLink(browser, page);
    expect(isLoginPage(page)).toBe(true);
    page = await browser.submit(page, { password, email: 'adder@example.jp' });
    expect(page.url).toMatch(/\/interaction\/[^/]+\/enrol$/);
    expect(page.html.querySelector('main')?.text).toContain('Choose a two-step method to add to your account.');
    page = await browser.submit(page, { factor: 'totp' });
    const secret = page.html.querySelector('[data-totp-secret]')?.text.trim() ?? '';
    page = await submitCode(browser, page, await totpAt(secret));
    expect(page.html.querySelectorAll('[data-recovery-codes] code')).toHaveLength(10);
    page = await browser.submit(page, {});
    // Back on the security page (no second enrol page: the enrolment satisfied this sign-in's request).
    expect(`${page.status} ${new URL(page.url).pathname}`).toBe('200 /account/security');
    expect(listed(page).sort()).toEqual(['recovery', 'totp']);
    expect(await app.container.mfa.mfa.enrolledTypes(await accountIdOf(app, 'adder@example.jp'))).toContain('totp');
  });

  test('with a factor, the person answers it before the enrol page appears, then adds a passkey', async () => {
    const secret = await enrolTotp(app, await accountIdOf(app, 'second@example.jp'));
    const browser = new Browser();
    await signIn(browser, off, { email: 'second@example.jp', password });
    let page = await browser.get(`${app.issuer}/account/security`);
    expect(listed(page).sort()).toEqual(['recovery', 'totp']);
    page = await followAddLink(browser, page);
    page = await browser.submit(page, { email: 'second@example.jp', password });
    // The password alone does not reach the enrol page, not even by typing its address.
    expect(page.url).not.toMatch(/\/enrol$/);
    expect(codeInput(page)).not.toBeNull();
    const uid = new URL(page.url).pathname.split('/')[2];
    const skipped = await browser.get(`${app.issuer}/interaction/${uid}/enrol`);
    expect(skipped.html.querySelector('button[name=factor]')).toBeNull();
    page = await submitCode(browser, skipped, await totpAt(secret));
    expect(page.url).toMatch(/\/interaction\/[^/]+\/enrol$/);
    page = await browser.submit(page, { factor: 'webauthn' });
    const form = page.html.querySelector('form[data-webauthn]')!;
    const credential = new SoftAuthenticator(app.issuer).create(JSON.parse(form.getAttribute('data-options')!));
    page = await browser.submit(page, { credential: JSON.stringify(credential) }, 'form[data-webauthn]');
    // Not the first factor: no new recovery codes, straight back to the list.
    expect(`${page.status} ${new URL(page.url).pathname}`).toBe('200 /account/security');
    expect(listed(page).sort()).toEqual(['recovery', 'totp', 'webauthn']);
  });

  test('a site cannot ask for the enrol page with idp_enrol=1', async () => {
    const browser = new Browser();
    const { page: login } = await startAuth(browser, optional, { idp_enrol: '1' });
    let page = await browser.submit(login, { email: 'site@example.jp', password });
    expect(page.url).not.toMatch(/\/enrol$/);
    expect(page.html.querySelector('button[name=factor]')).toBeNull();
    if (page.html.querySelector('button[name=decision][value=allow]')) page = await browser.submit(page, { decision: 'allow' });
    expect(atRp(page)).toBe(true);
    expect(await app.container.mfa.mfa.enrolledTypes(await accountIdOf(app, 'site@example.jp'))).toEqual([]);
  });
});
