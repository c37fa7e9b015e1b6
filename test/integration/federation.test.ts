import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { Browser, type Page } from '../helpers/browser.ts';
import { codeFrom, errorText } from '../helpers/account-flows.ts';
import { authorizationRequest, exchangeCode, registerRp, RP_REDIRECT, type Rp } from '../helpers/rp.ts';
import { startMailbox, type Mailbox } from '../helpers/smtp.ts';
import { startTestApp, type TestApp } from '../helpers/test-app.ts';
import { startMiniServer, type MiniServer } from '../helpers/upstream/mini-oauth-server.ts';
import { startOidcUpstream, type OidcUpstream } from '../helpers/upstream/oidc-upstream.ts';

// Social login and group-company federation end to end: our RP (openid-client) -> us -> a real upstream
// (node-oidc-provider instances, a small OAuth 2.0 server) -> back to us -> linking -> the RP's tokens.

describe('federation', () => {
  let app: TestApp;
  let mailbox: Mailbox;
  let group: OidcUpstream;   // group company IdP: claims in the ID token
  let social: OidcUpstream;  // a second OIDC IdP: claims from userinfo only
  let oauth: MiniServer;     // generic OAuth 2.0 (GitHub-like)
  let rp: Rp;
  const callback = (id: string) => `${app.issuer}/federation/${id}/callback`;

  beforeAll(async () => {
    mailbox = await startMailbox();
    app = await startTestApp({ label: 'federation', overrides: { mail: { smtpUrl: mailbox.url } } });
    [group, social, oauth] = await Promise.all([
      startOidcUpstream({ name: 'grp', clientId: 'idp-at-group', clientSecret: 'group-secret-0123456789', redirectUris: [callback('group')], idTokenClaims: true }),
      startOidcUpstream({ name: 'soc', clientId: 'idp-at-social', clientSecret: 'social-secret-0123456789', redirectUris: [callback('social')], idTokenClaims: false }),
      startMiniServer({ clientId: 'idp-at-oauth', clientSecret: 'oauth-secret-0123456789' }),
    ]);
    const connectors = app.container.federation.connectors;
    await connectors.add({ id: 'group', displayName: 'Group ID', type: 'oidc', issuer: group.issuer, clientId: 'idp-at-group', clientSecret: 'group-secret-0123456789' });
    await connectors.add({ id: 'social', displayName: 'Social', issuer: social.issuer, clientId: 'idp-at-social', clientSecret: 'social-secret-0123456789' });
    await connectors.add({
      id: 'oauth', displayName: 'Hub', type: 'oauth2', clientId: 'idp-at-oauth', clientSecret: 'oauth-secret-0123456789',
      endpoints: { authorization: `${oauth.url}/authorize`, token: `${oauth.url}/token`, userinfo: `${oauth.url}/profile`, emails: `${oauth.url}/emails` },
      scopes: ['read:user', 'user:email'], options: { tokenAuthMethod: 'client_secret_post' },
      mapping: { subject: 'id', email: 'email', email_verified: 'email_verified', name: 'name' },
    });
    await connectors.add({ id: 'tampered', displayName: 'Tampered', issuer: oauth.url, clientId: 'idp-at-oauth', clientSecret: 'oauth-secret-0123456789' });
    rp = await registerRp(app);
  });
  afterAll(async () => {
    await app?.stop();
    await Promise.all([group?.close(), social?.close(), oauth?.close(), mailbox?.close()]);
  });

  /** RP -> our sign-in page -> the connector's button -> upstream sign-in page (its form) or straight back. */
  async function startAt(browser: Browser, connector: string, params: Record<string, string> = {}) {
    browser.stopAt = [RP_REDIRECT];
    const request = await authorizationRequest(rp, params);
    const login = await browser.get(request.url.toString());
    const button = login.html.querySelector(`[data-connector="${connector}"]`);
    if (!button) throw new Error(`no ${connector} button on ${login.url}:\n${login.body.slice(0, 800)}`);
    const page = await browser.get(new URL(button.getAttribute('href')!, login.url).toString());
    return { request, login, page };
  }

  /** Signs in at an upstream oidc-provider as `login` and follows everything back to us. */
  async function viaUpstream(browser: Browser, connector: string, login: string, params: Record<string, string> = {}) {
    const { request, page } = await startAt(browser, connector, params);
    return { request, page: await browser.submit(page, { login }) };
  }

  const sub = (tokens: Awaited<ReturnType<typeof exchangeCode>>) => tokens.claims()!.sub;

  test('first sign-in creates an account from the upstream claims; returning sign-in lands in the same account', async () => {
    group.users.taro = { email: 'taro@group.example', email_verified: true, name: 'Taro Group' };
    const first = await viaUpstream(new Browser(), 'group', 'taro');
    const tokens = await exchangeCode(rp, first.request, first.page);
    const claims = tokens.claims()!;
    expect(claims.amr).toEqual(['fed']);
    const info = await import('openid-client').then((c) => c.fetchUserInfo(rp.config, tokens.access_token, claims.sub));
    expect(info).toMatchObject({ email: 'taro@group.example', email_verified: true, name: 'Taro Group' });

    const again = await viaUpstream(new Browser(), 'group', 'taro');
    expect(sub(await exchangeCode(rp, again.request, again.page))).toBe(claims.sub);
  });

  test('a verified email matching an existing account asks for proof (password) and links after it', async () => {
    const existing = await app.container.accounts.createByAdmin({ email: 'hanako@example.jp', password: 'hanako password 1', verified: true });
    social.users.hanako = { email: 'Hanako@example.jp', email_verified: true, name: 'Hanako' };
    const browser = new Browser();
    const { request, page } = await viaUpstream(browser, 'social', 'hanako');
    expect(page.html.querySelector('form input[name=password]')).not.toBeNull();
    const wrong = await browser.submit(page, { password: 'not the password' });
    expect(wrong.status).toBe(400);
    expect(errorText(wrong)).toMatch(/incorrect/);
    expect(await app.container.federation.linking.identitiesOf(existing._id)).toHaveLength(0);
    const done = await browser.submit(wrong, { password: 'hanako password 1' });
    const tokens = await exchangeCode(rp, request, done);
    expect(tokens.claims()).toMatchObject({ sub: existing._id, amr: ['fed', 'pwd'] });
    // Next time the identity is known: no question asked.
    const again = await viaUpstream(new Browser(), 'social', 'hanako');
    expect((await exchangeCode(rp, again.request, again.page)).claims()).toMatchObject({ sub: existing._id, amr: ['fed'] });
  });

  test('proof by a code mailed to the address links too; two connectors, one account', async () => {
    const existing = await app.container.accounts.createByAdmin({ email: 'jiro@example.jp', verified: true });
    oauth.nextUser = { id: 4242, login: 'jiro', name: 'Jiro' };
    oauth.emails = [{ email: 'old@example.jp', primary: false, verified: false }, { email: 'jiro@example.jp', primary: true, verified: true }];
    const browser = new Browser();
    const { request, page } = await startAt(browser, 'oauth');
    expect(page.html.querySelector('form.federation-code-form')).not.toBeNull();
    const codePage = await browser.submit(page, {}, 'form.federation-code-form');
    const done = await browser.submit(codePage, { code: codeFrom(await mailbox.next('jiro@example.jp')) });
    expect((await exchangeCode(rp, request, done)).claims()).toMatchObject({ sub: existing._id, amr: ['fed', 'otp'] });

    group.users.jiro = { email: 'jiro@example.jp', email_verified: true };
    const other = new Browser(); // another device: no session yet
    const second = await viaUpstream(other, 'group', 'jiro');
    const codeForm = await other.submit(second.page, {}, 'form.federation-code-form');
    const linked = await other.submit(codeForm, { code: codeFrom(await mailbox.next('jiro@example.jp')) });
    expect(sub(await exchangeCode(rp, second.request, linked))).toBe(existing._id);
    expect((await app.container.federation.linking.identitiesOf(existing._id)).map((i) => i.connectorId).sort()).toEqual(['group', 'oauth']);
  });

  test('an unverified upstream email never links: the person confirms an address, and an owner must still prove it', async () => {
    const existing = await app.container.accounts.createByAdmin({ email: 'victim@example.jp', password: 'victim password 1', verified: true });
    social.users.mallory = { email: 'victim@example.jp', email_verified: false };
    const browser = new Browser();
    const { request, page } = await viaUpstream(browser, 'social', 'mallory');
    // Not a sign-in, not a link: an email form (prefilled), and the code goes to the real owner's mailbox.
    expect(page.html.querySelector('input[name=email]')?.getAttribute('value')).toBe('victim@example.jp');
    const codePage = await browser.submit(page, { email: 'victim@example.jp' });
    const mail = await mailbox.next('victim@example.jp');
    const guessed = await browser.submit(codePage, { code: codeFrom(mail) === '000000' ? '111111' : '000000' });
    expect(guessed.status).toBe(400);
    expect(await app.container.federation.linking.identitiesOf(existing._id)).toHaveLength(0);
    expect(guessed.url).not.toContain(RP_REDIRECT);
    expect(request.url.searchParams.get('client_id')).toBe(rp.clientId);
  });

  test('no email at all: a confirmed address creates a new account', async () => {
    oauth.nextUser = { id: 777, login: 'noemail' };
    oauth.emails = [];
    const browser = new Browser();
    const { request, page } = await startAt(browser, 'oauth');
    const codePage = await browser.submit(page, { email: 'fresh@example.jp' });
    const done = await browser.submit(codePage, { code: codeFrom(await mailbox.next('fresh@example.jp')) });
    const claims = (await exchangeCode(rp, request, done)).claims()!;
    const account = await app.container.accountRepository.findById(claims.sub);
    expect(account).toMatchObject({ email: 'fresh@example.jp', emailVerified: true });
  });

  test('wrong, replayed and other-browser state are refused with a page, never a crash', async () => {
    group.users.saburo = { email: 'saburo@group.example', email_verified: true };
    const browser = new Browser();
    const { page } = await startAt(browser, 'group');
    // Stop at our callback to hold the upstream's answer.
    browser.stopAt = [callback('group')];
    const atCallback = await browser.submit(page, { login: 'saburo' });
    expect(atCallback.url.startsWith(callback('group'))).toBe(true);

    const forged = new URL(atCallback.url);
    forged.searchParams.set('state', 'forged-state');
    const refused = await browser.get(forged.toString());
    expect(refused.status).toBe(400);
    expect(errorText(refused)).toMatch(/invalid/);

    const thief = await new Browser().get(atCallback.url);
    expect(thief.status).toBe(400);
    // The state was claimed by the thief's attempt: the real browser cannot reuse it either (single use).
    browser.stopAt = [RP_REDIRECT];
    const replay = await browser.get(atCallback.url);
    expect(replay.status).toBe(400);
  });

  test('upstream cancel and upstream error come back as a page with a way to try again', async () => {
    const browser = new Browser();
    const { page } = await startAt(browser, 'group');
    const cancelled = await browser.submit(page, { cancel: '1' });
    expect(cancelled.status).toBe(400);
    expect(errorText(cancelled)).toMatch(/cancelled/);
    const retry = cancelled.html.querySelector('a[href*="federation?connector=group"]');
    expect(retry).not.toBeNull();
    // Trying again works in the same interaction.
    group.users.shiro = { email: 'shiro@group.example', email_verified: true };
    const again = await browser.get(new URL(retry!.getAttribute('href')!, cancelled.url).toString());
    const done = await browser.submit(again, { login: 'shiro' });
    expect(done.url.startsWith(RP_REDIRECT)).toBe(true);

    oauth.cancel = true;
    try {
      const { page: denied } = await startAt(new Browser(), 'oauth');
      expect(denied.status).toBe(400);
      expect(denied.html.querySelector('a[href*="federation?connector=oauth"]')).not.toBeNull();
    } finally {
      oauth.cancel = false;
    }
  });

  test.each([
    ['nonce', { nonce: 'not-the-nonce' }],
    ['issuer', { iss: 'https://evil.example' }],
    ['audience', { aud: 'someone-else' }],
  ])('an ID token with the wrong %s is refused', async (_what, tamper) => {
    oauth.nextUser = { sub: 'tamper-1', email: 'tamper@example.jp', email_verified: true };
    oauth.tamper = tamper;
    try {
      const { page } = await startAt(new Browser(), 'tampered');
      expect(page.status).toBe(400);
      expect(errorText(page)).toMatch(/could not be verified/);
      expect(await app.container.accountRepository.findByEmail('tamper@example.jp')).toBeNull();
    } finally {
      oauth.tamper = {};
    }
  });

  test('kc_idp_hint goes straight to the connector', async () => {
    group.users.goro = { email: 'goro@group.example', email_verified: true };
    const browser = new Browser();
    browser.stopAt = [RP_REDIRECT];
    const request = await authorizationRequest(rp, { kc_idp_hint: 'group' });
    const upstreamPage = await browser.get(request.url.toString());
    expect(upstreamPage.url.startsWith(group.issuer)).toBe(true);
    const done = await browser.submit(upstreamPage, { login: 'goro' });
    expect((await exchangeCode(rp, request, done)).claims()!.amr).toEqual(['fed']);
  });

  test('unlink from the account page; the last way to sign in cannot be removed', async () => {
    group.users.rokuro = { email: 'rokuro@group.example', email_verified: true };
    const browser = new Browser();
    const first = await viaUpstream(browser, 'group', 'rokuro');
    const accountId = sub(await exchangeCode(rp, first.request, first.page));
    const page = await browser.get(`${app.issuer}/account/identities`);
    expect(page.status).toBe(200);
    const refused = await browser.submit(page, {}, 'li[data-identity=group] form');
    expect(refused.status).toBe(409);
    expect(errorText(refused)).toMatch(/last way/);
    expect(await app.container.federation.linking.identitiesOf(accountId)).toHaveLength(1);

    // Link a second service from the account page, then the first can go.
    social.users.rokuro = { email: 'rokuro@social.example', email_verified: true };
    const link = page.html.querySelectorAll('form[action$="/link"]').find((form) => form.querySelector('button[data-connector=social]'));
    link!.setAttribute('data-link', 'social');
    const upstream = await browser.submit(page, {}, 'form[data-link=social]');
    const confirm = await browser.submit(upstream, { login: 'rokuro' });
    const back = await browser.submit(confirm, {}, 'form[action$="/continue"]');
    expect(back.url).toContain('/account/identities');
    const unlinked = await browser.submit(back, {}, 'li[data-identity=group] form');
    expect(unlinked.status).toBe(200);
    expect((await app.container.federation.linking.identitiesOf(accountId)).map((i) => i.connectorId)).toEqual(['social']);
  });
});
