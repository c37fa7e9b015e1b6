import { createHash, randomBytes } from 'node:crypto';
import { CookieJar } from 'tough-cookie';
import { parse } from 'node-html-parser';
import type { ReadyInfo } from './protocol.ts';

// The load generator's HTTP side: global fetch (undici, keep-alive connections to 127.0.0.1), manual redirects,
// one cookie jar per sign-in, and the few protocol requests the scenarios make.

const TIMEOUT_MS = 30_000;

export class HttpError extends Error {
  readonly status: number;
  constructor(message: string, status: number) {
    super(message);
    this.name = 'HttpError';
    this.status = status;
  }
}

export function basicAuth(info: ReadyInfo): string {
  const pair = `${encodeURIComponent(info.clientId)}:${encodeURIComponent(info.clientSecret)}`;
  return `Basic ${Buffer.from(pair).toString('base64')}`;
}

async function postForm(url: string, form: Record<string, string>, headers: Record<string, string>): Promise<Response> {
  return fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json', ...headers },
    body: new URLSearchParams(form).toString(),
    signal: AbortSignal.timeout(TIMEOUT_MS),
  });
}

async function json(response: Response, what: string): Promise<Record<string, unknown>> {
  const text = await response.text();
  if (!response.ok) throw new HttpError(`${what}: HTTP ${response.status} ${text.slice(0, 300)}`, response.status);
  return JSON.parse(text) as Record<string, unknown>;
}

export interface TokenSet {
  access_token: string;
  refresh_token?: string;
  id_token?: string;
}

export async function tokenRequest(info: ReadyInfo, form: Record<string, string>): Promise<TokenSet> {
  const body = await json(await postForm(`${info.issuer}/token`, form, { authorization: basicAuth(info) }), `token ${form.grant_type}`);
  if (typeof body.access_token !== 'string') throw new Error(`token ${form.grant_type}: no access_token`);
  return body as unknown as TokenSet;
}

export async function introspect(info: ReadyInfo, token: string, hint: string): Promise<Record<string, unknown>> {
  return json(await postForm(`${info.issuer}/token/introspection`, { token, token_type_hint: hint }, { authorization: basicAuth(info) }), 'introspection');
}

export async function userinfo(info: ReadyInfo, accessToken: string): Promise<Record<string, unknown>> {
  return json(await fetch(`${info.issuer}/me`, {
    headers: { authorization: `Bearer ${accessToken}`, accept: 'application/json' },
    signal: AbortSignal.timeout(TIMEOUT_MS),
  }), 'userinfo');
}

interface Page {
  status: number;
  url: string;
  body: string;
}

/** A browser without a window: cookie jar, manual redirects, stops at the redirect_uri. */
class Browser {
  readonly jar = new CookieJar();
  private readonly stopAt: string;
  constructor(stopAt: string) {
    this.stopAt = stopAt;
  }

  async request(url: string, init: RequestInit, hops = 0): Promise<Page> {
    const headers = new Headers(init.headers);
    const cookie = await this.jar.getCookieString(url);
    if (cookie) headers.set('cookie', cookie);
    headers.set('accept', 'text/html,application/xhtml+xml');
    headers.set('accept-language', 'en');
    const response = await fetch(url, { ...init, headers, redirect: 'manual', signal: AbortSignal.timeout(TIMEOUT_MS) });
    for (const setCookie of response.headers.getSetCookie()) await this.jar.setCookie(setCookie, url, { ignoreError: true });
    const location = response.headers.get('location');
    if (location && response.status >= 300 && response.status < 400) {
      await response.body?.cancel();
      const next = new URL(location, url).toString();
      if (next.startsWith(this.stopAt)) return { status: response.status, url: next, body: '' };
      if (hops >= 10) throw new Error(`too many redirects at ${url}`);
      return this.request(next, { method: 'GET' }, hops + 1);
    }
    return { status: response.status, url, body: await response.text() };
  }

  /** Submits the first form of the page: its hidden inputs plus `values`. */
  async submit(page: Page, values: Record<string, string>): Promise<Page> {
    const form = parse(page.body).querySelector('form');
    if (!form) throw new Error(`no form at ${page.url} (HTTP ${page.status}): ${page.body.slice(0, 300)}`);
    const fields: Record<string, string> = {};
    for (const input of form.querySelectorAll('input[type=hidden]')) {
      const name = input.getAttribute('name');
      if (name) fields[name] = input.getAttribute('value') ?? '';
    }
    const action = new URL(form.getAttribute('action') ?? page.url, page.url).toString();
    return this.request(action, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ ...fields, ...values }).toString(),
    });
  }
}

const base64url = (buffer: Buffer) => buffer.toString('base64url');

/**
 * One complete sign-in: authorization request (PKCE S256) -> login page -> credentials (with the page's hidden
 * fields, `_csrf` included) -> [consent, when asked for with prompt=consent] -> code -> token exchange.
 */
export async function signIn(info: ReadyInfo, scope: string, extra: Record<string, string> = {}): Promise<TokenSet> {
  const browser = new Browser(info.redirectUri);
  const verifier = base64url(randomBytes(32));
  const state = base64url(randomBytes(16));
  const authorize = new URL(`${info.issuer}/auth`);
  for (const [key, value] of Object.entries({
    client_id: info.clientId, response_type: 'code', redirect_uri: info.redirectUri, scope, state,
    nonce: base64url(randomBytes(16)), code_challenge: base64url(createHash('sha256').update(verifier).digest()),
    code_challenge_method: 'S256', ...extra,
  })) authorize.searchParams.set(key, value);

  let page = await browser.request(authorize.toString(), { method: 'GET' });
  for (let step = 0; !page.url.startsWith(info.redirectUri); step += 1) {
    if (step >= 3 || page.status !== 200) throw new Error(`sign-in stuck at ${page.url} (HTTP ${page.status}): ${page.body.slice(0, 300)}`);
    // Step 0 is the login page; a later page is the consent page (prompt=consent), answered "allow".
    page = await browser.submit(page, step === 0 ? info.loginValues : { decision: 'allow' });
  }
  const callback = new URL(page.url);
  const code = callback.searchParams.get('code');
  if (!code || callback.searchParams.get('state') !== state) throw new Error(`no code in redirect ${page.url}`);
  return tokenRequest(info, { grant_type: 'authorization_code', code, redirect_uri: info.redirectUri, code_verifier: verifier });
}
