import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import type { Browser as BrowserType, Page } from '../helpers/browser.ts';
import { Browser } from '../helpers/browser.ts';
import { registerRp, type Rp } from '../helpers/rp.ts';
import { startTestApp, type TestApp } from '../helpers/test-app.ts';
import { SoftAuthenticator } from '../helpers/soft-authenticator.ts';
import { accountIdOf, atRp, enrolTotp, isLoginPage, startAuth, submitCode, tokensFor, totpAt } from '../helpers/mfa.ts';

// WebAuthn with a software authenticator producing real packed attestations and ES256 assertions, verified by
// @simplewebauthn/server for real: enrolment, several authenticators, step-up to phishing-resistant, passkey alone.
const ACR = { password: 'urn:idp:acr:password', mfa: 'urn:idp:acr:mfa', pr: 'urn:idp:acr:phishing-resistant' };
const password = 'correct horse battery staple';

const optionsOf = (page: Page) => {
  const form = page.html.querySelector('form[data-webauthn]');
  if (!form) throw new Error(`no WebAuthn form on ${page.url} (${page.status}):\n${page.body.slice(0, 800)}`);
  return { form, options: JSON.parse(form.getAttribute('data-options')!) };
};

async function webauthnSubmit(browser: BrowserType, page: Page, authenticator: SoftAuthenticator): Promise<Page> {
  const { form, options } = optionsOf(page);
  const credential = form.getAttribute('data-webauthn') === 'create' ? authenticator.create(options) : authenticator.get(options);
  return browser.submit(page, { credential: JSON.stringify(credential) }, 'form[data-webauthn]');
}

