import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { errorText, linkTo } from '../helpers/account-flows.ts';
import { managementClient, OpenApiClient } from '../helpers/admin-api.ts';
import { Browser } from '../helpers/browser.ts';
import { cliEnvFor, runIdp } from '../helpers/cli.ts';
import { authorizationRequest, registerRp, RP_REDIRECT, type Rp } from '../helpers/rp.ts';
import { startTestApp, TEST_SECRETS, type TestApp } from '../helpers/test-app.ts';

// Passwords from breach corpora and common-password lists are refused wherever a password is set: sign-up, reset,
// the CLI, the admin API and SCIM (one check in the account service), with a message that says why.

const COMMON_EN = 'This password is on the lists of leaked and most common passwords that attackers try first. Choose another one.';
const COMMON_JA = 'このパスワードは、流出したパスワードやよく使われるパスワードの一覧に含まれており、攻撃者が最初に試します。別のパスワードを選んでください。';

describe('breached and common passwords', () => {
  let app: TestApp;
  let rp: Rp;

  beforeAll(async () => {
    app = await startTestApp({ label: 'password_policy' });
    rp = await registerRp(app);
  });
  afterAll(async () => app?.stop());

  async function signUp(password: string, language = 'en', email = 'new.person@example.jp') {
    const browser = new Browser();
    browser.acceptLanguage = language;
    browser.stopAt = [RP_REDIRECT];
    const login = await browser.get((await authorizationRequest(rp)).url.toString());
    const form = await browser.get(linkTo(login, '/register'));
    return browser.submit(form, { name: '', email, password });
  }

  test.each(['password', 'P@ssw0rd', 'Password1', 'qwertyuiop'])('sign-up refuses %s with the reason, and creates no account', async (password) => {
    const page = await signUp(password);
    expect(page.status).toBe(400);
    expect(errorText(page)).toBe(COMMON_EN);
    expect(await app.container.models.Account.countDocuments({})).toBe(0);
  });

  test('the reason in Japanese', async () => {
    const page = await signUp('P@ssw0rd', 'ja');
    expect(page.status).toBe(400);
    expect(errorText(page)).toBe(COMMON_JA);
  });

  test('a guessable password that is not on the list is refused as too weak; a passphrase is accepted', async () => {
    const weak = await signUp('sakura1990');
    expect(weak.status).toBe(400);
    expect(errorText(weak)).toMatch(/^This password is too easy to guess/);
    const own = await signUp('new.person@example.jp', 'en', 'new.person@example.jp');
    expect(errorText(own)).toMatch(/^This password is too easy to guess/);
    const fine = await signUp('lantern orbit pickle tundra');
    expect(errorText(fine)).toBe('');
    expect(await app.container.models.Account.countDocuments({ emailNormalized: 'new.person@example.jp' })).toBe(1);
  });

  test('a password reset refuses it before the link is used up', async () => {
    await expect(app.container.accounts.resetPassword('any-token', 'P@ssw0rd', { ip: '127.0.0.1', locale: 'en' }))
      .rejects.toMatchObject({ code: 'password.common', status: 400 });
  });

  test('the CLI, the admin API and SCIM refuse it too', async () => {
    const cli = await runIdp(['users', 'add', '--email', 'cli@example.jp', '--password', 'password'], cliEnvFor(app, TEST_SECRETS));
    expect(cli.status).not.toBe(0);
    expect(cli.stderr).toContain('password.common');

    const api = await OpenApiClient.load(app, '/admin/api/openapi.json', await (await managementClient(app, 'idp:admin')).token());
    const created = await api.call('createUser', { body: { email: 'api@example.jp', password: 'P@ssw0rd' } });
    expect(created.status).toBe(400);
    expect(JSON.stringify(created.body)).toContain('password.common');

    const token = await (await managementClient(app, 'idp:scim')).token();
    const scim = await fetch(`${app.issuer}/scim/v2/Users`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/scim+json', accept: 'application/scim+json' },
      body: JSON.stringify({
        schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], userName: 'scim@example.jp',
        emails: [{ value: 'scim@example.jp', primary: true }], password: 'password',
      }),
    });
    expect(scim.status).toBe(400);
    expect(await app.container.models.Account.countDocuments({ emailNormalized: { $in: ['cli@example.jp', 'api@example.jp', 'scim@example.jp'] } })).toBe(0);
  }, 120_000);
});
