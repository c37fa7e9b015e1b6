import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { Browser, type Page } from '../helpers/browser.ts';
import { accountIdOf, codeInput, enrolTotp, submitCode, totpAt } from '../helpers/mfa.ts';
import { registerRp, signIn, type Rp } from '../helpers/rp.ts';
import { startTestApp, type TestApp } from '../helpers/test-app.ts';
import { startOidcUpstream, type OidcUpstream } from '../helpers/upstream/oidc-upstream.ts';

// The engine session is shared by every site: a password-only sign-in at a site with mfa_policy 'off' must not
// change an account that has a second factor on /account/*. And nothing on the identities page changes on a GET.
const password = 'correct horse battery staple';

describe('account pages: every change needs the account\'s own level', () => {
  let app: TestApp;
  let upstream: OidcUpstream;
  let off: Rp;
  const callback = () => `${app.issuer}/federation/corp/callback`;

  beforeAll(async () => {
    // Risk never asks for MFA here: the only reasons are the client's policy, the acr asked and the account's factors.
    app = await startTestApp({ label: 'accountlevel', overrides: { mfa: { risk: { threshold: 1000 } } } });
    upstream = await startOidcUpstream({ name: 'corp', clientId: 'idp', clientSecret: 'upstream-secret-0123456789', redirectUris: [callback()] });
    await app.container.federation.connectors.add({ id: 'corp', name: 'Corp', issuer: upstream.issuer, client_id: 'idp', client_secret: 'upstream-secret-0123456789' });
    for (const name of ['weak', 'linker']) {
      await app.container.accounts.createByAdmin({ email: `${name}@example.jp`, password, name: `${name} before`, verified: true });
    }
    off = await registerRp(app, { mfa_policy: 'off' });
  });
  afterAll(async () => {
    await app?.stop();
    await upstream?.close();
  });

  const nameOf = async (accountId: string) => (await app.container.accountRepository.findById(accountId))?.profile?.name;
  const identities = (accountId: string) => app.container.federation.linking.identitiesOf(accountId);
  /** Where a refused change sends the browser: the account sign-in, asking for what is missing, back to `page`. */
  const stepUpOf = (refused: Page) => {
    const url = new URL(refused.url);
    return { path: url.pathname, return: url.searchParams.get('return'), acr: url.searchParams.get('acr_values') };
  };

  test('a password-only session cannot save the profile, unlink or withdraw; after the TOTP step-up it can', async () => {
    const accountId = await accountIdOf(app, 'weak@example.jp');
    const secret = await enrolTotp(app, accountId);
    await app.container.federation.linking.link(accountId, 'corp', { subject: 'weak-at-corp', emailVerified: true, claims: {} }, 'signed_in');
    const browser = new Browser();
    await signIn(browser, off, { email: 'weak@example.jp', password });
    browser.stopAt = [`${app.issuer}/account/login`];

    // Reading stays at the session's level.
    const profile = await browser.get(`${app.issuer}/account/profile`);
    expect(profile.status).toBe(200);
    const refusedProfile = await browser.submit(profile, { name: 'changed by a password alone' }, 'form[action="/account/profile"]');
    expect(refusedProfile.status).toBe(303);
    expect(stepUpOf(refusedProfile)).toEqual({ path: '/account/login', return: '/account/profile', acr: 'urn:idp:acr:mfa' });
    expect(await nameOf(accountId)).toBe('weak before');

    const page = await browser.get(`${app.issuer}/account/identities`);
    expect(page.status).toBe(200);
    const refusedUnlink = await browser.submit(page, {}, 'li[data-identity=corp] form');
    expect(refusedUnlink.status).toBe(303);
    expect(stepUpOf(refusedUnlink)).toEqual({ path: '/account/login', return: '/account/identities', acr: 'urn:idp:acr:mfa' });
    expect(await identities(accountId)).toHaveLength(1);

    const csrf = page.html.querySelector('input[name=_csrf]')!.getAttribute('value')!;
    const refusedWithdraw = await browser.post(`${app.issuer}/account/consents/withdraw`, { _csrf: csrf, document: 'marketing' });
    expect(refusedWithdraw.status).toBe(303);
    expect(stepUpOf(refusedWithdraw).return).toBe('/account/consents');

    // The step-up: the engine asks for the second factor only, then the person is back on the page.
    browser.stopAt = [];
    const challenge = await browser.get(refusedUnlink.url);
    expect(codeInput(challenge)).not.toBeNull();
    const back = await submitCode(browser, challenge, await totpAt(secret));
    expect(`${back.status} ${back.url}`).toBe(`200 ${app.issuer}/account/identities`);

    const saved = await browser.submit(await browser.get(`${app.issuer}/account/profile`), { name: 'changed after the step-up' }, 'form[action="/account/profile"]');
    expect(saved.url).toBe(`${app.issuer}/account/profile?saved=1`);
    expect(await nameOf(accountId)).toBe('changed after the step-up');
    // The password is the other way to sign in, so the identity may go.
    const unlinked = await browser.submit(back, {}, 'li[data-identity=corp] form');
    expect(unlinked.status).toBe(200);
    expect(await identities(accountId)).toHaveLength(0);
  });

  test('a GET to the link and continue URLs changes nothing; the link is made by the confirmation POST', async () => {
    const accountId = await accountIdOf(app, 'linker@example.jp');
    upstream.users.linker = { email: 'linker@corp.example', email_verified: true };
    const transactions = () => app.container.models.FederationTransaction.countDocuments({ accountId }).exec();
    const browser = new Browser();
    await signIn(browser, off, { email: 'linker@example.jp', password });
    browser.stopAt = [upstream.issuer];

    // A link (an image, a prefetch, a page elsewhere) does not start an upstream sign-in bound to the account.
    const viaGet = await browser.get(`${app.issuer}/account/identities/link?connector=corp`);
    expect(viaGet.url.startsWith(upstream.issuer)).toBe(false);
    expect(await transactions()).toBe(0);
    const page = await browser.get(`${app.issuer}/account/identities`);
    const forged = await browser.post(`${app.issuer}/account/identities/link`, { connector: 'corp', _csrf: 'forged' });
    expect(forged.status).toBe(403);
    expect(await transactions()).toBe(0);

    // The button is a POST form; the upstream's redirect back lands on a confirmation page.
    const button = page.html.querySelector('button[data-connector=corp]');
    expect(button?.getAttribute('type')).toBe('submit');
    browser.stopAt = [];
    const upstreamLogin = await browser.submit(page, {}, 'form[action="/account/identities/link"]');
    expect(upstreamLogin.url.startsWith(upstream.issuer)).toBe(true);
    const confirm = await browser.submit(upstreamLogin, { login: 'linker' });
    expect(`${confirm.status} ${new URL(confirm.url).pathname}`).toBe('200 /account/identities/continue');
    expect(confirm.html.querySelector('main')?.text).toContain('linker@corp.example');
    expect(await identities(accountId)).toHaveLength(0);
    const again = await browser.get(`${app.issuer}/account/identities/continue`);
    expect(again.status).toBe(200);
    expect(await identities(accountId)).toHaveLength(0);

    const linked = await browser.submit(confirm, {}, 'form[action="/account/identities/continue"]');
    expect(`${linked.status} ${linked.url}`).toBe(`200 ${app.issuer}/account/identities?linked=corp`);
    expect((await identities(accountId)).map((i) => i.connectorId)).toEqual(['corp']);
  });
});
