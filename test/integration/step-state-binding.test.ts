import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { generate } from 'otplib';
import { Browser, type Page } from '../helpers/browser.ts';
import { registerRp, type Rp } from '../helpers/rp.ts';
import { startTestApp, type TestApp } from '../helpers/test-app.ts';
import { accountIdOf, atRp, enrolTotp, startAuth, submitCode, tokensFor } from '../helpers/mfa.ts';

// Step state that the hosted pages keep in a signed cookie between two requests (the MFA result of an enrolment while
// the recovery codes are shown, the account waiting for its email code) must count only for the interaction and the
// account it was issued for. These tests plant a cookie earned in one sign-in on another one, as an attacker who
// knows a victim's password (but not their second factor) would.

const ACR_MFA = 'urn:idp:acr:mfa';
const password = 'correct horse battery staple';
const PENDING = 'idp_pending';

/** The signed step-state cookie (value and signature) the browser holds for an interaction's path. */
async function pendingCookies(browser: Browser, app: TestApp, uid: string) {
  const cookies = await browser.jar.getCookies(`${app.issuer}/interaction/${uid}/continue`);
  const value = cookies.find((c) => c.key === PENDING);
  const sig = cookies.find((c) => c.key === `${PENDING}.sig`);
  if (!value || !sig) throw new Error(`no ${PENDING} cookie for ${uid}`);
  return { value: value.value, sig: sig.value };
}

/** Plants a copied signed cookie on another interaction's path, as a script or a proxy of the attacker could. */
async function plant(browser: Browser, app: TestApp, uid: string, cookie: { value: string; sig: string }) {
  for (const [key, value] of [[PENDING, cookie.value], [`${PENDING}.sig`, cookie.sig]] as const) {
    await browser.jar.setCookie(`${key}=${value}; Path=/interaction/${uid}; HttpOnly`, `${app.issuer}/interaction/${uid}`);
  }
}

const uidOf = (page: Page) => /\/interaction\/([^/?]+)/.exec(page.url)?.[1] ?? '';

describe('step state in cookies is bound to its interaction and account', () => {
  let app: TestApp;
  let required: Rp;

  beforeAll(async () => {
    app = await startTestApp({ label: 'stepstate', overrides: { mfa: { risk: { threshold: 1000 } } } });
    for (const email of ['mallory@example.jp', 'victim@example.jp', 'honest@example.jp', 'waiting@example.jp']) {
      await app.container.accounts.createByAdmin({ email, password, name: email.split('@')[0]!, verified: email !== 'waiting@example.jp' });
    }
    required = await registerRp(app, { mfa_policy: 'required' });
  });
  afterAll(async () => app?.stop());

  /** `email` enrols TOTP on their own account and stops on the recovery-codes page: the earned cookie is theirs. */
  async function earnEnrolmentCookie(email: string) {
    const browser = new Browser();
    const { request, page: login } = await startAuth(browser, required);
    let page = await browser.submit(login, { email, password });
    page = await browser.submit(page, { factor: 'totp' });
    const secret = page.html.querySelector('[data-totp-secret]')?.text.trim() ?? '';
    page = await submitCode(browser, page, await generate({ secret }));
    expect(page.html.querySelectorAll('[data-recovery-codes] code')).toHaveLength(10);
    return { cookie: await pendingCookies(browser, app, uidOf(page)), continuePage: page, browser, request };
  }

  test('an enrolment result planted on another person\'s MFA step does not sign them in', async () => {
    const { cookie } = await earnEnrolmentCookie('mallory@example.jp');
    // The victim has a factor: a password-only sign-in through a site that requires MFA stops at the challenge.
    await enrolTotp(app, await accountIdOf(app, 'victim@example.jp'));
    const attacker = new Browser();
    const { page: login } = await startAuth(attacker, required);
    const challenge = await attacker.submit(login, { email: 'victim@example.jp', password });
    expect(challenge.html.querySelector('input[name=code]')).toBeTruthy();
    const uid = uidOf(challenge);
    await plant(attacker, app, uid, cookie);
    const csrf = challenge.html.querySelector('input[name=_csrf]')?.getAttribute('value') ?? '';
    const answer = await attacker.post(`${app.issuer}/interaction/${uid}/continue`, { _csrf: csrf });
    expect(atRp(answer)).toBe(false);
    expect(answer.status).toBe(400);
  });

  test('the enrolment result finishes the sign-in it was earned in, with acr mfa', async () => {
    const { browser, continuePage, request } = await earnEnrolmentCookie('honest@example.jp');
    const page = await browser.submit(continuePage, {});
    expect(atRp(page)).toBe(true);
    const { claims } = await tokensFor(required, request, page);
    expect(claims.acr).toBe(ACR_MFA);
  });

  test('the account waiting for its email code cannot be carried into another interaction', async () => {
    // A password proof for an unverified account sets the waiting-for-code state. Copied into a later sign-in (after
    // the address was verified through the mailed link), it must not stand in for the password there.
    const rp = await registerRp(app);
    const first = new Browser();
    const { page: login } = await startAuth(first, rp);
    const verify = await first.submit(login, { email: 'waiting@example.jp', password });
    expect(verify.html.querySelector('input[name=code]')).toBeTruthy();
    const earned = await pendingCookies(first, app, uidOf(verify));
    await app.container.accountRepository.markEmailVerified(await accountIdOf(app, 'waiting@example.jp'));

    const second = new Browser();
    const { page: other } = await startAuth(second, rp);
    const uid = uidOf(other);
    await plant(second, app, uid, earned);
    const csrf = other.html.querySelector('input[name=_csrf]')?.getAttribute('value') ?? '';
    const answer = await second.post(`${app.issuer}/interaction/${uid}/verify`, { _csrf: csrf, code: '123456' });
    expect(atRp(answer)).toBe(false);
    expect(answer.status).toBe(400);
  });
});
