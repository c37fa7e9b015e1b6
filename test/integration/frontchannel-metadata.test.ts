import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { Browser } from '../helpers/browser.ts';
import { registerRp, RP_REDIRECT, signIn } from '../helpers/rp.ts';
import { startTestApp, type TestApp } from '../helpers/test-app.ts';
import { frontchannelMetadataProblem, frontchannelFrameUrl } from '../../src/oidc/frontchannel-logout.ts';

// OpenID Connect Front-Channel Logout 1.0 §2 (client metadata) and §3 (discovery).
describe('front-channel logout registration and discovery', () => {
  let app: TestApp;
  beforeAll(async () => { app = await startTestApp({ label: 'frontchannel-metadata' }); });
  afterAll(async () => app?.stop());

  const add = (metadata: Record<string, unknown>) => app.container.clients.add({ redirect_uris: [RP_REDIRECT], ...metadata });

  test('discovery advertises frontchannel_logout_supported and frontchannel_logout_session_supported', async () => {
    const discovery = await (await fetch(`${app.issuer}/.well-known/openid-configuration`)).json() as Record<string, unknown>;
    expect(discovery.frontchannel_logout_supported).toBe(true);
    expect(discovery.frontchannel_logout_session_supported).toBe(true);
  });

  test('a frontchannel_logout_uri on the origin of a redirect_uri is stored; others are refused', async () => {
    const stored = await add({ frontchannel_logout_uri: 'http://127.0.0.1:9/logout?x=1', frontchannel_logout_session_required: true });
    expect(stored.frontchannel_logout_uri).toBe('http://127.0.0.1:9/logout?x=1');
    await expect(add({ frontchannel_logout_uri: 'http://127.0.0.1:10/logout' })).rejects.toThrow(/scheme, host and port of a registered redirect_uri/);
    await expect(add({ frontchannel_logout_uri: 'http://evil.example/logout' })).rejects.toThrow(/scheme, host and port/);
    await expect(add({ frontchannel_logout_uri: 'http://127.0.0.1:9/logout#frag' })).rejects.toThrow(/without a fragment/);
    await expect(add({ frontchannel_logout_uri: 'javascript:alert(1)' })).rejects.toThrow(/absolute http\(s\) URL/);
    await expect(add({ frontchannel_logout_uri: 'http://127.0.0.1:9/logout', frontchannel_logout_session_required: 'yes' })).rejects.toThrow(/must be a boolean/);
  });

  test('production accepts only https front-channel URIs', () => {
    const metadata = { redirect_uris: ['http://127.0.0.1:9/cb', 'https://shop.example.jp/cb'] };
    expect(frontchannelMetadataProblem('frontchannel_logout_uri', 'http://127.0.0.1:9/logout', metadata, false)).toMatch(/absolute https URL/);
    expect(frontchannelMetadataProblem('frontchannel_logout_uri', 'https://shop.example.jp/logout', metadata, false)).toBeUndefined();
  });

  test('iss and sid are added to the RP\'s own query only when it asked for the session', () => {
    const base = { frontchannel_logout_uri: 'https://shop.example.jp/logout?a=1' };
    expect(frontchannelFrameUrl(base, 'https://id.example.jp', 'sid-1')).toBe('https://shop.example.jp/logout?a=1');
    expect(frontchannelFrameUrl({ ...base, frontchannel_logout_session_required: true }, 'https://id.example.jp', 'sid-1'))
      .toBe('https://shop.example.jp/logout?a=1&iss=https%3A%2F%2Fid.example.jp&sid=sid-1');
    expect(frontchannelFrameUrl({}, 'https://id.example.jp', 'sid-1')).toBeUndefined();
  });

  test('ID tokens carry sid for a client that requires the session, and not for one that does not', async () => {
    const user = { email: 'fc-sid@example.jp', password: 'correct horse battery staple' };
    await app.container.accounts.createByAdmin({ ...user, verified: true });
    const withSession = await registerRp(app, { frontchannel_logout_uri: 'http://127.0.0.1:9/logout', frontchannel_logout_session_required: true });
    const withoutSession = await registerRp(app, { frontchannel_logout_uri: 'http://127.0.0.1:9/logout' });
    const browser = new Browser();
    expect(typeof (await signIn(browser, withSession, user)).tokens.claims()!.sid).toBe('string');
    expect((await signIn(browser, withoutSession, user)).tokens.claims()!.sid).toBeUndefined();
  });
});
