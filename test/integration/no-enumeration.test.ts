import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { errorText } from '../helpers/account-flows.ts';
import { Browser, type Page } from '../helpers/browser.ts';
import { authorizationRequest, registerRp, RP_REDIRECT, type Rp } from '../helpers/rp.ts';
import { startTestApp, type TestApp } from '../helpers/test-app.ts';

// The login page must not tell whether an email has an account: not by status, not by text, not by time.
// And guessing one account's password is stopped after the configured number of failures.

async function loginPage(browser: Browser, rp: Rp): Promise<Page> {
  browser.stopAt = [RP_REDIRECT];
  const page = await browser.get((await authorizationRequest(rp)).url.toString());
  expect(page.html.querySelector('input[name=password]')).not.toBeNull();
  return page;
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
};

describe('no user enumeration on the login page', () => {
  let app: TestApp;
  let rp: Rp;
  const known = { email: 'real.customer@example.com', password: 'the real passphrase' };

  beforeAll(async () => {
    app = await startTestApp({
      label: 'enum',
      overrides: { rateLimits: { loginPerAccount: { points: 1000 }, loginPerIp: { points: 1000 } } },
    });
    await app.container.accounts.createByAdmin({ ...known, verified: true });
    rp = await registerRp(app);
  });
  afterAll(async () => app?.stop());

  test('unknown email and wrong password: same status, same message, similar time', async () => {
    const browser = new Browser();
    let page = await loginPage(browser, rp);
    const attempt = async (email: string) => {
      const started = performance.now();
      page = await browser.submit(page, { email, password: 'not the password' });
      return { ms: performance.now() - started, page };
    };
    // Warm-up: the first unknown-email attempt also prepares the dummy hash.
    await attempt('warm.up@example.com');
    await attempt(known.email);

    const unknown: Array<{ ms: number; page: Page }> = [];
    const wrong: Array<{ ms: number; page: Page }> = [];
    for (let i = 0; i < 7; i += 1) {
      unknown.push(await attempt(`nobody.${i}@example.com`));
      wrong.push(await attempt(known.email));
    }
    for (const { page: answer } of [...unknown, ...wrong]) {
      expect(answer.status).toBe(400);
      expect(errorText(answer)).toBe('The email address or password is incorrect.');
    }
    const ratio = median(unknown.map((a) => a.ms)) / median(wrong.map((a) => a.ms));
    expect(ratio).toBeGreaterThan(0.5);
    expect(ratio).toBeLessThan(2);
  });
});

describe('per-account lockout', () => {
  let app: TestApp;
  let rp: Rp;
  const user = { email: 'targeted@example.com', password: 'the right passphrase' };

  beforeAll(async () => {
    app = await startTestApp({ label: 'lockout', overrides: { rateLimits: { loginPerAccount: { points: 3 } } } });
    await app.container.accounts.createByAdmin({ ...user, verified: true });
    rp = await registerRp(app);
  });
  afterAll(async () => app?.stop());

  test('after 3 failures the 4th attempt is refused with 429 even with the right password', async () => {
    const attacker = new Browser();
    let page = await loginPage(attacker, rp);
    for (let i = 0; i < 3; i += 1) {
      page = await attacker.submit(page, { email: user.email, password: `guess number ${i}` });
      expect(page.status).toBe(400);
    }
    // Another browser, other case of the same address: the limit is on the account, not the browser.
    const owner = new Browser();
    const locked = await owner.submit(await loginPage(owner, rp), { email: user.email.toUpperCase(), password: user.password });
    expect(locked.status).toBe(429);
    expect(locked.url).not.toContain(RP_REDIRECT);
    expect(errorText(locked)).toBe('Too many attempts. Please wait a few minutes and try again.');
    expect(Number(locked.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(locked.html.querySelector('input[name=email]')?.getAttribute('value')).toBe(user.email.toUpperCase());

    // Other accounts are not affected.
    await app.container.accounts.createByAdmin({ email: 'bystander@example.com', password: 'bystander passphrase', verified: true });
    const bystander = new Browser();
    const ok = await bystander.submit(await loginPage(bystander, rp), { email: 'bystander@example.com', password: 'bystander passphrase' });
    expect(ok.url).toMatch(/^http:\/\/127\.0\.0\.1:9\/cb\?code=/);
  });
});
