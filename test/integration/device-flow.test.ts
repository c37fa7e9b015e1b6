import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { Browser } from '../helpers/browser.ts';
import { errorText, heading, sleep } from '../helpers/account-flows.ts';
import { client, pollOnce, registerDeviceClient } from '../helpers/device.ts';
import type { Rp } from '../helpers/rp.ts';
import { startTestApp, type TestApp } from '../helpers/test-app.ts';

// The device authorization grant (RFC 8628) without a real browser: the device's polling answers (§3.5
// authorization_pending, slow_down, expired_token, access_denied) and the user code pages' errors.

describe('device authorization grant', () => {
  let app: TestApp;
  let rp: Rp;

  beforeAll(async () => {
    app = await startTestApp({ label: 'device', overrides: {
      deviceFlow: { codeTtl: 6, pollIntervalSeconds: 2 }, rateLimits: { userCodePerIp: { points: 3, duration: 600 } },
    } });
    rp = await registerDeviceClient(app);
  });
  afterAll(async () => {
    await app?.stop();
  });

  test('discovery names the device authorization endpoint; the response has an easy user code and an interval', async () => {
    const discovery = await (await fetch(`${app.issuer}/.well-known/openid-configuration`)).json() as Record<string, unknown>;
    expect(discovery.device_authorization_endpoint).toBe(`${app.issuer}/device/auth`);
    expect(discovery.grant_types_supported).toContain('urn:ietf:params:oauth:grant-type:device_code');

    const started = await client.initiateDeviceAuthorization(rp.config, { scope: 'openid email' });
    expect(started.user_code).toMatch(/^[BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}$/);
    expect(started.verification_uri).toBe(`${app.issuer}/device`);
    expect(started.interval).toBe(2);
    expect(started.expires_in).toBe(6);
  });

  test('polling sooner than the interval gets slow_down, and the interval grows by 5 seconds', async () => {
    const started = await client.initiateDeviceAuthorization(rp.config, { scope: 'openid' });
    const first = await pollOnce(app, rp, started.device_code);
    expect(first).toMatchObject({ status: 400, body: { error: 'authorization_pending' } });
    const second = await pollOnce(app, rp, started.device_code);
    expect(second).toMatchObject({ status: 400, body: { error: 'slow_down' } });
    // 2 + 5 seconds now: a poll 2.2 seconds later is still too soon.
    await sleep(2200);
    const third = await pollOnce(app, rp, started.device_code);
    expect(third.body.error).toBe('slow_down');
  });

  test('an expired device code gets expired_token, and its user code is named expired on the page', async () => {
    const started = await client.initiateDeviceAuthorization(rp.config, { scope: 'openid' });
    await sleep(6500);
    const polled = await pollOnce(app, rp, started.device_code);
    expect(polled).toMatchObject({ status: 400, body: { error: 'expired_token' } });

    const browser = new Browser();
    const input = await browser.get(started.verification_uri);
    const page = await browser.submit(input, { user_code: started.user_code });
    expect(errorText(page)).toBe('That code has expired. Start again on your device to get a new code.');
  });

  test('a wrong code is refused on the page and can be typed again (any case, with or without the hyphen)', async () => {
    const browser = new Browser();
    const input = await browser.get(`${app.issuer}/device`);
    expect(input.status).toBe(200);
    expect(heading(input)).toBe('Connect a device');
    expect(input.html.querySelector('label[for=user_code]')?.text.trim()).toBe('Code from your device');
    const wrong = await browser.submit(input, { user_code: 'BBBB-BBBB' });
    expect(errorText(wrong)).toBe('That code is not right. Check the code on your device and enter it again.');
    expect(wrong.html.querySelector('input[name=user_code]')?.getAttribute('value')).toBe('BBBB-BBBB');

    const started = await client.initiateDeviceAuthorization(rp.config, { scope: 'openid email' });
    const confirm = await browser.submit(wrong, { user_code: started.user_code.replace('-', '').toLowerCase() });
    expect(heading(confirm)).toBe('Confirm the device');
    expect(confirm.body).toContain('Living Room TV');
    expect(confirm.html.querySelector('[data-user-code]')?.text.trim()).toBe(started.user_code);
    expect(confirm.body).toContain('See your email address');
  });

  test('cancelling on the confirmation page gives the device access_denied', async () => {
    const started = await client.initiateDeviceAuthorization(rp.config, { scope: 'openid email' });
    const browser = new Browser();
    browser.acceptLanguage = 'ja';
    // verification_uri_complete carries the code: the engine posts it on by itself (its form_post page).
    const autoPost = await browser.get(started.verification_uri_complete!);
    const confirm = await browser.submit(autoPost, {});
    expect(heading(confirm)).toBe('デバイスの確認');
    expect(confirm.html.querySelector('button[name=abort][value=yes]')).not.toBeNull();
    const cancelled = await browser.submit(confirm, { abort: 'yes' });
    expect(errorText(cancelled)).toBe('デバイスでのサインインはキャンセルされました。');
    const polled = await pollOnce(app, rp, started.device_code);
    expect(polled).toMatchObject({ status: 400, body: { error: 'access_denied' } });
  });

  test('denying on the consent page after signing in also gives the device access_denied', async () => {
    const person = { email: 'device.deny@example.jp', password: 'a password for the sofa' };
    await app.container.accounts.createByAdmin({ ...person, verified: true });
    const started = await client.initiateDeviceAuthorization(rp.config, { scope: 'openid email' });
    const browser = new Browser();
    const confirm = await browser.submit(await browser.get(started.verification_uri_complete!), {});
    const login = await browser.submit(confirm, { confirm: 'yes' });
    expect(login.url).toMatch(new RegExp(`^${app.issuer}/interaction/[^/]+$`));
    const consent = await browser.submit(login, person);
    expect(consent.html.querySelector('button[name=decision][value=deny]')).not.toBeNull();
    const denied = await browser.submit(consent, { decision: 'deny' });
    expect(errorText(denied)).toBe('The sign-in on your device was cancelled.');
    expect(await pollOnce(app, rp, started.device_code)).toMatchObject({ status: 400, body: { error: 'access_denied' } });
  });

  // Runs last: it spends this IP's allowance of wrong codes.
  test('guessing user codes is rate limited (RFC 8628 §5.1): after the wrong codes allowed, even a right one is refused', async () => {
    const browser = new Browser();
    let page = await browser.get(`${app.issuer}/device`);
    const statuses: number[] = [];
    for (let attempt = 0; attempt < 4 && page.status !== 429; attempt += 1) {
      page = await browser.submit(page, { user_code: 'ZZZZ-ZZZZ' });
      statuses.push(page.status);
    }
    expect(statuses.at(-1)).toBe(429);
    expect(statuses.filter((status) => status === 200).length).toBeLessThanOrEqual(3);
    expect(page.headers.get('retry-after')).toMatch(/^\d+$/);

    const started = await client.initiateDeviceAuthorization(rp.config, { scope: 'openid' });
    const input = await new Browser().get(`${app.issuer}/device`);
    const refused = await browser.post(`${app.issuer}/device`, {
      xsrf: input.html.querySelector('input[name=xsrf]')?.getAttribute('value') ?? '', user_code: started.user_code,
    });
    expect(refused.status).toBe(429);
  });
});
