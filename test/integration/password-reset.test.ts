import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { documentTitle, errorText, heading, linkFrom, linkTo, pageShape, sleep } from '../helpers/account-flows.ts';
import { Browser } from '../helpers/browser.ts';
import { authorizationRequest, client, registerRp, RP_REDIRECT, signIn, type Rp } from '../helpers/rp.ts';
import { startMailbox, type Mailbox } from '../helpers/smtp.ts';
import { startTestApp, type TestApp } from '../helpers/test-app.ts';
import { enrolTotp } from '../helpers/mfa.ts';

// "Forgot your password?" from the login page, the mailed single-use link, and what a reset changes.

/** Login page of a fresh authorization request -> "forgot your password?" -> the email form -> submitted. */
async function requestReset(browser: Browser, rp: Rp, email: string) {
  browser.stopAt = [RP_REDIRECT];
  const request = await authorizationRequest(rp);
  const login = await browser.get(request.url.toString());
  expect(login.status).toBe(200);
  const forgot = await browser.get(linkTo(login, '/forgot'));
  expect(forgot.status).toBe(200);
  expect(forgot.html.querySelector('input[name=email]')).not.toBeNull();
  return browser.submit(forgot, { email });
}

describe('password reset', () => {
  let app: TestApp;
  let rp: Rp;
  let mailbox: Mailbox;

  beforeAll(async () => {
    mailbox = await startMailbox();
    app = await startTestApp({ label: 'reset', overrides: { mail: { smtpUrl: mailbox.url } } });
    rp = await registerRp(app);
  });
  afterAll(async () => {
    await app?.stop();
    await mailbox?.close();
  });

  test('forgot page -> mailed link -> new password: the old one is refused, the new one signs in at the RP', async () => {
    const email = 'forgetful@example.com';
    const oldPassword = 'the old passphrase';
    const newPassword = 'a brand new passphrase';
    const account = await app.container.accounts.createByAdmin({ email, password: oldPassword, verified: true });

    const browser = new Browser();
    const sent = await requestReset(browser, rp, email);
    expect(sent.status).toBe(200);
    expect(heading(sent)).toBe('Check your email');

    const mail = await mailbox.next(email);
    expect(mail.subject).toBe('Reset your password');
    const link = linkFrom(mail, app.issuer, '/password/reset');

    const form = await browser.get(link);
    expect(form.status).toBe(200);
    expect(heading(form)).toBe('Choose a new password');
    expect(documentTitle(form)).toBe('Choose a new password · Group ID');
    expect(form.html.querySelector('input[name=password][type=password]')).not.toBeNull();

    const done = await browser.submit(form, { password: newPassword });
    expect(done.status).toBe(200);
    expect(heading(done)).toBe('Password changed');
    expect((await mailbox.next(email)).subject).toBe('Your password was changed');

    const refused = await signInPage(new Browser(), email, oldPassword);
    expect(refused.status).toBe(400);
    expect(errorText(refused)).toBe('The email address or password is incorrect.');

    const { tokens } = await signIn(new Browser(), rp, { email, password: newPassword });
    expect(tokens.claims()!.sub).toBe(account._id);
  });

  test('a reset of a never-verified account claims it: factors, devices and links set up before the proof go', async () => {
    // Someone registered this address without owning it and added a second factor and a linked service; the
    // mailbox owner's reset link is the first proof of the address.
    const email = 'claimed.by.reset@example.com';
    const squatter = await app.container.accounts.createByAdmin({ email, password: 'squatter passphrase', verified: false });
    await enrolTotp(app, squatter._id);
    await app.container.models.Identity.create({ _id: 'upstream:squatter', connectorId: 'upstream', subject: 'squatter', accountId: squatter._id, createdAt: new Date() });
    await app.container.models.MfaDevice.create({ _id: `device:${squatter._id}`, deviceHash: 'h', accountId: squatter._id, firstSeen: new Date(), lastSeen: new Date(), rememberedUntil: new Date(Date.now() + 86_400_000) });

    const browser = new Browser();
    await requestReset(browser, rp, email);
    const form = await browser.get(linkFrom(await mailbox.next(email), app.issuer, '/password/reset'));
    await browser.submit(form, { password: 'the owner passphrase' });

    expect(await app.container.models.MfaFactor.countDocuments({ accountId: squatter._id })).toBe(0);
    expect(await app.container.models.Identity.countDocuments({ accountId: squatter._id })).toBe(0);
    expect(await app.container.models.MfaDevice.countDocuments({ accountId: squatter._id })).toBe(0);
    const { tokens } = await signIn(new Browser(), rp, { email, password: 'the owner passphrase' });
    expect(tokens.claims()!.sub).toBe(squatter._id);
    expect(tokens.claims()!.acr).toBe('urn:idp:acr:password'); // no MFA step: the squatter's factor is gone
    await app.container.auditTrail.flush();
    const claimed = await app.container.auditTrail.query.list({ accountId: squatter._id, type: 'account.claimed' });
    expect(claimed.items[0]?.data).toMatchObject({ method: 'password_reset', factors: 2, identities: 1, devices: 1 });
  });

  test('a reset link works once', async () => {
    const email = 'once@example.com';
    await app.container.accounts.createByAdmin({ email, password: 'first passphrase', verified: true });
    await requestReset(new Browser(), rp, email);
    const link = linkFrom(await mailbox.next(email), app.issuer, '/password/reset');

    const browser = new Browser();
    const form = await browser.get(link);
    expect(form.status).toBe(200);
    const done = await browser.submit(form, { password: 'second passphrase' });
    expect(done.status).toBe(200);
    expect(heading(done)).toBe('Password changed');

    const replay = await browser.submit(form, { password: 'third passphrase' });
    expect(replay.status).toBe(400);
    expect(heading(replay)).toBe('Something went wrong');
    expect(errorText(replay)).toBe('This password reset link is invalid, already used or expired. Request a new one from the sign-in page.');
    const reopened = await browser.get(link);
    expect(reopened.status).toBe(400);
    expect(reopened.html.querySelector('input[name=password]')).toBeNull();

    const { tokens } = await signIn(new Browser(), rp, { email, password: 'second passphrase' });
    expect(tokens.claims()!.sub).toBeDefined();
    expect((await signInPage(new Browser(), email, 'third passphrase')).status).toBe(400);
  });

  test('a too-short new password shows the form again (400) and keeps the link usable', async () => {
    const email = 'short.reset@example.com';
    await app.container.accounts.createByAdmin({ email, password: 'first passphrase', verified: true });
    await requestReset(new Browser(), rp, email);
    const browser = new Browser();
    const form = await browser.get(linkFrom(await mailbox.next(email), app.issuer, '/password/reset'));
    const short = await browser.submit(form, { password: 'short' });
    expect(short.status).toBe(400);
    expect(errorText(short)).toBe('The password is too short: use at least 8 characters.');
    const done = await browser.submit(short, { password: 'long enough now' });
    expect(heading(done)).toBe('Password changed');
  });

  test('an unknown email gets the same page as a known one, and no mail', async () => {
    const known = 'known.person@example.com';
    const unknown = 'nobody.here@example.com';
    await app.container.accounts.createByAdmin({ email: known, password: 'known passphrase', verified: true });

    const unknownPage = await requestReset(new Browser(), rp, unknown);
    const knownPage = await requestReset(new Browser(), rp, known);
    expect(unknownPage.status).toBe(200);
    expect(pageShape(unknownPage, unknown)).toBe(pageShape(knownPage, known));
    // Mails go out in the background in request order: once the known one has arrived, an unknown one would have too.
    await mailbox.next(known);
    expect(mailbox.mails.filter((m) => m.to.includes(unknown))).toHaveLength(0);
  });

  test('a reset signs out everywhere: sessions end, refresh and access tokens are revoked', async () => {
    const email = 'many.devices@example.com';
    const password = 'session passphrase';
    await app.container.accounts.createByAdmin({ email, password, verified: true });
    const laptop = new Browser();
    const { tokens } = await signIn(laptop, rp, { email, password }, { scope: 'openid offline_access', prompt: 'consent' });
    expect(tokens.refresh_token).toBeDefined();
    // Sanity: the session is live, a new authorization request skips the login page.
    const silent = await laptop.get((await authorizationRequest(rp)).url.toString());
    expect(silent.url).toMatch(/^http:\/\/127\.0\.0\.1:9\/cb\?code=/);

    await requestReset(new Browser(), rp, email);
    const phone = new Browser();
    const form = await phone.get(linkFrom(await mailbox.next(email), app.issuer, '/password/reset'));
    expect(heading(await phone.submit(form, { password: 'new session passphrase' }))).toBe('Password changed');

    const after = await laptop.get((await authorizationRequest(rp)).url.toString());
    expect(after.status).toBe(200);
    expect(after.url).toMatch(/\/interaction\/[^/]+$/);
    expect(after.html.querySelector('input[name=password]')).not.toBeNull();
    await expect(client.refreshTokenGrant(rp.config, tokens.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });
    expect((await client.tokenIntrospection(rp.config, tokens.access_token)).active).toBe(false);
  });

  /** One sign-in attempt on a fresh login page; returns the page that answers the POST. */
  async function signInPage(browser: Browser, email: string, password: string) {
    browser.stopAt = [RP_REDIRECT];
    const login = await browser.get((await authorizationRequest(rp)).url.toString());
    return browser.submit(login, { email, password });
  }
});

