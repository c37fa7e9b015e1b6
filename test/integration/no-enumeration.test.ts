import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { errorText, heading, linkTo, pageShape } from '../helpers/account-flows.ts';
import { Browser, type Page } from '../helpers/browser.ts';
import { authorizationRequest, registerRp, RP_REDIRECT, type Rp } from '../helpers/rp.ts';
import { startWithUserAndRp } from '../helpers/scenario.ts';
import { startMailbox, type Mailbox } from '../helpers/smtp.ts';
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
    ({ app, rp } = await startWithUserAndRp({
      label: 'enum',
      overrides: { rateLimits: { loginPerAccount: { points: 1000 }, loginPerIp: { points: 1000 } } },
      user: known,
    }));
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

// Pages that mail a known address and not an unknown one (or mail each a different message) must answer alike and
// at once: a slow SMTP relay makes any wait for the mail show in the response time.
describe('no user enumeration through mails (slow SMTP relay)', () => {
  const SMTP_DELAY_MS = 400;
  let app: TestApp;
  let rp: Rp;
  let mailbox: Mailbox;
  const known = { email: 'mail.owner@example.com', password: 'the owner passphrase' };
  const taken = { email: 'signup.owner@example.com', password: 'the owner passphrase' };

  beforeAll(async () => {
    mailbox = await startMailbox({ delayMs: SMTP_DELAY_MS });
    app = await startTestApp({
      label: 'enum_mail',
      overrides: { mail: { smtpUrl: mailbox.url }, rateLimits: { mailPerIp: { points: 1000 } } },
    });
    await app.container.accounts.createByAdmin({ ...known, verified: true });
    await app.container.accounts.createByAdmin({ ...taken, verified: true });
    rp = await registerRp(app);
  });
  afterAll(async () => {
    await app?.stop();
    await mailbox?.close();
  });

  /** Submits `form` for a known and for unknown addresses in turn; every answer timed. */
  async function timeBoth(knownEmail: string, submit: (email: string) => Promise<Page>, unknownEmail: (i: number) => string) {
    const timed = async (email: string) => {
      const started = performance.now();
      const page = await submit(email);
      return { ms: performance.now() - started, page, email };
    };
    await timed(unknownEmail(100)); // warm-up (templates, indexes, the first hash)
    await timed(knownEmail);
    const unknown: Array<Awaited<ReturnType<typeof timed>>> = [];
    const knownTries: Array<Awaited<ReturnType<typeof timed>>> = [];
    for (let i = 0; i < 6; i += 1) {
      unknown.push(await timed(unknownEmail(i)));
      knownTries.push(await timed(knownEmail));
    }
    return { unknown, known: knownTries };
  }

  test('forgotten password: same status, same page, similar time, and the answer does not wait for the mail', async () => {
    const browser = new Browser();
    const login = await loginPage(browser, rp);
    const forgot = await browser.get(linkTo(login, '/forgot'));
    expect(forgot.html.querySelector('input[name=email]')).not.toBeNull();
    const { unknown, known: knownTries } = await timeBoth(known.email, (email) => browser.submit(forgot, { email }), (i) => `nobody.reset.${i}@example.com`);

    const shape = pageShape(knownTries[0]!.page, known.email);
    for (const { page, email } of [...unknown, ...knownTries]) {
      expect(page.status).toBe(200);
      expect(pageShape(page, email)).toBe(shape);
    }
    const knownMs = median(knownTries.map((t) => t.ms));
    const unknownMs = median(unknown.map((t) => t.ms));
    // What would tell the addresses apart is the answer waiting for the relay: a gap of the relay's delay. Both
    // answers take a few milliseconds, whose ratio is noise on a loaded machine; the gap is what is checked.
    expect(knownMs).toBeLessThan(SMTP_DELAY_MS);
    expect(Math.abs(unknownMs - knownMs)).toBeLessThan(SMTP_DELAY_MS / 2);
    // The mails still go out, in the background, and only to the known address.
    expect((await mailbox.next(known.email, 20_000)).subject).toBe('Reset your password');
    expect(mailbox.mails.some((m) => m.to.some((to) => to.startsWith('nobody.reset.')))).toBe(false);
  });

  test('sign-up with a taken vs a new address: same status, same page, similar time, no wait for the mail', async () => {
    const browser = new Browser();
    const login = await loginPage(browser, rp);
    const register = await browser.get(linkTo(login, '/register'));
    expect(register.html.querySelector('input[name=email]')).not.toBeNull();
    const submit = (email: string) => browser.submit(register, { email, password: 'a sign-up passphrase', name: '' });
    const { unknown, known: knownTries } = await timeBoth(taken.email, submit, (i) => `new.signup.${i}@example.com`);

    const shape = pageShape(knownTries[0]!.page, taken.email);
    for (const { page, email } of [...unknown, ...knownTries]) {
      expect(page.status).toBe(200);
      expect(heading(page)).toBe('Check your email');
      expect(pageShape(page, email)).toBe(shape);
    }
    const knownMs = median(knownTries.map((t) => t.ms));
    const unknownMs = median(unknown.map((t) => t.ms));
    expect(knownMs).toBeLessThan(SMTP_DELAY_MS);
    expect(unknownMs).toBeLessThan(SMTP_DELAY_MS);
    expect(Math.abs(unknownMs - knownMs)).toBeLessThan(SMTP_DELAY_MS / 2); // the relay's delay, not the noise
    expect((await mailbox.next(taken.email, 20_000)).subject).toBe('You already have an account');
    expect((await mailbox.next('new.signup.0@example.com', 20_000)).subject).toMatch(/verif|confirm/i);
  });
});
