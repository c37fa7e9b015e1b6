import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { inflateRawSync } from 'node:zlib';
import { SAML, type Profile } from '@node-saml/node-saml';
import { Browser } from '../helpers/browser.ts';
import { authorizationRequest, registerRp, RP_REDIRECT, signIn, type Rp } from '../helpers/rp.ts';
import { completeSignIn, createTestSp, readPostForm, type TestSp } from '../helpers/saml-sp.ts';
import { startBackchannelReceiver, type BackchannelReceiver } from '../helpers/backchannel-receiver.ts';
import { startTestApp, type TestApp } from '../helpers/test-app.ts';

// Single Logout across protocols: two node-saml SPs and an OIDC RP with back-channel logout share one session.


describe('SAML IdP: single logout', () => {
  let app: TestApp;
  let shop: TestSp;
  let bank: TestSp;
  let rp: Rp;
  let receiver: BackchannelReceiver;
  const user = { email: 'slo.user@example.jp', password: 'a long enough password' };

  beforeAll(async () => {
    app = await startTestApp({ label: 'saml_slo' });
    await app.container.accounts.createByAdmin({ ...user, verified: true });
    receiver = await startBackchannelReceiver();
    rp = await registerRp(app, { backchannel_logout_uri: receiver.url, backchannel_logout_session_required: true });
    shop = await createTestSp(app, 'shop');
    bank = await createTestSp(app, 'bank');
    for (const sp of [shop, bank]) await app.container.saml.sps.add(sp.metadata, { firstParty: true });
  });
  afterAll(async () => {
    receiver?.close();
    await app?.stop();
  });

  /** Signs in to shop (with the password), bank and the RP (both without a page); returns shop's profile. */
  async function signInEverywhere(browser: Browser): Promise<Profile> {
    const shopForm = readPostForm(await completeSignIn(browser, await browser.get(await shop.saml.getAuthorizeUrlAsync('', undefined, {})), user));
    const bankForm = readPostForm(await browser.get(await bank.saml.getAuthorizeUrlAsync('', undefined, {})));
    expect((await bank.saml.validatePostResponseAsync({ SAMLResponse: bankForm.fields.SAMLResponse! })).profile).not.toBeNull();
    await signIn(browser, rp, user);
    return (await shop.saml.validatePostResponseAsync({ SAMLResponse: shopForm.fields.SAMLResponse! })).profile!;
  }

  async function expectSignedOut(browser: Browser) {
    browser.stopAt = [RP_REDIRECT];
    const request = await authorizationRequest(rp, { prompt: 'none' });
    const answer = await browser.get(request.url.toString());
    expect(new URL(answer.url).searchParams.get('error')).toBe('login_required');
    const page = await browser.get(await shop.saml.getAuthorizeUrlAsync('', undefined, {}));
    expect(page.html.querySelector('input[name=password]')).not.toBeNull();
  }

  test('SP-initiated: the session ends, the other SP gets a LogoutRequest, the RP a back-channel logout, the SP its LogoutResponse', async () => {
    const browser = new Browser();
    const profile = await signInEverywhere(browser);
    const before = receiver.received.length;

    const logoutUrl = new URL(await shop.saml.getLogoutUrlAsync(profile, 'shop-relay', {}));
    const requestId = /ID="([^"]+)"/.exec(inflateRawSync(Buffer.from(logoutUrl.searchParams.get('SAMLRequest')!, 'base64')).toString())![1];
    const toBank = readPostForm(await browser.get(logoutUrl.toString()));
    expect(toBank.action).toBe(bank.slo);
    expect(receiver.received.length).toBe(before + 1);
    const request = await bank.saml.validatePostRequestAsync({ SAMLRequest: toBank.fields.SAMLRequest! });
    expect(request.loggedOut).toBe(true);
    expect(request.profile!.issuer).toBe(app.issuer);

    const toShop = readPostForm(await browser.get(await bank.saml.getLogoutResponseUrlAsync(request.profile!, '', {}, true)));
    expect(toShop.action).toBe(shop.slo);
    expect(toShop.fields.RelayState).toBe('shop-relay');
    const xml = Buffer.from(toShop.fields.SAMLResponse!, 'base64').toString('utf8');
    expect(xml).toContain('urn:oasis:names:tc:SAML:2.0:status:Success');
    expect(xml).not.toContain('PartialLogout');
    expect(xml).toContain(`InResponseTo="${requestId}"`);
    // node-saml looks for InResponseTo on a login Response only, so its check is off for this LogoutResponse
    const shopSaml = new SAML({ ...shop.saml.options, validateInResponseTo: 'never' as never });
    expect((await shopSaml.validatePostResponseAsync({ SAMLResponse: toShop.fields.SAMLResponse! })).loggedOut).toBe(true);
    await expectSignedOut(browser);
  });

  test('IdP-initiated: signing out on our logout page also sends the SAML SPs their LogoutRequests', async () => {
    const browser = new Browser();
    await signInEverywhere(browser);
    const before = receiver.received.length;
    browser.stopAt = ['http://127.0.0.1:9/'];
    const confirm = await browser.get(`${app.issuer}/session/end?client_id=${rp.clientId}&post_logout_redirect_uri=${encodeURIComponent('http://127.0.0.1:9/logged-out')}`);
    const first = readPostForm(await browser.submit(confirm, { logout: 'yes' }));
    const firstSp = first.action === shop.slo ? shop : bank;
    const otherSp = firstSp === shop ? bank : shop;
    const firstRequest = await firstSp.saml.validatePostRequestAsync({ SAMLRequest: first.fields.SAMLRequest! });
    const second = readPostForm(await browser.get(await firstSp.saml.getLogoutResponseUrlAsync(firstRequest.profile!, '', {}, true)));
    expect(second.action).toBe(otherSp.slo);
    const secondRequest = await otherSp.saml.validatePostRequestAsync({ SAMLRequest: second.fields.SAMLRequest! });
    const done = await browser.get(await otherSp.saml.getLogoutResponseUrlAsync(secondRequest.profile!, '', {}, true));
    expect(done.url).toBe('http://127.0.0.1:9/logged-out');
    expect(receiver.received.length).toBe(before + 1);
    await expectSignedOut(browser);
  });
});
