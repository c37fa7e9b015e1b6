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
});
