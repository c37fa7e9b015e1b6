import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { Browser, type Page } from '../helpers/browser.ts';
import { authorizationRequest, client, registerRp, RP_REDIRECT, signIn, type Rp } from '../helpers/rp.ts';
import { startTestApp, type TestApp } from '../helpers/test-app.ts';

// Per-site branding (src/branding): a client's colours reach its pages through /branding/<client_id>.css, its
// Japanese name (client_name#ja) names it on every page in Japanese, its sign-in methods are the only ones offered,
// and metadata that would break the pages (a colour that is not #rrggbb, a logo that is not https) is refused.

const BRANDED = {
  client_name: 'Sakura Books', 'client_name#ja': 'さくら書店',
  logo_uri: 'https://books.example/logo.png',
  branding_primary_color: '#C2410C', branding_background_color: '#fff7ed', branding_text_color: '#1c1917',
  policy_uri: 'https://books.example/privacy', tos_uri: 'https://books.example/terms', support_uri: 'https://books.example/help',
};

const stylesheetOf = (page: Page) => page.html.querySelectorAll('link[rel=stylesheet]').map((l) => l.getAttribute('href')!).find((h) => h.startsWith('/branding/'));
const logoOf = (page: Page) => page.html.querySelector('header.client img.client-logo')?.getAttribute('src');
const siteText = (page: Page) => page.html.querySelector('header.client')?.text.replace(/\s+/g, ' ').trim() ?? '';

