import http from 'node:http';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { loadConfig, ConfigError } from '../../src/config/config.loader.ts';
import { Browser } from '../helpers/browser.ts';
import { authorizationRequest, client, exchangeCode, RP_REDIRECT, signIn, type Rp } from '../helpers/rp.ts';
import { startWithUserAndRp } from '../helpers/scenario.ts';
import type { TestApp } from '../helpers/test-app.ts';

describe('bad input gets a clear error and writes nothing', () => {
  let app: TestApp;
  let rp: Rp;
  const user = { email: 'careful@example.jp', password: 'a long enough password' };

  beforeAll(async () => {
    ({ app, rp } = await startWithUserAndRp({ label: 'badinput', user }));
  });
  afterAll(async () => app?.stop());

  const interactions = () => app.container.connection.db!.collection('oidc_interaction').countDocuments();

  test('unknown client: an error page, no redirect, no interaction stored', async () => {
    const before = await interactions();
    const page = await new Browser().get(`${app.issuer}/auth?client_id=nope&response_type=code&scope=openid&redirect_uri=${encodeURIComponent(RP_REDIRECT)}`);
    expect(page.status).toBe(400);
    expect(page.body).toContain('invalid_client');
    // A sentence for people, a way back and the request id for support; not the engine's developer description.
    expect(page.html.querySelector('.error[role=alert]')?.text).toBe('The site that sent you here is not registered with us.');
    expect(page.html.querySelector('a[href="/account"]')).not.toBeNull();
    expect(page.body).toContain(`Request ID: ${page.headers.get('x-request-id')}`);
    expect(await interactions()).toBe(before);
  });

  test('a redirect_uri that is not registered is never redirected to', async () => {
    const browser = new Browser();
    browser.stopAt = ['https://evil.example'];
    const request = await authorizationRequest(rp, { redirect_uri: 'https://evil.example/cb' });
    const page = await browser.get(request.url.toString());
    expect(page.status).toBe(400);
    expect(page.headers.get('location')).toBeNull();
    expect(page.url.startsWith(`${app.issuer}/auth?`)).toBe(true);
    expect(page.body).toContain('redirect_uri');
  });

  test('a wrong CSRF token is refused with 403 and the login is not performed', async () => {
    const browser = new Browser();
    browser.stopAt = [RP_REDIRECT];
    const request = await authorizationRequest(rp);
    const login = await browser.get(request.url.toString());
    const action = new URL(login.html.querySelector('form')!.getAttribute('action')!, login.url).toString();
    const refused = await browser.post(action, { ...user, _csrf: 'forged' });
    expect(refused.status).toBe(403);
    expect(refused.body).toContain('This form has expired or was sent from another page');
    const missing = await browser.post(action, { ...user });
    expect(missing.status).toBe(403);
    // The interaction is still open and still asks for a login.
    const again = await browser.get(action);
    expect(again.html.querySelector('input[name=password]')).not.toBeNull();
  });

  test('malformed and oversize form bodies are refused clearly', async () => {
    const browser = new Browser();
    browser.stopAt = [RP_REDIRECT];
    const login = await browser.get((await authorizationRequest(rp)).url.toString());
    const action = new URL(login.html.querySelector('form')!.getAttribute('action')!, login.url).toString();
    const huge = await browser.post(action, { email: 'a'.repeat(40_000), password: 'x' });
    expect(huge.status).toBe(413);
    expect(huge.body).toContain('The form you sent is too large');
    const json = await browser.request(action, { method: 'POST', body: '{"email":1}', headers: { 'content-type': 'application/json' } });
    expect(json.status).toBe(403); // not a form: no CSRF token can be read from it
    const token = login.html.querySelector('input[name=_csrf]')!.getAttribute('value')!;
    const invalid = await browser.post(action, { _csrf: token, email: 'not-an-email', password: 'x' });
    expect(invalid.status).toBe(400);
    expect(invalid.body).toContain('Enter a valid email address');
    expect(invalid.html.querySelector('input[name=email]')!.getAttribute('value')).toBe('not-an-email');
  });

  test('a replayed authorization code is refused and revokes what it issued', async () => {
    const browser = new Browser();
    browser.stopAt = [RP_REDIRECT];
    const request = await authorizationRequest(rp, { scope: 'openid email' });
    const callback = await browser.submit(await browser.get(request.url.toString()), user);
    const tokens = await exchangeCode(rp, request, callback);
    expect((await client.tokenIntrospection(rp.config, tokens.access_token)).active).toBe(true);
    await expect(exchangeCode(rp, request, callback)).rejects.toMatchObject({ error: 'invalid_grant' });
    expect((await client.tokenIntrospection(rp.config, tokens.access_token)).active).toBe(false);
  });

  test('an expired or unknown interaction shows a page with the way back to the client', async () => {
    const browser = new Browser();
    browser.stopAt = [RP_REDIRECT];
    const login = await browser.get((await authorizationRequest(rp)).url.toString());
    const uid = new URL(login.url).pathname.split('/')[2]!;
    await app.container.connection.db!.collection('oidc_interaction').deleteOne({ _id: uid as never });
    const expired = await browser.get(login.url);
    expect(expired.status).toBe(400);
    expect(expired.body).toContain('This sign-in has expired');
    expect(expired.html.querySelector('a.button')!.getAttribute('href')).toBe('http://127.0.0.1:9');
    const stranger = await new Browser().get(`${app.issuer}/interaction/does-not-exist`);
    expect(stranger.status).toBe(400);
    expect(stranger.body).toContain('This sign-in has expired');
  });

  test('a Host header that is not the issuer is refused (421), so no URL is built from it', async () => {
    const response = await new Promise<http.IncomingMessage & { body: string }>((resolve, reject) => {
      const req = http.request(`${app.issuer}/.well-known/openid-configuration`, { headers: { host: 'evil.example' } }, (res) => {
        let body = '';
        res.on('data', (c) => { body += c; });
        res.on('end', () => resolve(Object.assign(res, { body })));
      });
      req.on('error', reject);
      req.end();
    });
    expect(response.statusCode).toBe(421);
    expect(response.body).not.toContain('evil.example');
    expect((await fetch(`${app.issuer}/healthz`)).status).toBe(200);
  });

  test('security headers on the hosted pages: CSP without inline script, no framing, no caching', async () => {
    const browser = new Browser();
    browser.stopAt = [RP_REDIRECT];
    const login = await browser.get((await authorizationRequest(rp)).url.toString());
    const csp = login.headers.get('content-security-policy')!;
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).toContain("form-action 'self' http://127.0.0.1:9");
    expect(csp).not.toContain('unsafe-inline');
    expect(login.headers.get('cache-control')).toBe('no-store');
    expect(login.headers.get('x-frame-options')).toBe('DENY');
    const cookies = await browser.jar.getCookies(login.url);
    expect(cookies.map((c) => c.key)).toEqual(expect.arrayContaining(['idp_interaction', 'idp_csrf']));
    expect(cookies.every((c) => c.httpOnly && c.sameSite === 'lax')).toBe(true);
  });

  test('a signed-in user is unaffected by all of the above', async () => {
    const { tokens } = await signIn(new Browser(), rp, user);
    expect(tokens.claims()!.sub).toBeDefined();
  });
});

describe('invalid configuration stops start-up with every problem named', () => {
  test('bad values, with the environment variable they came from', () => {
    let error: unknown;
    try {
      loadConfig({ env: { NODE_ENV: 'test', PORT: 'eighty', IDP_TTL_ACCESS_TOKEN: '-5', ISSUER: 'not a url' } });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems.join('\n');
    expect(problems).toContain('port');
    expect(problems).toContain('ttl.accessToken');
    expect(problems).toContain('IDP_TTL_ACCESS_TOKEN');
    expect(problems).toContain('issuer');
  });

  test('production refuses generated secrets and a plain-http issuer', () => {
    expect(() => loadConfig({ env: { NODE_ENV: 'production', ISSUER: 'http://id.example.jp' } })).toThrow(/secrets.cookieKeys[\s\S]*secrets.keyEncryptionKey[\s\S]*must be https/);
  });
});
