import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import * as jose from 'jose';
import { Browser } from '../helpers/browser.ts';
import { authorizationRequest, client, registerRp, RP_REDIRECT, signIn, type Rp } from '../helpers/rp.ts';
import { startWithUserAndRp } from '../helpers/scenario.ts';
import { startBackchannelReceiver, type BackchannelReceiver } from '../helpers/backchannel-receiver.ts';
import type { TestApp } from '../helpers/test-app.ts';


describe('consent for third-party clients, and logout', () => {
  let app: TestApp;
  let firstParty: Rp;
  let thirdParty: Rp;
  let plainRp: Rp;
  let receiver: BackchannelReceiver;
  const user = { email: 'consent@example.jp', password: 'a long enough password' };

  beforeAll(async () => {
    receiver = await startBackchannelReceiver();
    ({ app, rp: firstParty } = await startWithUserAndRp({
      label: 'consent', user, rp: { backchannel_logout_uri: receiver.url, backchannel_logout_session_required: true },
    }));
    thirdParty = await registerRp(app, { first_party: false, client_name: 'Partner Shop', policy_uri: 'https://partner.example/privacy' });
    plainRp = await registerRp(app);
  });
  afterAll(async () => {
    receiver?.close();
    await app?.stop();
  });

  test('a third-party client gets a consent page listing the scopes; allow completes, and is remembered', async () => {
    const browser = new Browser();
    browser.stopAt = [RP_REDIRECT];
    const request = await authorizationRequest(thirdParty, { scope: 'openid email profile' });
    const login = await browser.get(request.url.toString());
    const consent = await browser.submit(login, user);
    expect(consent.status).toBe(200);
    expect(consent.html.querySelector('button[name=decision][value=allow]')).not.toBeNull();
    expect(consent.html.querySelector('button[name=decision][value=deny]')).not.toBeNull();
    expect(consent.body).toContain('Partner Shop');
    expect(consent.body).toContain('See your email address');
    expect(consent.body).toContain('https://partner.example/privacy');

    const callback = await browser.submit(consent, { decision: 'allow' });
    expect(new URL(callback.url).searchParams.get('code')).toBeTruthy();

    // Same scopes again: the grant is remembered, no second consent page.
    const again = await signIn(browser, thirdParty, user, { scope: 'openid email' });
    expect(again.page.url).toContain('code=');
  });

  test('deny returns access_denied to the client, with its state', async () => {
    const browser = new Browser();
    browser.stopAt = [RP_REDIRECT];
    const request = await authorizationRequest(thirdParty, { scope: 'openid address' });
    const consent = await browser.submit(await browser.get(request.url.toString()), user);
    const callback = await browser.submit(consent, { decision: 'deny' });
    const params = new URL(callback.url).searchParams;
    expect(params.get('error')).toBe('access_denied');
    expect(params.get('state')).toBe(request.state);
    expect(params.get('code')).toBeNull();
  });

  test('RP-initiated logout with an id_token_hint of this session asks nothing, ends the session, and delivers a back-channel logout token', async () => {
    const browser = new Browser();
    const { tokens } = await signIn(browser, firstParty, user);
    const idToken = tokens.id_token!;
    const sid = tokens.claims()!.sid;
    expect(sid).toBeDefined();

    browser.stopAt = ['http://127.0.0.1:9/logged-out'];
    const endSession = client.buildEndSessionUrl(firstParty.config, {
      id_token_hint: idToken, post_logout_redirect_uri: 'http://127.0.0.1:9/logged-out', state: 'bye',
    });
    const logout = await browser.get(endSession.toString());
    expect(logout.status).toBe(200);
    // No question: a form that submits itself (public/auto-submit.js) with the decision already made.
    expect(logout.html.querySelector('button[name=logout][value=yes]')).toBeNull();
    expect(logout.html.querySelector('form[data-auto-submit] input[type=hidden][name=logout][value=yes]')).not.toBeNull();
    expect(logout.html.querySelector('script[src="/static/auto-submit.js"]')).not.toBeNull();
    // The redirect after the post reaches the RP: form-action names the registered post_logout_redirect_uri's origin.
    expect(logout.headers.get('content-security-policy')).toContain("form-action 'self' http://127.0.0.1:9");
    const done = await browser.submit(logout, {}, 'form[data-auto-submit]');
    expect(done.url).toBe('http://127.0.0.1:9/logged-out?state=bye');

    for (let i = 0; i < 100 && receiver.received.length === 0; i++) await new Promise((r) => setTimeout(r, 50));
    expect(receiver.received).toHaveLength(1);
    const jwks = jose.createRemoteJWKSet(new URL(`${app.issuer}/jwks`));
    const { payload, protectedHeader } = await jose.jwtVerify(receiver.received[0]!, jwks, { issuer: app.issuer, audience: firstParty.clientId });
    expect(protectedHeader.typ).toBe('logout+jwt');
    expect(payload.sub).toBe(tokens.claims()!.sub);
    expect(payload.sid).toBe(sid);
    expect(payload.events).toEqual({ 'http://schemas.openid.net/event/backchannel-logout': {} });
    expect(payload.nonce).toBeUndefined();

    // The session is gone: a new authorization request shows the login page.
    browser.stopAt = [RP_REDIRECT];
    const request = await authorizationRequest(firstParty);
    const page = await browser.get(request.url.toString());
    expect(page.html.querySelector('input[name=password]')).not.toBeNull();
  });

  test('a client without sid in its ID tokens (most RPs) is signed out without a question too', async () => {
    const browser = new Browser();
    const { tokens } = await signIn(browser, plainRp, user);
    expect(tokens.claims()!.sid).toBeUndefined();
    browser.stopAt = ['http://127.0.0.1:9/logged-out'];
    const logout = await browser.get(client.buildEndSessionUrl(plainRp.config, {
      id_token_hint: tokens.id_token!, post_logout_redirect_uri: 'http://127.0.0.1:9/logged-out', state: 'x',
    }).toString());
    expect(logout.html.querySelector('button[name=logout][value=yes]')).toBeNull();
    const done = await browser.submit(logout, {}, 'form[data-auto-submit]');
    expect(done.url).toBe('http://127.0.0.1:9/logged-out?state=x');
  });

  test('without an id_token_hint the confirmation stays, and its answer still goes to the registered URI with state', async () => {
    const browser = new Browser();
    await signIn(browser, firstParty, user);
    browser.stopAt = ['http://127.0.0.1:9/logged-out'];
    const endSession = `${app.issuer}/session/end?client_id=${firstParty.clientId}&state=s1&post_logout_redirect_uri=${encodeURIComponent('http://127.0.0.1:9/logged-out')}`;
    const confirm = await browser.get(endSession);
    expect(confirm.html.querySelector('button[name=logout][value=yes]')).not.toBeNull();
    expect(confirm.html.querySelector('form[data-auto-submit]')).toBeNull();
    expect(confirm.headers.get('content-security-policy')).toContain("form-action 'self' http://127.0.0.1:9");
    const done = await browser.submit(confirm, { logout: 'yes' });
    expect(done.url).toBe('http://127.0.0.1:9/logged-out?state=s1');
  });

  test.each([
    ['with sid (back-channel logout client)', () => firstParty],
    ['without sid (matched by sub and auth_time)', () => plainRp],
  ])('an id_token_hint of an earlier session is not enough to skip the question: %s', async (_label, rpOf) => {
    const rp = rpOf();
    const browser = new Browser();
    const { tokens: earlier } = await signIn(browser, rp, user);
    expect(earlier.claims()!.sid === undefined).toBe(rp === plainRp);
    // auth_time has a resolution of one second.
    await new Promise((r) => setTimeout(r, 1100));
    // A new sign-in session in the same browser: the old hint's sid no longer names it.
    browser.stopAt = ['http://127.0.0.1:9/logged-out'];
    await browser.submit(await browser.get(client.buildEndSessionUrl(rp.config, { id_token_hint: earlier.id_token! }).toString()), {}, 'form');
    await signIn(browser, rp, user);
    const page = await browser.get(client.buildEndSessionUrl(rp.config, {
      id_token_hint: earlier.id_token!, post_logout_redirect_uri: 'http://127.0.0.1:9/logged-out',
    }).toString());
    expect(page.html.querySelector('button[name=logout][value=yes]')).not.toBeNull();
    expect(page.html.querySelector('form[data-auto-submit]')).toBeNull();
  });

  test('"stay signed in" on the logout page keeps the session', async () => {
    const browser = new Browser();
    await signIn(browser, firstParty, user);
    browser.stopAt = ['http://127.0.0.1:9/logged-out'];
    const confirm = await browser.get(`${app.issuer}/session/end?client_id=${firstParty.clientId}&post_logout_redirect_uri=${encodeURIComponent('http://127.0.0.1:9/logged-out')}`);
    await browser.submit(confirm, {});
    const again = await signIn(browser, firstParty, { email: 'x', password: 'y' });
    expect(again.page.url).toContain('code=');
  });
});
