import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { errorText } from '../helpers/account-flows.ts';
import { Browser } from '../helpers/browser.ts';
import { authorizationRequest, registerRp, RP_REDIRECT, signIn, type Rp } from '../helpers/rp.ts';
import { startTestApp, type TestApp } from '../helpers/test-app.ts';

// Lazy migration against a small legacy member store on 127.0.0.1: an unknown email with its legacy password becomes
// an account here (profile from the legacy store, password hashed by us) and the legacy store is not asked again;
// a wrong password or a legacy store that is down or too slow creates nothing and says so; a failing legacy store
// is soon not asked at all (circuit breaker).

const SECRET = 'legacy-shared-secret-0123456789';

function startLegacyStore() {
  const members = new Map([['legacy.member@example.jp', { password: 'old system password', profile: { name: 'Legacy Member', given_name: 'Legacy' } }]]);
  const state = { calls: 0, mode: 'up' as 'up' | 'slow' | 'error', lastSecret: '' };
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => { body += chunk; });
    req.on('end', () => {
      state.calls += 1;
      state.lastSecret = String(req.headers['x-legacy-secret'] ?? '');
      if (state.mode === 'slow') return void setTimeout(() => res.writeHead(200).end('{}'), 1500).unref();
      if (state.mode === 'error') return void res.writeHead(500).end();
      if (req.headers['x-legacy-secret'] !== SECRET) return void res.writeHead(403).end();
      const { email, password } = JSON.parse(body) as { email: string; password: string };
      const member = members.get(email.toLowerCase());
      if (!member) return void res.writeHead(404).end();
      if (member.password !== password) return void res.writeHead(401).end();
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ email, email_verified: true, profile: member.profile }));
    });
  });
  return { server, state };
}

describe('lazy migration from a legacy credential endpoint', () => {
  let app: TestApp;
  let rp: Rp;
  const legacy = startLegacyStore();
  const member = { email: 'legacy.member@example.jp', password: 'old system password' };
  const accountOf = (email: string) => app.container.models.Account.findOne({ emailNormalized: email.toLowerCase() }).lean().exec();

  /** Submits the login form and returns the page shown (the RP's redirect on success). */
  async function tryLogin(credentials: { email: string; password: string }) {
    const browser = new Browser();
    browser.stopAt = [RP_REDIRECT];
    const request = await authorizationRequest(rp);
    return browser.submit(await browser.get(request.url.toString()), credentials);
  }

  beforeAll(async () => {
    await new Promise<void>((resolve) => legacy.server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(legacy.server.address() as AddressInfo).port}/api/verify`;
    app = await startTestApp({
      label: 'legacy-migration',
      overrides: { migration: { legacy: { url, secret: SECRET, timeoutMs: 400, volumeThreshold: 2, errorThresholdPercentage: 50, resetTimeoutMs: 60_000 } } },
    });
    rp = await registerRp(app);
  });
  afterAll(async () => {
    legacy.server.close();
    await app?.stop();
  });

  test('a wrong password, or an address the legacy store does not know, creates nothing', async () => {
    const wrong = await tryLogin({ email: member.email, password: 'not the old password' });
    expect(wrong.status).toBe(400);
    expect(errorText(wrong)).toContain('password is incorrect');
    const stranger = await tryLogin({ email: 'nobody@example.jp', password: 'whatever password' });
    expect(stranger.status).toBe(400);
    expect(legacy.state.calls).toBe(2);
    expect(await accountOf(member.email)).toBeNull();
    expect(await accountOf('nobody@example.jp')).toBeNull();
  });

  test('the legacy password signs in, the account is created with its profile and our hash; the second sign-in does not ask', async () => {
    const before = legacy.state.calls;
    const { tokens } = await signIn(new Browser(), rp, member);
    expect(legacy.state.calls).toBe(before + 1);
    expect(legacy.state.lastSecret).toBe(SECRET);
    const account = await accountOf(member.email);
    expect(account).toMatchObject({ emailVerified: true, profile: { name: 'Legacy Member', given_name: 'Legacy' } });
    expect(account!.passwordHash!.startsWith('$argon2id$')).toBe(true);
    expect(tokens.claims()?.sub).toBe(account!._id);

    // Known here now: our hash decides, the legacy store is never asked about this person again (right or wrong).
    await signIn(new Browser(), rp, member);
    expect((await tryLogin({ ...member, password: 'not the old password' })).status).toBe(400);
    expect(legacy.state.calls).toBe(before + 1);
  });

  test('a legacy store that is too slow or failing gives a clear error and no account; then the breaker stops asking it', async () => {
    const email = 'legacy.member2@example.jp';
    legacy.state.mode = 'slow';
    const started = Date.now();
    const slow = await tryLogin({ email, password: 'some password' });
    expect(Date.now() - started).toBeLessThan(3000);
    expect(slow.status).toBe(503);
    expect(errorText(slow)).toContain('could not check your password');
    expect(slow.html.querySelector('input[name=email]')).not.toBeNull();

    legacy.state.mode = 'error';
    expect((await tryLogin({ email, password: 'some password' })).status).toBe(503);
    expect(await accountOf(email)).toBeNull();

    // Failures pass half of the calls in the breaker's window (the earlier answers count as successes): it opens,
    // and sign-ins of unknown emails no longer reach the legacy store.
    let reached = true;
    for (let attempt = 0; attempt < 6 && reached; attempt++) {
      const calls = legacy.state.calls;
      expect((await tryLogin({ email, password: 'some password' })).status).toBe(503);
      reached = legacy.state.calls > calls;
    }
    expect(reached).toBe(false);
    const calls = legacy.state.calls;
    expect((await tryLogin({ email, password: 'some password' })).status).toBe(503);
    expect(legacy.state.calls).toBe(calls);
    // Accounts that are already here are not affected.
    expect((await signIn(new Browser(), rp, member)).tokens.claims()?.sub).toBeTruthy();
  });
});