describe('password reset links expire', () => {
  let app: TestApp;
  let rp: Rp;
  let mailbox: Mailbox;

  beforeAll(async () => {
    mailbox = await startMailbox();
    app = await startTestApp({ label: 'reset_ttl', overrides: { mail: { smtpUrl: mailbox.url }, ttl: { passwordReset: 1 } } });
    rp = await registerRp(app);
  });
  afterAll(async () => {
    await app?.stop();
    await mailbox?.close();
  });

  test('after its lifetime the link is refused, on the form and on the POST', async () => {
    const email = 'slow.reader@example.com';
    await app.container.accounts.createByAdmin({ email, password: 'original passphrase', verified: true });
    await requestReset(new Browser(), rp, email);
    const link = linkFrom(await mailbox.next(email), app.issuer, '/password/reset');
    const browser = new Browser();
    const form = await browser.get(link);
    expect(form.status).toBe(200);

    await sleep(1500);
    const late = await browser.submit(form, { password: 'too late passphrase' });
    expect(late.status).toBe(400);
    expect(errorText(late)).toBe('This password reset link is invalid, already used or expired. Request a new one from the sign-in page.');
    expect((await browser.get(link)).status).toBe(400);
    const { tokens } = await signIn(new Browser(), rp, { email, password: 'original passphrase' });
    expect(tokens.claims()!.sub).toBeDefined();
  });
});
