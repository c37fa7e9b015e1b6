import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { Browser } from '../helpers/browser.ts';
import { createTestSp, type TestSp } from '../helpers/saml-sp.ts';
import { clientIdFor } from '../../src/saml/idp/sp-registry.service.ts';
import { startTestApp, type TestApp } from '../helpers/test-app.ts';

// A SAML SP's branding (settings of `idp saml sps add`, the admin API's SP registration) brands its sign-in page
// like an OIDC client's: the SP signs in through its internal OIDC client, which carries the branding metadata.

describe('SAML SP branding', () => {
  let app: TestApp;
  let sp: TestSp;

  beforeAll(async () => {
    app = await startTestApp({ label: 'branding_saml' });
    sp = await createTestSp(app, 'brandedpartner');
    await app.container.saml.sps.add(sp.metadata, {
      firstParty: true,
      branding: { client_name: 'Partner Portal', 'client_name#ja': 'パートナーポータル', branding_primary_color: '#4d7c0f', login_methods: ['password'] },
    });
  });
  afterAll(async () => {
    await app?.stop();
  });

  test('the sign-in page of an SP-initiated SSO carries the SP\'s name in Japanese and its colours', async () => {
    const browser = new Browser();
    browser.acceptLanguage = 'ja';
    const login = await browser.get(await sp.saml.getAuthorizeUrlAsync('relay', undefined, {}));
    expect(login.status).toBe(200);
    expect(login.html.querySelector('header.client')?.text).toContain('パートナーポータル');
    expect(login.html.querySelector('a[href$="/passkey"]')).toBeNull();
    const href = login.html.querySelectorAll('link[rel=stylesheet]').map((l) => l.getAttribute('href')!).find((h) => h.startsWith('/branding/'));
    expect(href).toContain(`/branding/${clientIdFor(sp.entityId)}.css`);
    expect(await (await fetch(`${app.issuer}${href}`)).text()).toContain('--accent: #4d7c0f;');
    expect((await app.container.saml.sps.find(sp.entityId))?.settings.branding).toMatchObject({ branding_primary_color: '#4d7c0f' });
  });

  test('a bad colour or an unknown branding key is refused with its name', async () => {
    const other = await createTestSp(app, 'badbrand');
    await expect(app.container.saml.sps.add(other.metadata, { branding: { branding_primary_color: 'green' } }))
      .rejects.toThrow(/saml\.branding_invalid: branding_primary_color: must be a colour written #rrggbb/);
    await expect(app.container.saml.sps.add(other.metadata, { branding: { redirect_uris: ['https://evil.example/cb'] } }))
      .rejects.toThrow(/saml\.branding_invalid: redirect_uris is not a branding setting/);
    expect(await app.container.saml.sps.find(other.entityId)).toBeUndefined();
  });
});