describe('per-site branding', () => {
  let app: TestApp;
  let branded: Rp;
  let partner: Rp;
  let plain: Rp;
  const user = { email: 'branding@example.jp', password: 'a long enough password' };

  beforeAll(async () => {
    app = await startTestApp({ label: 'branding' });
    await app.container.accounts.createByAdmin({ ...user, verified: true });
    await app.container.federation.connectors.add({ id: 'github', preset: 'github', clientId: 'gh-client', clientSecret: 'gh-secret-0123456789' });
    branded = await registerRp(app, BRANDED);
    partner = await registerRp(app, { ...BRANDED, first_party: false, client_name: 'Partner Books', 'client_name#ja': 'パートナー書店' });
    plain = await registerRp(app, { client_name: 'Plain Site' });
  });
  afterAll(async () => {
    await app?.stop();
  });

  test('the stylesheet of a branded client holds its colours, is cacheable with an ETag, and is linked from its sign-in page', async () => {
    const browser = new Browser();
    const login = await browser.get((await authorizationRequest(branded)).url.toString());
    expect(login.status).toBe(200);
    const href = stylesheetOf(login);
    expect(href).toMatch(new RegExp(`^/branding/${branded.clientId}\\.css\\?v=[A-Za-z0-9_-]{16}$`));
    expect(logoOf(login)).toBe(BRANDED.logo_uri);
    // The CSP still allows styles from our own origin only: the colours came as a stylesheet, not inline.
    const csp = login.headers.get('content-security-policy')!;
    expect(csp).toContain("style-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
    expect(login.html.querySelectorAll('[style]')).toHaveLength(0);
    // Footer links: privacy, terms, support.
    const footer = login.html.querySelectorAll('footer a').map((a) => a.getAttribute('href'));
    expect(footer).toEqual([BRANDED.policy_uri, BRANDED.tos_uri, BRANDED.support_uri]);

    const css = await fetch(`${app.issuer}${href}`);
    expect(css.status).toBe(200);
    expect(css.headers.get('content-type')).toContain('text/css');
    expect(css.headers.get('cache-control')).toContain('max-age=');
    const etag = css.headers.get('etag');
    expect(etag).toMatch(/^"[A-Za-z0-9_-]{16}"$/);
    const body = await css.text();
    expect(body).toContain('--accent: #c2410c;');
    expect(body).toContain('--bg: #fff7ed;');
    expect(body).toContain('--text: #1c1917;');
    expect(body).toContain('--on-accent: #ffffff;');
    // (fetch would add `Cache-Control: no-cache` to a conditional request; a browser revalidating sends max-age=0.)
    const again = await fetch(`${app.issuer}${href}`, { headers: { 'if-none-match': etag!, 'cache-control': 'max-age=0' } });
    expect(again.status).toBe(304);

    // An unbranded client has no stylesheet; asking for one is a 404, as is a client that does not exist.
    const plainLogin = await new Browser().get((await authorizationRequest(plain)).url.toString());
    expect(stylesheetOf(plainLogin)).toBeUndefined();
    expect(siteText(plainLogin)).toContain('Plain Site');
    expect((await fetch(`${app.issuer}/branding/${plain.clientId}.css`)).status).toBe(404);
    expect((await fetch(`${app.issuer}/branding/nobody.css`)).status).toBe(404);
  });

  test('a colour changed later is served at once under a new version', async () => {
    const rp = await registerRp(app, { client_name: 'Changing', branding_primary_color: '#111111' });
    const first = stylesheetOf(await new Browser().get((await authorizationRequest(rp)).url.toString()));
    await app.container.clients.update(rp.clientId, { branding_primary_color: '#16a34a' });
    const second = stylesheetOf(await new Browser().get((await authorizationRequest(rp)).url.toString()));
    expect(second).toBeDefined();
    expect(second).not.toBe(first);
    expect(await (await fetch(`${app.issuer}${second}`)).text()).toContain('--accent: #16a34a;');
    await app.container.clients.update(rp.clientId, { branding_primary_color: null });
    expect((await fetch(`${app.issuer}/branding/${rp.clientId}.css`)).status).toBe(404);
  });

  test('client_name#ja names the site on the sign-in, consent, logout and expired pages in Japanese', async () => {
    const browser = new Browser();
    browser.stopAt = [RP_REDIRECT];
    const request = await authorizationRequest(partner, { ui_locales: 'ja' });
    const login = await browser.get(request.url.toString());
    expect(login.html.querySelector('html')?.getAttribute('lang')).toBe('ja');
    expect(siteText(login)).toContain('パートナー書店');
    expect(login.body).not.toContain('Partner Books');

    const consent = await browser.submit(login, user);
    expect(consent.html.querySelector('button[name=decision][value=allow]')).not.toBeNull();
    expect(consent.html.querySelector('h1')?.text).toContain('パートナー書店');
    expect(stylesheetOf(consent)).toBe(stylesheetOf(login));
    expect(consent.body).not.toContain('Partner Books');

    const callback = await browser.submit(consent, { decision: 'allow' });
    const tokens = await client.authorizationCodeGrant(partner.config, new URL(callback.url), {
      pkceCodeVerifier: request.verifier, expectedState: request.state, expectedNonce: request.nonce, idTokenExpected: true,
    });
    // A logout asked without the id_token_hint: the confirmation page, in Japanese, for this client.
    const logout = await browser.get(`${app.issuer}/session/end?client_id=${partner.clientId}&ui_locales=ja&post_logout_redirect_uri=${encodeURIComponent('http://127.0.0.1:9/logged-out')}`);
    expect(tokens.id_token).toBeTruthy();
    expect(logout.status).toBe(200);
    expect(logout.html.querySelector('button[name=logout][value=yes]')).not.toBeNull();
    expect(siteText(logout)).toContain('パートナー書店');
    expect(logout.html.querySelector('main p:not(.client-site)')?.text).toContain('パートナー書店');
    expect(stylesheetOf(logout)).toBe(stylesheetOf(login));
    expect(logout.body).not.toContain('Partner Books');

    // The interaction is finished: its page is the expired page, branded for the client it was for.
    const expired = await browser.get(login.url);
    expect(expired.status).toBe(400);
    browser.acceptLanguage = 'ja';
    const expiredJa = await browser.get(login.url);
    expect(siteText(expiredJa)).toContain('パートナー書店');
    expect(stylesheetOf(expiredJa)).toBe(stylesheetOf(login));
  });

  test('the logged-out page after a logout without a redirect names the client in its language', async () => {
    const browser = new Browser();
    browser.acceptLanguage = 'ja';
    await signIn(browser, branded, user);
    const confirm = await browser.get(`${app.issuer}/session/end?client_id=${branded.clientId}`);
    const done = await browser.submit(confirm, { logout: 'yes' });
    expect(done.status).toBe(200);
    expect(siteText(done)).toContain('さくら書店');
    expect(stylesheetOf(done)).toBeDefined();
  });

  test('sign-up, MFA and missing-attribute pages of the client are branded too', async () => {
    const strict = await registerRp(app, { ...BRANDED, client_name: 'Strict Books', mfa_policy: 'required', required_attributes: ['family_name'] });
    const browser = new Browser();
    const login = await browser.get((await authorizationRequest(strict)).url.toString());
    const href = stylesheetOf(login);
    expect(href).toContain(`/branding/${strict.clientId}.css`);
    const register = await browser.get(`${login.url}/register`);
    expect(register.html.querySelector('input[name=password]')).not.toBeNull();
    expect(stylesheetOf(register)).toBe(href);
    expect(siteText(register)).toContain('Strict Books');

    // Signed in: the next prompts (second factor, missing attributes) keep the branding.
    const next = await browser.submit(login, user);
    expect(next.status).toBe(200);
    expect(next.url).toContain('/interaction/');
    expect(next.html.querySelector('input[name=password]')).toBeNull();
    expect(stylesheetOf(next)).toBe(href);
    expect(siteText(next)).toContain('Strict Books');
    expect(next.html.querySelector('h1')?.text).toBe('Set up two-step verification');


    // Missing attributes (no MFA asked here): the profile form, branded.
    const profiled = await registerRp(app, { ...BRANDED, client_name: 'Profile Books', required_attributes: ['family_name'] });
    const other = new Browser();
    const profile = await other.submit(await other.get((await authorizationRequest(profiled)).url.toString()), user);
    expect(profile.html.querySelector('input[name=family_name]')).not.toBeNull();
    expect(stylesheetOf(profile)).toContain(`/branding/${profiled.clientId}.css`);
    expect(siteText(profile)).toContain('Profile Books');
  });

  test('the engine\'s error page for a known client (a redirect_uri it did not register) is branded for it', async () => {
    const page = await new Browser().get(`${app.issuer}/auth?client_id=${branded.clientId}&response_type=code&scope=openid&redirect_uri=${encodeURIComponent('https://elsewhere.example/cb')}&ui_locales=ja`);
    expect(page.status).toBe(400);
    expect(page.html.querySelector('.error[role=alert]')).not.toBeNull();
    expect(siteText(page)).toContain('さくら書店');
    expect(stylesheetOf(page)).toContain(`/branding/${branded.clientId}.css`);
    // An unknown client: the plain error page.
    const unknown = await new Browser().get(`${app.issuer}/auth?client_id=nobody&response_type=code&scope=openid&redirect_uri=${encodeURIComponent(RP_REDIRECT)}`);
    expect(unknown.status).toBe(400);
    expect(unknown.html.querySelector('header.client')).toBeNull();
  });

  test('an http logo (accepted in test, as in development) is allowed by the page\'s CSP for its origin only', async () => {
    const local = await registerRp(app, { client_name: 'Local Books', logo_uri: 'http://127.0.0.1:9/logo.png' });
    const login = await new Browser().get((await authorizationRequest(local)).url.toString());
    expect(logoOf(login)).toBe('http://127.0.0.1:9/logo.png');
    const imgSrc = login.headers.get('content-security-policy')!.split('; ').find((d) => d.startsWith('img-src '));
    expect(imgSrc).toBe("img-src 'self' data: https: http://127.0.0.1:9");
    const unbranded = await new Browser().get((await authorizationRequest(plain)).url.toString());
    expect(unbranded.headers.get('content-security-policy')).toContain("img-src 'self' data: https:;");
  });

  test('login_methods decides what the sign-in page offers, and refuses the others', async () => {
    const federationOnly = await registerRp(app, { client_name: 'Social only', login_methods: ['federation'], branding_primary_color: '#0f172a' });
    const passwordOnly = await registerRp(app, { client_name: 'Password only', login_methods: ['password'] });
    const narrowed = await registerRp(app, { client_name: 'No GitHub', federation_connectors: [] });

    const social = await new Browser().get((await authorizationRequest(federationOnly)).url.toString());
    expect(social.html.querySelector('input[name=password]')).toBeNull();
    expect(social.html.querySelector('a[href$="/register"]')).toBeNull();
    expect(social.html.querySelector('a[href$="/passkey"]')).toBeNull();
    expect(social.html.querySelector('[data-connector=github]')).not.toBeNull();

    // The password form posted by hand is refused for this client, and no session comes of it.
    const refusingBrowser = new Browser();
    refusingBrowser.stopAt = [RP_REDIRECT];
    // The page has no form: a valid CSRF token of this browser comes from another client's sign-in page.
    const other = await refusingBrowser.get((await authorizationRequest(plain)).url.toString());
    const csrf = other.html.querySelector('input[name=_csrf]')!.getAttribute('value')!;
    const page = await refusingBrowser.get((await authorizationRequest(federationOnly)).url.toString());
    const refused = await refusingBrowser.post(page.url, { _csrf: csrf, ...user });
    expect(refused.status).toBe(403);
    expect(refused.html.querySelector('.error[role=alert]')?.text).toContain('does not offer this way of signing in');
    // The error page names the site it was refused for, in its colours.
    expect(siteText(refused)).toContain('Social only');
    expect(stylesheetOf(refused)).toContain(`/branding/${federationOnly.clientId}.css`);
    expect((await refusingBrowser.get(`${page.url}/register`)).status).toBe(403);

    const password = await new Browser().get((await authorizationRequest(passwordOnly)).url.toString());
    expect(password.html.querySelector('input[name=email]')).not.toBeNull();
    expect(password.html.querySelector('input[name=password]')).not.toBeNull();
    expect(password.html.querySelector('[data-connector]')).toBeNull();
    expect(password.html.querySelector('a[href$="/passkey"]')).toBeNull();
    const passwordBrowser = new Browser();
    const passwordPage = await passwordBrowser.get((await authorizationRequest(passwordOnly)).url.toString());
    const federationStart = await passwordBrowser.get(`${passwordPage.url}/federation?connector=github`);
    expect(federationStart.status).toBe(403);

    const none = await new Browser().get((await authorizationRequest(narrowed)).url.toString());
    expect(none.html.querySelector('[data-connector]')).toBeNull();
    expect(none.html.querySelector('a[href$="/passkey"]')).not.toBeNull();
    const everything = await new Browser().get((await authorizationRequest(plain)).url.toString());
    expect(everything.html.querySelector('[data-connector=github]')).not.toBeNull();
    expect(everything.html.querySelector('input[name=password]')).not.toBeNull();
  });

  test('a colour that is not #rrggbb, a logo that is not a web URL and an unknown method are refused with a clear message', async () => {
    const refusal = async (metadata: Record<string, unknown>) => {
      try {
        await registerRp(app, metadata);
      } catch (error) {
        return (error as Error).message;
      }
      throw new Error('accepted');
    };
    expect(await refusal({ branding_primary_color: 'red' })).toContain('branding_primary_color: must be a colour written #rrggbb');
    expect(await refusal({ branding_background_color: '#fff' })).toContain('branding_background_color: must be a colour written #rrggbb');
    expect(await refusal({ branding_text_color: '#1c1917;}body{display:none' })).toContain('branding_text_color');
    expect(await refusal({ logo_uri: 'javascript:alert(1)' })).toMatch(/logo_uri/);
    expect(await refusal({ logo_uri: 'ftp://books.example/logo.png' })).toMatch(/logo_uri/);
    expect(await refusal({ support_uri: 'data:text/html,hi' })).toContain('support_uri: must be an https URL');
    expect(await refusal({ login_methods: ['password', 'magic'] })).toContain('login_methods');
    expect(await refusal({ login_methods: [] })).toContain('login_methods: must name at least one sign-in method');

    await expect(app.container.clients.update(branded.clientId, { branding_primary_color: 'blue' })).rejects.toThrow(/branding_primary_color/);
    // The stored client kept its colour.
    expect((await app.container.clients.get(branded.clientId)).branding_primary_color).toBe('#C2410C');
  });
});
