import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { type Browser as Chromium, type BrowserContext, type Page } from 'playwright-core';
import { launchChromium } from '../helpers/chromium.ts';
import { authorizationRequest, client, registerRp, RP_REDIRECT, type Rp } from '../helpers/rp.ts';
import { startFrontchannelReceiver, type FrontchannelReceiver } from '../helpers/frontchannel-receiver.ts';
import { startTestApp, type TestApp } from '../helpers/test-app.ts';

// OpenID Connect Front-Channel Logout 1.0 in a real browser: two RPs signed in through one session, the user signs
// out at one of them, and the page after our logout loads both RPs' frontchannel_logout_uri in iframes (with iss and
// sid), under a CSP whose frame-src names exactly those origins, then reaches the post_logout_redirect_uri.

const LOGGED_OUT = 'http://127.0.0.1:9/logged-out';

describe('front-channel logout in a real browser', () => {
  let app: TestApp;
  let chrome: Chromium;
  let receivers: FrontchannelReceiver[];
  let shop: Rp;
  let news: Rp;
  let bystander: Rp;
  const user = { email: 'frontchannel@example.com', password: 'a passphrase typed by hand' };

  const frontchannelRp = (receiver: FrontchannelReceiver, name: string) => registerRp(app, {
    client_name: name,
    redirect_uris: [RP_REDIRECT, `${receiver.origin}/cb`],
    post_logout_redirect_uris: [LOGGED_OUT],
    // The RP's own query stays; iss and sid are added (§2).
    frontchannel_logout_uri: `${receiver.origin}/frontchannel?rp=${name}`,
    frontchannel_logout_session_required: true,
  });

  beforeAll(async () => {
    [app, chrome, ...receivers] = await Promise.all([
      startTestApp({ label: 'frontchannel-browser' }),
      launchChromium(),
      startFrontchannelReceiver(), startFrontchannelReceiver(), startFrontchannelReceiver(),
    ]) as [TestApp, Chromium, ...FrontchannelReceiver[]];
    await app.container.accounts.createByAdmin({ ...user, verified: true });
    shop = await frontchannelRp(receivers[0]!, 'shop');
    news = await frontchannelRp(receivers[1]!, 'news');
    bystander = await frontchannelRp(receivers[2]!, 'bystander');
  });
  afterAll(async () => {
    await chrome?.close();
    await app?.stop();
    await Promise.all((receivers ?? []).map((r) => r.close()));
  });

  async function rpPage(context: BrowserContext): Promise<{ page: Page; violations: string[] }> {
    const page = await context.newPage();
    const violations: string[] = [];
    page.on('console', (message) => { if (/Refused to|Content Security Policy/.test(message.text())) violations.push(message.text()); });
    await page.route('http://127.0.0.1:9/**', (route) => route.fulfill({ status: 200, contentType: 'text/html', body: '<!DOCTYPE html><title>RP</title>' }));
    return { page, violations };
  }

  /**
   * Signs in at `rp` through the login form, or (`sso`) through the session alone, and returns its tokens. The code
   * comes back to the RP's callback on a real listener: a redirect to an unreachable port would end in Chromium's error
   * page, committed a moment later, which can interrupt the test's next navigation.
   */
  async function signInAt(page: Page, rp: Rp, callbackOrigin: string, sso = false) {
    const callback = `${callbackOrigin}/cb`;
    const request = await authorizationRequest(rp, { redirect_uri: callback });
    await page.goto(request.url.toString());
    if (!sso) {
      await page.locator('input[name=email]').fill(user.email);
      await page.locator('input[name=password]').fill(user.password);
      await page.locator('button[type=submit]').click();
    }
    await page.waitForURL((url) => url.href.startsWith(callback), { timeout: 15_000 });
    return client.authorizationCodeGrant(rp.config, new URL(page.url()), {
      pkceCodeVerifier: request.verifier, expectedState: request.state, expectedNonce: request.nonce, idTokenExpected: true,
    });
  }

  async function signInToBoth(page: Page) {
    const first = await signInAt(page, shop, receivers[0]!.origin);
    const second = await signInAt(page, news, receivers[1]!.origin, true);
    const sids = [first.claims()!.sid, second.claims()!.sid];
    expect(sids.every((sid) => typeof sid === 'string' && sid.length > 0)).toBe(true);
    expect(sids[0]).not.toBe(sids[1]);
    return { first, sids: sids as string[] };
  }

  test('both RPs of the session get their iframe with iss and sid; the browser ends at the post_logout_redirect_uri', async () => {
    const context = await chrome.newContext({ locale: 'en-US' });
    try {
      const { page, violations } = await rpPage(context);
      const { first, sids } = await signInToBoth(page);
      for (const r of receivers) r.received.length = 0;

      const confirm = page.waitForResponse((r) => r.url() === `${app.issuer}/session/end/confirm`, { timeout: 15_000 });
      const back = page.waitForRequest((r) => r.url().startsWith(LOGGED_OUT), { timeout: 15_000 }).catch((error: Error) => {
        throw new Error(`${error.message}\nstill at ${page.url()}; CSP: ${JSON.stringify(violations)}`);
      });
      const endSession = client.buildEndSessionUrl(shop.config, { id_token_hint: first.id_token!, post_logout_redirect_uri: LOGGED_OUT, state: 'bye' });
      await page.goto(endSession.toString(), { waitUntil: 'commit' });
      const csp = (await (await confirm).allHeaders())['content-security-policy'] ?? '';
      const framed = Date.now();
      expect((await back).url()).toBe(`${LOGGED_OUT}?state=bye`);
      // The script goes on when the frames have loaded, not only at its 5 s fallback.
      expect(Date.now() - framed).toBeLessThan(4000);

      expect(csp).toContain(`frame-src ${receivers[0]!.origin} ${receivers[1]!.origin};`);
      const [shopSeen, newsSeen, bystanderSeen] = receivers.map((r) => r.received.map((q) => Object.fromEntries(q)));
      expect(shopSeen).toEqual([{ rp: 'shop', iss: app.issuer, sid: sids[0] }]);
      expect(newsSeen).toEqual([{ rp: 'news', iss: app.issuer, sid: sids[1] }]);
      expect(bystanderSeen).toEqual([]);
      expect(violations).toEqual([]);
    } finally {
      await context.close();
    }
  });

  test('without JavaScript the frames still load and a Continue link leads to the post_logout_redirect_uri', async () => {
    const context = await chrome.newContext({ locale: 'ja-JP', javaScriptEnabled: false });
    try {
      const { page } = await rpPage(context);
      const { sids } = await signInToBoth(page);
      for (const r of receivers) r.received.length = 0;
      await page.goto(`${app.issuer}/session/end?client_id=${news.clientId}&state=s2&post_logout_redirect_uri=${encodeURIComponent(LOGGED_OUT)}`);
      await page.locator('button[name=logout][value=yes]').click();
      const link = page.locator('a[data-frontchannel-continue]');
      await link.waitFor({ timeout: 15_000 });
      expect(await page.locator('h1').textContent()).toBe('各サイトからログアウトしています');
      // Bounded wait for both frames' requests (they load in parallel with the page).
      for (let i = 0; i < 50 && receivers[0]!.received.length + receivers[1]!.received.length < 2; i += 1) await page.waitForTimeout(100);
      expect(receivers[0]!.received.map((q) => q.get('sid'))).toEqual([sids[0]]);
      expect(receivers[1]!.received.map((q) => q.get('sid'))).toEqual([sids[1]]);
      const back = page.waitForRequest((r) => r.url().startsWith(LOGGED_OUT), { timeout: 15_000 });
      await link.click();
      expect((await back).url()).toBe(`${LOGGED_OUT}?state=s2`);
    } finally {
      await context.close();
    }
  });
});
