import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { Browser, type Page } from '../helpers/browser.ts';
import { authorizationRequest, registerRp, RP_REDIRECT, type Rp } from '../helpers/rp.ts';
import { startTestApp, type TestApp } from '../helpers/test-app.ts';

// Per-IP limits, the risk engine's network signal and audit IPs all use the client address. X-Forwarded-For is
// believed only when the request comes from a listed proxy; from anyone else, the socket address counts.

const user = { email: 'ip.target@example.com', password: 'the right passphrase' };

async function start(trustedProxies: string[]): Promise<{ app: TestApp; rp: Rp }> {
  const app = await startTestApp({
    label: `client_ip_${trustedProxies.length}`,
    overrides: {
      proxy: true, http: { trustedProxies },
      rateLimits: { loginPerIp: { points: 3 }, loginPerAccount: { points: 1000 } },
    },
  });
  await app.container.accounts.createByAdmin({ ...user, verified: true });
  return { app, rp: await registerRp(app) };
}

/** One sign-in attempt with a wrong password, in a fresh browser claiming to be `forwardedFor`. */
async function failedAttempt(rp: Rp, forwardedFor: string): Promise<Page> {
  const browser = new Browser();
  browser.stopAt = [RP_REDIRECT];
  browser.headers = { 'x-forwarded-for': forwardedFor };
  const login = await browser.get((await authorizationRequest(rp)).url.toString());
  expect(login.html.querySelector('input[name=password]')).not.toBeNull();
  return browser.submit(login, { email: user.email, password: 'a wrong guess' });
}

/** The cookies the engine sets on /auth for a request that claims X-Forwarded-Proto: https. */
async function authCookies(app: TestApp, rp: Rp): Promise<string[]> {
  const browser = new Browser();
  browser.stopAt = [`${app.issuer}/interaction/`];
  browser.headers = { 'x-forwarded-proto': 'https' };
  const answer = await browser.get((await authorizationRequest(rp)).url.toString());
  expect(answer.status).toBe(303);
  return answer.headers.getSetCookie();
}

describe('X-Forwarded-* from a peer that is not a trusted proxy (127.0.0.1 not listed)', () => {
  let app: TestApp;
  let rp: Rp;
  beforeAll(async () => ({ app, rp } = await start(['192.0.2.10'])));
  afterAll(async () => app?.stop());

  test('a new X-Forwarded-For per attempt does not reset the per-IP sign-in limit', async () => {
    for (let i = 1; i <= 3; i += 1) expect((await failedAttempt(rp, `198.51.100.${i}`)).status).toBe(400);
    const fourth = await failedAttempt(rp, '198.51.100.77');
    expect(fourth.status).toBe(429);
  });

  test('X-Forwarded-Proto: https does not make the plain-http request secure (no Secure cookies)', async () => {
    const cookies = await authCookies(app, rp);
    expect(cookies.length).toBeGreaterThan(0);
    for (const cookie of cookies) expect(cookie).not.toMatch(/;\s*secure/i);
  });
});

describe('X-Forwarded-* from a trusted proxy (127.0.0.1 listed)', () => {
  let app: TestApp;
  let rp: Rp;
  beforeAll(async () => ({ app, rp } = await start(['127.0.0.1', '2001:db8::/32'])));
  afterAll(async () => app?.stop());

  test('the forwarded client address is the one limited', async () => {
    // Four different clients behind the proxy: none reaches the limit of three.
    for (let i = 1; i <= 4; i += 1) expect((await failedAttempt(rp, `203.0.113.${i}`)).status).toBe(400);
    // One client three times: its fourth attempt is refused, through the same proxy, while another client is not.
    for (let i = 0; i < 2; i += 1) expect((await failedAttempt(rp, '203.0.113.1')).status).toBe(400);
    expect((await failedAttempt(rp, '203.0.113.1')).status).toBe(429);
    // What the client typed on the left of the list is not believed: the proxy appended the real address.
    expect((await failedAttempt(rp, '203.0.113.1, 203.0.113.9')).status).toBe(400);
    expect((await failedAttempt(rp, '2001:db8::1, 203.0.113.1')).status).toBe(429);
  });

  test('X-Forwarded-Proto: https from the proxy makes the request secure (Secure cookies)', async () => {
    const cookies = await authCookies(app, rp);
    expect(cookies.length).toBeGreaterThan(0);
    for (const cookie of cookies) expect(cookie).toMatch(/;\s*secure/i);
  });
});
