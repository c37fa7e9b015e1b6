import { generate } from 'otplib';
import type { Browser, Page } from './browser.ts';
import { authorizationRequest, exchangeCode, RP_REDIRECT, type AuthRequest, type Rp } from './rp.ts';
import type { TestApp } from './test-app.ts';

// Helpers for the MFA tests: TOTP codes at a chosen time step, enrolment through the service (for tests that are
// about signing in, not enrolling), and reading the MFA pages.

/** The TOTP code `steps` periods from now (RFC 6238: 30-second steps). */
export const totpAt = (secret: string, steps = 0): Promise<string> =>
  generate({ secret, epoch: Math.floor(Date.now() / 1000) + steps * 30 });

export async function enrolTotp(app: TestApp, accountId: string): Promise<string> {
  const request = { accountId, scope: `test-${accountId}`, locale: 'en' as const, ip: '127.0.0.1' };
  const view = await app.container.mfa.mfa.beginEnrolment('totp', request);
  // The enrolment's code is at step -1, so the sign-ins of a test can use the current and next steps.
  await app.container.mfa.mfa.completeEnrolment('totp', request, await totpAt(view.secret!, -1), ['pwd']);
  return view.secret!;
}

export async function accountIdOf(app: TestApp, email: string): Promise<string> {
  return (await app.container.accountRepository.findByEmail(email))!._id;
}

/** Starts an authorization request in `browser`; returns the request and the first page (login, mfa, or the RP). */
export async function startAuth(browser: Browser, rp: Rp, params: Record<string, string> = {}) {
  browser.stopAt = [RP_REDIRECT];
  const request = await authorizationRequest(rp, params);
  return { request, page: await browser.get(request.url.toString()) };
}

export const isLoginPage = (page: Page) => Boolean(page.html.querySelector('input[name=password]'));
export const codeInput = (page: Page) => page.html.querySelector('input[name=code]');
export const atRp = (page: Page) => page.url.startsWith(RP_REDIRECT);
export const alertText = (page: Page) => page.html.querySelector('[role=alert]')?.text.trim() ?? '';

/** Submits the form that contains input[name=code] with `code`. */
export async function submitCode(browser: Browser, page: Page, code: string, extra: Record<string, string> = {}): Promise<Page> {
  const form = page.html.querySelectorAll('form').find((f) => f.querySelector('input[name=code]'));
  if (!form) throw new Error(`no code form on ${page.url} (${page.status}):\n${page.body.slice(0, 800)}`);
  form.setAttribute('data-code-form', 'yes');
  return browser.submit(page, { code, ...extra }, 'form[data-code-form=yes]');
}

export async function tokensFor(rp: Rp, request: AuthRequest, page: Page) {
  const tokens = await exchangeCode(rp, request, page);
  return { tokens, claims: tokens.claims()! };
}
