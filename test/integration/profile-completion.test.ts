import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { client, registerRp, type Rp } from '../helpers/rp.ts';
import { startTestApp, type TestApp } from '../helpers/test-app.ts';
import { atRp, Browser, callbackError, fieldNames, finish, startSignIn } from '../helpers/profile-flows.ts';

// Per-site required attributes through the engine's `profile` prompt, with a real RP (openid-client) and a
// cookie-jar browser: exactly the missing attributes are asked, once; the token and userinfo then carry them.

describe('per-site required attributes', () => {
  let app: TestApp;
  let siteA: Rp;
  let siteB: Rp;
  let siteC: Rp;
  const password = 'a long enough password';

  beforeAll(async () => {
    app = await startTestApp({ label: 'profile' });
    siteA = await registerRp(app, { client_name: 'Site A', required_attributes: ['email', 'name'] });
    siteB = await registerRp(app, { client_name: 'Site B', required_attributes: ['email', 'name', 'address'] });
    siteC = await registerRp(app, {
      client_name: 'Site C', required_attributes: ['email', { attribute: 'phone_number', scope: 'phone' }],
    });
  });
  afterAll(async () => app?.stop());

  const newUser = async (email: string) => {
    await app.container.accounts.createByAdmin({ email, password, verified: true });
    return { email, password };
  };

  test('site A asks for the name only; site B later asks for the address only, once; tokens carry the values', async () => {
    const user = await newUser('a-then-b@example.jp');
    const browser = new Browser();

    const a = await startSignIn(browser, siteA, user);
    expect(a.page.status).toBe(200);
    expect(fieldNames(a.page)).toEqual(['name']);
    const afterA = await browser.submit(a.page, { name: 'Hanako Yamada', decision: 'save' });
    expect(atRp(afterA)).toBe(true);
    const tokensA = await finish(siteA, a, afterA);
    expect(tokensA.claims()).toMatchObject({ sub: expect.any(String) });
    const infoA = await client.fetchUserInfo(siteA.config, tokensA.access_token, tokensA.claims()!.sub);
    expect(infoA).toMatchObject({ email: user.email, name: 'Hanako Yamada' });

    // Same browser (signed in): site B needs an address too, and only that is asked.
    const b = await startSignIn(browser, siteB, user, { scope: 'openid email profile address' });
    expect(fieldNames(b.page)).toEqual(['address.street_address', 'address.locality', 'address.region', 'address.postal_code']);
    const afterB = await browser.submit(b.page, {
      'address.postal_code': '100-0001', 'address.region': 'Tokyo', 'address.locality': 'Chiyoda-ku',
      'address.street_address': '1-1 Chiyoda', decision: 'save',
    });
    const tokensB = await finish(siteB, b, afterB);
    const infoB = await client.fetchUserInfo(siteB.config, tokensB.access_token, tokensB.claims()!.sub);
    expect(infoB).toMatchObject({
      name: 'Hanako Yamada',
      address: { postal_code: '100-0001', region: 'Tokyo', locality: 'Chiyoda-ku', street_address: '1-1 Chiyoda' },
    });

    // Asked once: the next visits to A and B go straight back to the site.
    expect(atRp((await startSignIn(browser, siteB, user, { scope: 'openid email profile address' })).page)).toBe(true);
    expect(atRp((await startSignIn(browser, siteA, user)).page)).toBe(true);
  });

  test('a scope-conditional requirement applies only when that scope is requested; the phone stays unverified', async () => {
    const user = await newUser('scoped@example.jp');
    const browser = new Browser();
    const plain = await startSignIn(browser, siteC, user);
    expect(atRp(plain.page)).toBe(true);

    const withPhone = await startSignIn(browser, siteC, user, { scope: 'openid email phone' });
    expect(fieldNames(withPhone.page)).toEqual(['phone_number']);
    const done = await browser.submit(withPhone.page, { phone_number: '090-1234-5678', decision: 'save' });
    const tokens = await finish(siteC, withPhone, done);
    const info = await client.fetchUserInfo(siteC.config, tokens.access_token, tokens.claims()!.sub);
    expect(info).toMatchObject({ phone_number: '+819012345678', phone_number_verified: false });
  });

  test('invalid values re-render the form with a 400 and the field\'s message; nothing is stored', async () => {
    const user = await newUser('invalid@example.jp');
    const browser = new Browser();
    const c = await startSignIn(browser, siteC, user, { scope: 'openid phone' });
    const bad = await browser.submit(c.page, { phone_number: 'call me maybe', decision: 'save' });
    expect(bad.status).toBe(400);
    const input = bad.html.querySelector('input[name=phone_number]');
    expect(input?.getAttribute('aria-invalid')).toBe('true');
    expect(input?.getAttribute('value')).toBe('call me maybe');
    const message = bad.html.querySelector(`#${input?.getAttribute('aria-describedby')}`)?.text ?? '';
    expect(message).toContain('Enter a phone number');
    const empty = await browser.submit(bad, { phone_number: '', decision: 'save' });
    expect(empty.status).toBe(400);
    expect(empty.html.querySelector('.field-error')?.text).toBe('This field is required.');
    const stored = await app.container.accountRepository.findByEmail(user.email);
    expect(stored?.profile?.phone_number).toBeUndefined();
  });

  test('declining returns access_denied to the client', async () => {
    const user = await newUser('refuser@example.jp');
    const browser = new Browser();
    const a = await startSignIn(browser, siteA, user);
    expect(fieldNames(a.page)).toEqual(['name']);
    const back = await browser.submit(a.page, { decision: 'deny' });
    expect(callbackError(back)).toBe('access_denied');
  });

  test('prompt=none with a missing attribute gives interaction_required, not a page', async () => {
    const user = await newUser('silent@example.jp');
    const browser = new Browser();
    await startSignIn(browser, siteB, user, {}); // signs in, stops at the profile page
    const silent = await startSignIn(browser, siteB, user, { prompt: 'none' });
    expect(callbackError(silent.page)).toBe('interaction_required');
  });
});
