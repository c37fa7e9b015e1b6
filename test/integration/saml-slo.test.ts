import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { inflateRawSync } from 'node:zlib';
import { SAML, type Profile } from '@node-saml/node-saml';
import { SignedXml } from 'xml-crypto';
import { Browser } from '../helpers/browser.ts';
import { authorizationRequest, RP_REDIRECT, signIn, type Rp } from '../helpers/rp.ts';
import { completeSignIn, createTestSp, keyPair, readPostForm, type TestSp } from '../helpers/saml-sp.ts';
import { startWithUserAndRp } from '../helpers/scenario.ts';
import { startBackchannelReceiver, type BackchannelReceiver } from '../helpers/backchannel-receiver.ts';
import type { TestApp } from '../helpers/test-app.ts';

// Single Logout across protocols: two node-saml SPs and an OIDC RP with back-channel logout share one session.


describe('SAML IdP: single logout', () => {
  let app: TestApp;
  let shop: TestSp;
  let bank: TestSp;
  let rp: Rp;
  let receiver: BackchannelReceiver;
  const user = { email: 'slo.user@example.jp', password: 'a long enough password' };

  beforeAll(async () => {
    receiver = await startBackchannelReceiver();
    ({ app, rp } = await startWithUserAndRp({
      label: 'saml_slo', user, rp: { backchannel_logout_uri: receiver.url, backchannel_logout_session_required: true },
    }));
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

  /** Signed in at shop, bank and the RP; shop logs out, so our LogoutRequest to bank is outstanding: bank's request. */
  async function awaitingBank(browser: Browser) {
    const profile = await signInEverywhere(browser);
    const toBank = readPostForm(await browser.get(await shop.saml.getLogoutUrlAsync(profile, '', {})));
    expect(toBank.action).toBe(bank.slo);
    return (await bank.saml.validatePostRequestAsync({ SAMLRequest: toBank.fields.SAMLRequest! })).profile!;
  }

  /** A LogoutResponse whose Status is not Success (saml-core §3.2.2.2, Requester), as bank's XML, unsigned. */
  async function failedLogoutResponseXml(request: Profile): Promise<string> {
    const url = new URL(await new SAML({ ...bank.saml.options, privateKey: undefined as never }).getLogoutResponseUrlAsync(request, '', {}, false));
    const xml = inflateRawSync(Buffer.from(url.searchParams.get('SAMLResponse')!, 'base64')).toString().replace(/^<\?xml[^>]*>/, '');
    expect(xml).toContain('urn:oasis:names:tc:SAML:2.0:status:Requester');
    return xml;
  }

  /** HTTP-POST binding signature (enveloped, over the root, after Issuer: saml-core §5.4) with any key. */
  function signRoot(xml: string, signer: ReturnType<typeof keyPair>): string {
    const root = "/*[local-name(.)='LogoutResponse']";
    const sig = new SignedXml({
      privateKey: signer.privateKey, publicCert: signer.cert,
      signatureAlgorithm: 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256', canonicalizationAlgorithm: 'http://www.w3.org/2001/10/xml-exc-c14n#',
    });
    sig.addReference({ xpath: root, digestAlgorithm: 'http://www.w3.org/2001/04/xmlenc#sha256',
      transforms: ['http://www.w3.org/2000/09/xmldsig#enveloped-signature', 'http://www.w3.org/2001/10/xml-exc-c14n#'] });
    sig.computeSignature(xml, { prefix: 'ds', location: { reference: `${root}/*[local-name(.)='Issuer']`, action: 'after' } });
    return sig.getSignedXml();
  }

  test('a non-Success LogoutResponse on HTTP-Redirect is verified like any other: a forged signature is refused', async () => {
    const browser = new Browser();
    const request = await awaitingBank(browser);
    const attacker = new SAML({ ...bank.saml.options, privateKey: keyPair('attacker').privateKey });
    const forged = await browser.get(await attacker.getLogoutResponseUrlAsync(request, '', {}, false));
    expect(forged.status).toBe(400);
    expect(forged.html.querySelector('form[data-auto-submit]')).toBeNull();
    const unsigned = new SAML({ ...bank.saml.options, privateKey: undefined as never });
    const withJunk = `${await unsigned.getLogoutResponseUrlAsync(request, '', {}, false)}&SigAlg=${encodeURIComponent('http://www.w3.org/2001/04/xmldsig-more#rsa-sha256')}&Signature=AAAA`;
    expect((await browser.get(withJunk)).status).toBe(400);
    // The chain still waits for bank: its own signed answer (a failure) ends it, as a partial logout (saml-core §3.7.3.2).
    const toShop = readPostForm(await browser.get(await bank.saml.getLogoutResponseUrlAsync(request, '', {}, false)));
    expect(toShop.action).toBe(shop.slo);
    expect(Buffer.from(toShop.fields.SAMLResponse!, 'base64').toString('utf8')).toContain('urn:oasis:names:tc:SAML:2.0:status:PartialLogout');
  });

  test('a non-Success LogoutResponse on HTTP-POST is verified like any other: a signature by another key is refused', async () => {
    const browser = new Browser();
    const request = await awaitingBank(browser);
    const xml = await failedLogoutResponseXml(request);
    const post = (signed: string) => browser.post(`${app.issuer}/saml/slo`, { SAMLResponse: Buffer.from(signed).toString('base64') });
    const forged = await post(signRoot(xml, keyPair('attacker')));
    expect(forged.status).toBe(400);
    expect(forged.html.querySelector('form[data-auto-submit]')).toBeNull();
    const toShop = readPostForm(await post(signRoot(xml, bank.keys)));
    expect(toShop.action).toBe(shop.slo);
    expect(Buffer.from(toShop.fields.SAMLResponse!, 'base64').toString('utf8')).toContain('urn:oasis:names:tc:SAML:2.0:status:PartialLogout');
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