describe('WebAuthn and passkeys', () => {
  let app: TestApp;
  let required: Rp;
  let off: Rp;

  beforeAll(async () => {
    app = await startTestApp({ label: 'mfawebauthn', overrides: { mfa: { risk: { threshold: 1000 } } } });
    for (const name of ['keys', 'stepup', 'nouv']) {
      await app.container.accounts.createByAdmin({ email: `${name}@example.jp`, password, name, verified: true });
    }
    [required, off] = await Promise.all([registerRp(app, { mfa_policy: 'required' }), registerRp(app, { mfa_policy: 'off' })]);
  });
  afterAll(async () => app?.stop());

  test('enrol a passkey through the pages, sign in with it and with a second authenticator, then with a passkey alone', async () => {
    const phone = new SoftAuthenticator(app.issuer);
    const browser = new Browser();
    let { request, page } = await startAuth(browser, required);
    page = await browser.submit(page, { email: 'keys@example.jp', password });
    page = await browser.submit(page, { factor: 'webauthn' });
    expect(optionsOf(page).options.authenticatorSelection.userVerification).toBe('required');
    page = await webauthnSubmit(browser, page, phone);
    expect(page.html.querySelectorAll('[data-recovery-codes] code')).toHaveLength(10);
    page = await browser.submit(page, {});
    let { claims } = await tokensFor(required, request, page);
    expect(claims.acr).toBe(ACR.pr);
    expect(claims.amr).toEqual(['pwd', 'hwk', 'user', 'mfa']);

    // A second authenticator (a synced passkey) added through the service, as the account page does.
    const laptop = new SoftAuthenticator(app.issuer);
    laptop.synced = true;
    const accountId = claims.sub;
    const scope = { accountId, scope: 'acct-test', locale: 'en' as const, ip: '127.0.0.1' };
    const view = await app.container.mfa.mfa.beginEnrolment('webauthn', scope);
    expect((view.options as { excludeCredentials: unknown[] }).excludeCredentials).toHaveLength(1);
    await app.container.mfa.mfa.completeEnrolment('webauthn', scope, JSON.stringify(laptop.create(view.options as never)), ['pwd']);
    expect((await app.container.mfa.mfa.list(accountId)).filter((f) => f.type === 'webauthn')).toHaveLength(2);

    const second = new Browser();
    ({ request, page } = await startAuth(second, required));
    page = await second.submit(page, { email: 'keys@example.jp', password });
    page = await webauthnSubmit(second, page, laptop);
    ({ claims } = await tokensFor(required, request, page));
    expect(claims.amr).toEqual(['pwd', 'swk', 'user', 'mfa']);

    // A passkey alone (discoverable credential, user verified): multi-factor and phishing-resistant, no password.
    const third = new Browser();
    ({ request, page } = await startAuth(third, required));
    expect(isLoginPage(page)).toBe(true);
    const passkeyUrl = page.html.querySelectorAll('a').find((a) => a.getAttribute('href')?.endsWith('/passkey'))!.getAttribute('href')!;
    page = await third.get(new URL(passkeyUrl, page.url).toString());
    expect(optionsOf(page).options.allowCredentials ?? []).toEqual([]);
    page = await webauthnSubmit(third, page, phone);
    ({ claims } = await tokensFor(required, request, page));
    expect(claims.sub).toBe(accountId);
    expect(claims.acr).toBe(ACR.pr);
    expect(claims.amr).toEqual(['hwk', 'user', 'mfa']);
  });

  test('an assertion without user verification, or replayed, is refused', async () => {
    const key = new SoftAuthenticator(app.issuer);
    const accountId = await accountIdOf(app, 'nouv@example.jp');
    const scope = { accountId, scope: 'nouv', locale: 'en' as const, ip: '127.0.0.1' };
    const view = await app.container.mfa.mfa.beginEnrolment('webauthn', scope);
    await app.container.mfa.mfa.completeEnrolment('webauthn', scope, JSON.stringify(key.create(view.options as never)), ['pwd']);

    const browser = new Browser();
    let { page } = await startAuth(browser, required);
    page = await browser.submit(page, { email: 'nouv@example.jp', password });
    key.userVerification = false;
    const refused = await webauthnSubmit(browser, page, key);
    expect(refused.status).toBe(400);
    key.userVerification = true;
    const assertion = key.get(optionsOf(refused).options);
    const ok = await browser.submit(refused, { credential: JSON.stringify(assertion) }, 'form[data-webauthn]');
    expect(atRp(ok)).toBe(true);

    // The same assertion again, in a new sign-in: its challenge is spent, so it is refused.
    const other = new Browser();
    let again = (await startAuth(other, required)).page;
    again = await other.submit(again, { email: 'nouv@example.jp', password });
    const replay = await other.submit(again, { credential: JSON.stringify(assertion) }, 'form[data-webauthn]');
    expect(replay.status).toBe(400);
  });

  test('step-up to phishing-resistant from a TOTP session asks for the passkey, only the missing step', async () => {
    const accountId = await accountIdOf(app, 'stepup@example.jp');
    const secret = await enrolTotp(app, accountId);
    const key = new SoftAuthenticator(app.issuer);
    const scope = { accountId, scope: 'stepup', locale: 'en' as const, ip: '127.0.0.1' };
    const view = await app.container.mfa.mfa.beginEnrolment('webauthn', scope);
    await app.container.mfa.mfa.completeEnrolment('webauthn', scope, JSON.stringify(key.create(view.options as never)), ['pwd']);

    const browser = new Browser();
    let { request, page } = await startAuth(browser, off, { acr_values: ACR.mfa });
    page = await browser.submit(page, { email: 'stepup@example.jp', password });
    page = await browser.get(new URL('?factor=totp', page.url).toString());
    page = await submitCode(browser, page, await totpAt(secret));
    expect((await tokensFor(off, request, page)).claims.acr).toBe(ACR.mfa);

    ({ request, page } = await startAuth(browser, off, { claims: JSON.stringify({ id_token: { acr: { essential: true, values: [ACR.pr] } } }) }));
    expect(isLoginPage(page)).toBe(false);
    expect(page.html.querySelector('input[name=code]')).toBeNull();
    page = await webauthnSubmit(browser, page, key);
    const { claims } = await tokensFor(off, request, page);
    expect(claims.acr).toBe(ACR.pr);
    expect(claims.amr).toEqual(['pwd', 'otp', 'hwk', 'user', 'mfa']);
  });
});
