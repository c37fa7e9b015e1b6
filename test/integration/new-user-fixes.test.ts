import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { ACCOUNT_CLIENT_ID } from '../../src/account/account-client.ts';
import { CONSOLE_CLIENT_ID } from '../../src/console/console-client.ts';
import { Browser } from '../helpers/browser.ts';
import { cliEnvFor, runIdp } from '../helpers/cli.ts';
import { startMailbox, type Mailbox } from '../helpers/smtp.ts';
import { startTestApp, TEST_SECRETS, type TestApp } from '../helpers/test-app.ts';

// What a new user ran into: an operator's `idp users add` from a shell with another ISSUER rewrote the account
// pages' redirect URIs (and broke /account); mails said "1440分" for a day; the expired page had no way back.

describe('first-use fixes', () => {
  let app: TestApp;
  let mailbox: Mailbox;

  beforeAll(async () => {
    mailbox = await startMailbox();
    app = await startTestApp({ label: 'new-user-fixes', overrides: { mail: { smtpUrl: mailbox.url }, events: { enabled: false } } });
  });
  afterAll(async () => {
    await app?.stop();
    await mailbox?.close();
  });

  test('a CLI command run with another ISSUER leaves the account pages\' client as the server registered it', async () => {
    const clients = app.container.connection.db!.collection<{ _id: string; payload: { redirect_uris: string[] } }>('oidc_client');
    const before = (await clients.findOne({ _id: ACCOUNT_CLIENT_ID }))!.payload.redirect_uris;
    expect(before).toEqual([`${app.issuer}/account/callback`]);
    const env = { ...cliEnvFor(app, TEST_SECRETS), ISSUER: 'http://localhost:3999' };
    const result = await runIdp(['users', 'add', '--email', 'operator.made@example.jp', '--password', 'a long enough password', '--verified'], env);
    expect(result.status).toBe(0);
    expect((await clients.findOne({ _id: ACCOUNT_CLIENT_ID }))!.payload.redirect_uris).toEqual(before);
    expect((await clients.findOne({ _id: CONSOLE_CLIENT_ID }))!.payload.redirect_uris).toEqual([`${app.issuer}/admin/callback`]);
    // And /account still signs in.
    const browser = new Browser();
    const page = await browser.submit(await browser.get(`${app.issuer}/account`), { email: 'operator.made@example.jp', password: 'a long enough password' });
    expect(page.url).toBe(`${app.issuer}/account`);
  }, 120_000);

  test('the verification mail says 24時間 (24 hours), the reset mail 30分', async () => {
    const account = await app.container.accounts.createByAdmin({ email: 'mail.text@example.jp', password: 'a long enough password' });
    await app.container.accounts.sendVerification(account, { ip: '127.0.0.1', locale: 'ja' });
    const mail = await mailbox.next('mail.text@example.jp');
    expect(mail.text).toContain('24時間');
    expect(mail.text).not.toContain('1440');
    await app.container.accounts.sendVerification(account, { ip: '127.0.0.2', locale: 'en' });
    expect((await mailbox.next('mail.text@example.jp')).text).toContain('expire in 24 hours');
    await app.container.accounts.requestPasswordReset('mail.text@example.jp', { ip: '127.0.0.3', locale: 'ja' });
    expect((await mailbox.next('mail.text@example.jp')).text).toContain('30分');
  });

  test('an unknown or expired sign-in page offers a way back', async () => {
    const page = await new Browser().get(`${app.issuer}/interaction/no-such-interaction`);
    expect(page.status).toBe(400);
    expect(page.html.querySelector('a.button')?.getAttribute('href')).toBeTruthy();
  });
});
