import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { generate } from 'otplib';
import { Browser } from '../helpers/browser.ts';
import { registerRp, signIn, type Rp } from '../helpers/rp.ts';
import { startTestApp, type TestApp } from '../helpers/test-app.ts';
import {
  accountIdOf, alertText, atRp, codeInput, enrolTotp, isLoginPage, startAuth, submitCode, tokensFor, totpAt,
} from '../helpers/mfa.ts';

// TOTP, recovery codes, client policy, step-up and acr/amr through the hosted pages with a real RP (openid-client).
const ACR = { password: 'urn:idp:acr:password', mfa: 'urn:idp:acr:mfa', pr: 'urn:idp:acr:phishing-resistant' };
const password = 'correct horse battery staple';

describe('MFA with TOTP and recovery codes', () => {
  let app: TestApp;
  let optional: Rp;
  let required: Rp;
  let off: Rp;
  const users: Record<string, string> = {};

  beforeAll(async () => {
    // The risk check is off here (threshold out of reach): these tests are about policy and factors.
    app = await startTestApp({ label: 'mfatotp', overrides: { mfa: { risk: { threshold: 1000 } } } });
    for (const name of ['enrol', 'signin', 'stepup', 'lockout', 'recovery']) {
      const email = `${name}@example.jp`;
      await app.container.accounts.createByAdmin({ email, password, name, verified: true });
      users[name] = email;
    }
    [optional, required, off] = await Promise.all([
      registerRp(app), registerRp(app, { mfa_policy: 'required' }), registerRp(app, { mfa_policy: 'off' }),
    ]);
  });
  afterAll(async () => app?.stop());

  test('discovery lists our acr values; client metadata validates mfa_policy', async () => {
    expect(optional.config.serverMetadata().acr_values_supported).toEqual([ACR.password, ACR.mfa, ACR.pr]);
    await expect(app.container.clients.add({ redirect_uris: ['https://rp.example/cb'], mfa_policy: 'sometimes' })).rejects.toThrow(/mfa_policy/);
  });

  test('a client that requires MFA takes a person with no factor through TOTP enrolment, then back with acr mfa', async () => {
    const browser = new Browser();
    const { request, page: login } = await startAuth(browser, required);
    let page = await browser.submit(login, { email: users.enrol!, password });
    expect(page.url).toMatch(/\/interaction\/[^/]+\/enrol$/);
    expect(page.html.querySelectorAll('button[name=factor]').map((b) => b.getAttribute('value'))).toEqual(['totp', 'webauthn', 'email']);
    page = await browser.submit(page, { factor: 'totp' });
    const secret = page.html.querySelector('[data-totp-secret]')?.text.trim() ?? '';
    expect(secret).toMatch(/^[A-Z2-7]{16,}$/);
    expect(page.html.querySelector('img.qr')?.getAttribute('src')).toMatch(/^data:image\/png;base64,/);
    expect(page.html.querySelector('label[for=code]')?.text).toBeTruthy();

    page = await submitCode(browser, page, '000000'.replace(/0/g, () => '1'));
    expect(page.status).toBe(400);
    page = await submitCode(browser, page, await generate({ secret }));
    const codes = page.html.querySelectorAll('[data-recovery-codes] code').map((c) => c.text);
    expect(codes).toHaveLength(10);
    expect(new Set(codes).size).toBe(10);
    page = await browser.submit(page, {});
    const { claims } = await tokensFor(required, request, page);
    expect(claims.acr).toBe(ACR.mfa);
    expect(claims.amr).toEqual(['pwd', 'otp', 'mfa']);
    expect(Math.abs(Number(claims.auth_time) - Date.now() / 1000)).toBeLessThan(30);

    const stored = await app.container.models.MfaFactor.findOne({ type: 'totp', accountId: claims.sub }).lean();
    expect(stored?.secretSealed).toBeDefined();
    expect(JSON.stringify(stored)).not.toContain(secret);
  });

  test('an enrolled person is asked for TOTP (they opted in); a code is never accepted twice', async () => {
    const secret = await enrolTotp(app, await accountIdOf(app, users.signin!));
    const browser = new Browser();
    const { request, page: login } = await startAuth(browser, optional);
    let page = await browser.submit(login, { email: users.signin!, password });
    expect(codeInput(page)).toBeTruthy();
    // The enrolment used the previous step: that code is refused now (RFC 6238 §5.2).
    page = await submitCode(browser, page, await totpAt(secret, -1));
    expect(page.status).toBe(400);
    expect(alertText(page)).toBe('The code is incorrect or has expired.');
    const code = await totpAt(secret, 0);
    page = await submitCode(browser, page, code);
    const { claims } = await tokensFor(optional, request, page);
    expect(claims.acr).toBe(ACR.mfa);

    const second = new Browser();
    const again = await startAuth(second, optional);
    page = await second.submit(again.page, { email: users.signin!, password });
    page = await submitCode(second, page, code);
    expect(page.status).toBe(400);
    page = await submitCode(second, page, await totpAt(secret, 1));
    expect(atRp(page)).toBe(true);
  });

  test('step-up: acr_values on an existing password session asks only the missing factor', async () => {
    const secret = await enrolTotp(app, await accountIdOf(app, users.stepup!));
    const browser = new Browser();
    const first = await signIn(browser, off, { email: users.stepup!, password });
    expect(first.tokens.claims()!.acr).toBe(ACR.password);
    expect(first.tokens.claims()!.amr).toEqual(['pwd']);

    await new Promise((resolve) => setTimeout(resolve, 1100));
    const { request, page } = await startAuth(browser, off, { acr_values: ACR.mfa });
    expect(isLoginPage(page)).toBe(false);
    expect(page.html.querySelector('h1')?.text).toBe('Two-step verification');
    const done = await submitCode(browser, page, await totpAt(secret));
    const { claims } = await tokensFor(off, request, done);
    expect(claims.acr).toBe(ACR.mfa);
    expect(claims.sub).toBe(first.tokens.claims()!.sub);
    expect(Number(claims.auth_time)).toBeGreaterThan(Number(first.tokens.claims()!.auth_time));

    // The session now satisfies mfa: the next request passes without any page; max_age=0 forces password + factor.
    const silent = await startAuth(browser, off, { acr_values: ACR.mfa });
    expect(atRp(silent.page)).toBe(true);
    const fresh = await startAuth(browser, off, { acr_values: ACR.mfa, max_age: '0' });
    expect(isLoginPage(fresh.page)).toBe(true);
    const factorPage = await browser.submit(fresh.page, { email: users.stepup!, password });
    expect(codeInput(factorPage)).toBeTruthy();
    const end = await submitCode(browser, factorPage, await totpAt(secret, 1));
    expect((await tokensFor(off, fresh.request, end)).claims.acr).toBe(ACR.mfa);
  });

  test('too many wrong codes lock MFA for a while, with a clear page; even the right code waits', async () => {
    const secret = await enrolTotp(app, await accountIdOf(app, users.lockout!));
    const browser = new Browser();
    const { page: login } = await startAuth(browser, optional);
    let page = await browser.submit(login, { email: users.lockout!, password });
    for (let i = 0; i < 4; i += 1) {
      page = await submitCode(browser, page, '999999');
      expect(page.status).toBe(400);
    }
    page = await submitCode(browser, page, '999999');
    expect(page.status).toBe(429);
    expect(page.html.querySelector('h1')?.text).toBe('Two-step verification is locked');
    expect(alertText(page)).toMatch(/try again in 15 minutes/);
    expect(Number(page.headers.get('retry-after'))).toBeGreaterThan(800);
    const retry = await browser.get(page.url.replace(/\/verify$/, ''));
    expect(retry.status).toBe(429);
    expect(codeInput(retry)).toBeNull();
  });

  test('a recovery code signs in once, and only once', async () => {
    const accountId = await accountIdOf(app, users.recovery!);
    await enrolTotp(app, accountId);
    const codes = await app.container.mfa.mfa.regenerateRecoveryCodes(accountId);
    const useCode = async (code: string) => {
      const browser = new Browser();
      const { request, page: login } = await startAuth(browser, optional);
      const challenge = await browser.submit(login, { email: users.recovery!, password });
      const recoveryLink = challenge.html.querySelectorAll('a').find((a) => a.getAttribute('href') === '?factor=recovery');
      expect(recoveryLink).toBeDefined();
      const recoveryPage = await browser.get(new URL('?factor=recovery', challenge.url).toString());
      expect(recoveryPage.html.querySelector('label[for=code]')?.text).toBe('Recovery code');
      return { request, page: await submitCode(browser, recoveryPage, code.toUpperCase()) };
    };
    const first = await useCode(codes[3]!);
    const { claims } = await tokensFor(optional, first.request, first.page);
    expect(claims.acr).toBe(ACR.mfa);
    const second = await useCode(codes[3]!);
    expect(second.page.status).toBe(400);
    const list = await app.container.mfa.mfa.list(accountId);
    expect(list.find((f) => f.type === 'recovery')?.remainingCodes).toBe(9);
  });
});
