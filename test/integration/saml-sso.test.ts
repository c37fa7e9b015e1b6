import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { Browser } from '../helpers/browser.ts';
import { completeSignIn, createTestSp, idpCertificates, pem, readPostForm, validateSchema, verifyWithXmlsec, type TestSp } from '../helpers/saml-sp.ts';
import { startTestApp, type TestApp } from '../helpers/test-app.ts';

// SP-initiated and IdP-initiated SSO to a partner SP implemented with @node-saml/node-saml.

describe('SAML IdP: single sign-on for partner SPs', () => {
  let app: TestApp;
  let sp: TestSp;
  const user = { email: 'saml.user@example.jp', password: 'a long enough password' };

  beforeAll(async () => {
    app = await startTestApp({ label: 'saml_sso' });
    await app.container.accounts.createByAdmin({ ...user, name: 'Saml User', verified: true });
    sp = await createTestSp(app, 'shop');
    await app.container.saml.sps.add(sp.metadata, { firstParty: true });
  });
  afterAll(async () => app?.stop());

  test('metadata publishes entityID, both bindings for SSO and SLO, NameID formats and the signing certificates', async () => {
    const response = await fetch(`${app.issuer}/saml/metadata`);
    const xml = await response.text();
    expect(response.headers.get('content-type')).toContain('application/samlmetadata+xml');
    expect(xml).toContain(`entityID="${app.issuer}"`);
    for (const binding of ['HTTP-Redirect', 'HTTP-POST']) {
      expect(xml).toContain(`<md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:${binding}" Location="${app.issuer}/saml/sso"/>`);
      expect(xml).toContain(`<md:SingleLogoutService Binding="urn:oasis:names:tc:SAML:2.0:bindings:${binding}" Location="${app.issuer}/saml/slo"/>`);
    }
    expect(xml).toContain('urn:oasis:names:tc:SAML:2.0:nameid-format:persistent');
    // current and next key: the next certificate is published before it signs
    expect((await idpCertificates(app)).length).toBe(2);
  });

  test('SP-initiated over HTTP-Redirect (signed): login, then a signed assertion node-saml and xmlsec1 accept', async () => {
    const browser = new Browser();
    const url = await sp.saml.getAuthorizeUrlAsync('relay-123', undefined, {});
    const login = await browser.get(url);
    expect(login.html.querySelector('input[name=password]')).not.toBeNull();
    const page = await completeSignIn(browser, login, user);
    const { action, fields } = readPostForm(page);
    expect(action).toBe(sp.acs);
    expect(fields.RelayState).toBe('relay-123');
    const { profile } = await sp.saml.validatePostResponseAsync({ SAMLResponse: fields.SAMLResponse! });
    expect(profile!.nameIDFormat).toBe('urn:oasis:names:tc:SAML:2.0:nameid-format:persistent');
    expect(profile!.nameID).not.toContain('@');
    expect(profile!.email).toBe(user.email);
    expect(profile!.name).toBe('Saml User');
    expect(profile!.sessionIndex).toBeTruthy();
    const xml = Buffer.from(fields.SAMLResponse!, 'base64').toString('utf8');
    expect(xml).toContain(`Destination="${sp.acs}"`);
    expect(xml).toContain(`<saml:Audience>${sp.entityId}</saml:Audience>`);
    expect(xml).toContain('urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport');
    const [current] = await idpCertificates(app);
    await verifyWithXmlsec(xml, pem(current!), 'Assertion');
    await validateSchema(xml);
  });
});
