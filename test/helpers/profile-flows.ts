import { Browser, type Page } from './browser.ts';
import { authorizationRequest, exchangeCode, RP_REDIRECT, type AuthRequest, type Rp } from './rp.ts';

// Flows through the profile and legal prompts: start an authorization, sign in when the login form shows, and stop
// at whatever page comes next (a profile form, a legal page, or the redirect back to the RP).

export interface Started {
  request: AuthRequest;
  page: Page;
}

export async function startSignIn(browser: Browser, rp: Rp, credentials: { email: string; password: string }, params: Record<string, string> = {}): Promise<Started> {
  browser.stopAt = [RP_REDIRECT];
  const request = await authorizationRequest(rp, params);
  let page = await browser.get(request.url.toString());
  if (page.html.querySelector('input[name=password]')) page = await browser.submit(page, credentials);
  return { request, page };
}

export const atRp = (page: Page) => page.url.startsWith(RP_REDIRECT);

/** Names of the inputs and selects of the first form (hidden ones excepted). */
export const fieldNames = (page: Page): string[] => (page.html.querySelector('form')?.querySelectorAll('input, select') ?? [])
  .filter((el) => el.getAttribute('type') !== 'hidden' && el.getAttribute('type') !== 'checkbox')
  .map((el) => el.getAttribute('name') ?? '');

/** The callback's error parameter (access_denied ...), or undefined. */
export const callbackError = (page: Page) => (atRp(page) ? new URL(page.url).searchParams.get('error') ?? undefined : undefined);

export async function finish(rp: Rp, started: Started, page: Page) {
  return exchangeCode(rp, started.request, page);
}

export { Browser };

/** Submits the first form with repeated fields (several `accept` checkboxes), plus its hidden fields. */
export async function submitEntries(browser: Browser, page: Page, entries: Array<[string, string]>): Promise<Page> {
  const form = page.html.querySelector('form');
  if (!form) throw new Error(`no form on ${page.url} (status ${page.status}):\n${page.body.slice(0, 500)}`);
  const hidden = form.querySelectorAll('input[type=hidden]').map((i) => [i.getAttribute('name')!, i.getAttribute('value') ?? ''] as [string, string]);
  const action = new URL(form.getAttribute('action') ?? page.url, page.url).toString();
  return browser.request(action, {
    method: 'POST', body: new URLSearchParams([...hidden, ...entries]).toString(),
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
  });
}
