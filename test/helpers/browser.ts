import { CookieJar } from 'tough-cookie';
import { parse, type HTMLElement } from 'node-html-parser';

// A browser without a window: fetch with a cookie jar, manual redirects, and form helpers, so tests drive the
// hosted pages exactly as a person's browser would (cookies, CSRF tokens, 303s).

export interface Page {
  status: number;
  url: string;
  headers: Headers;
  body: string;
  html: HTMLElement;
}

export class Browser {
  readonly jar = new CookieJar();
  /** Redirects to URLs starting with one of these are not followed (the RP's redirect_uri). */
  stopAt: string[] = [];
  acceptLanguage = 'en';
  /** Headers sent with every request (e.g. a trusted proxy's geo headers). */
  headers: Record<string, string> = {};

  async get(url: string): Promise<Page> {
    return this.request(url, { method: 'GET' });
  }

  async post(url: string, form: Record<string, string>, extraHeaders: Record<string, string> = {}): Promise<Page> {
    return this.request(url, {
      method: 'POST',
      body: new URLSearchParams(form).toString(),
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...extraHeaders },
    });
  }

  /** Submits the first form on the page (or the one matching `selector`) with its hidden fields plus `values`. */
  async submit(page: Page, values: Record<string, string>, selector = 'form'): Promise<Page> {
    const form = page.html.querySelector(selector);
    if (!form) throw new Error(`no ${selector} on ${page.url} (status ${page.status}):\n${page.body.slice(0, 500)}`);
    const fields: Record<string, string> = {};
    for (const input of form.querySelectorAll('input[type=hidden]')) fields[input.getAttribute('name')!] = input.getAttribute('value') ?? '';
    const action = new URL(form.getAttribute('action') ?? page.url, page.url).toString();
    return this.post(action, { ...fields, ...values });
  }

  async request(url: string, init: RequestInit, hops = 0): Promise<Page> {
    const cookie = await this.jar.getCookieString(url);
    const headers = new Headers({ ...this.headers, ...Object.fromEntries(new Headers(init.headers)) });
    if (cookie) headers.set('cookie', cookie);
    headers.set('accept', 'text/html,application/xhtml+xml');
    headers.set('accept-language', this.acceptLanguage);
    const response = await fetch(url, { ...init, headers, redirect: 'manual', signal: AbortSignal.timeout(20_000) });
    for (const setCookie of response.headers.getSetCookie()) await this.jar.setCookie(setCookie, url, { ignoreError: true });
    const location = response.headers.get('location');
    if (location && response.status >= 300 && response.status < 400) {
      const next = new URL(location, url).toString();
      if (this.stopAt.some((prefix) => next.startsWith(prefix)) || hops >= 15) {
        return { status: response.status, url: next, headers: response.headers, body: '', html: parse('') };
      }
      return this.request(next, { method: 'GET' }, hops + 1);
    }
    const body = await response.text();
    return { status: response.status, url, headers: response.headers, body, html: parse(body) };
  }
}
