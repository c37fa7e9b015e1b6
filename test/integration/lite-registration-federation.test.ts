import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { linkFrom } from '../helpers/account-flows.ts';
import { Browser } from '../helpers/browser.ts';
import { authorizationRequest, exchangeCode, registerRp, RP_REDIRECT, type Rp } from '../helpers/rp.ts';
import { startMailbox, type Mailbox } from '../helpers/smtp.ts';
import { startTestApp, type TestApp } from '../helpers/test-app.ts';
import { startOidcUpstream, type OidcUpstream } from '../helpers/upstream/oidc-upstream.ts';

// A confirmed lead is carried into the account a social login creates for its address (the upstream vouches for
// the address), through the real upstream OpenID Provider, our callback and the engine.

describe('lite registration and social login', () => {
  let app: TestApp;
  let mailbox: Mailbox;
  let upstream: OidcUpstream;
  let site: Rp;

  beforeAll(async () => {
    mailbox = await startMailbox();
    app = await startTestApp({ label: 'litefed', overrides: { mail: { smtpUrl: mailbox.url } } });
    upstream = await startOidcUpstream({
      name: 'social', clientId: 'idp', clientSecret: 'upstream-secret-0123456789', redirectUris: [`${app.issuer}/federation/social/callback`],
    });
    await app.container.federation.connectors.add({ id: 'social', name: 'Social', issuer: upstream.issuer, client_id: 'idp', client_secret: 'upstream-secret-0123456789' });
    const { legal } = app.container.profile;
    await legal.addVersion({
      documentId: 'marketing', kind: 'marketing', version: '1', effectiveAt: new Date(Date.now() - 1000), requiresReacceptance: true,
      content: { ja: { title: 'お知らせ' }, en: { title: 'News' } },
    });
    await legal.publish('marketing', '1');
    site = await registerRp(app, { lite_registration: { attributes: ['given_name'], legal_documents: { optional: ['marketing'] } } });
  });
  afterAll(async () => {
    await app?.stop();
    await upstream?.close();
    await mailbox?.close();
  });

  test('the first upstream sign-in of the address carries the confirmed lead', async () => {
    const email = 'social.reader@example.jp';
    const sent = await fetch(`${app.issuer}/api/v1/leads`, {
      method: 'POST', body: JSON.stringify({ email, consents: ['marketing'], attributes: { given_name: 'Sora' } }),
      headers: { 'content-type': 'application/json', authorization: `Basic ${Buffer.from(`${site.clientId}:${site.metadata.client_secret as string}`).toString('base64')}` },
    });
    expect(sent.status).toBe(202);
    const browser = new Browser();
    await browser.submit(await browser.get(linkFrom(await mailbox.next(email), app.issuer, '/lite/verify')), {});

    upstream.users.sora = { email, email_verified: true, name: 'Sora Upstream' };
    browser.stopAt = [RP_REDIRECT];
    const request = await authorizationRequest(site);
    const login = await browser.get(request.url.toString());
    const href = login.html.querySelector('[data-connector="social"]')!.getAttribute('href')!;
    const back = await browser.submit(await browser.get(new URL(href, login.url).toString()), { login: 'sora' });
    const claims = (await exchangeCode(site, request, back)).claims()!;

    const account = (await app.container.accountRepository.findById(claims.sub))!;
    expect(account).toMatchObject({ email, emailVerified: true, profile: { given_name: 'Sora' } });
    const { history } = await app.container.profile.legal.overview(account._id);
    expect(history.map((r) => [r.documentId, r.decision, r.method, r.clientId])).toEqual([['marketing', 'granted', 'lite_api', site.clientId]]);
    expect(await app.container.models.Lead.findOne({ accountId: account._id }).lean().exec()).toMatchObject({ status: 'converted' });
  });
});
