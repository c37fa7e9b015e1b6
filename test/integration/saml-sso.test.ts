import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { Browser } from '../helpers/browser.ts';
import { registerRp, signIn, authorizationRequest, RP_REDIRECT } from '../helpers/rp.ts';
import { completeSignIn, createTestSp, postAuthnRequest, idpCertificates, pem, readPostForm, validateSchema, verifyWithXmlsec, type TestSp } from '../helpers/saml-sp.ts';
import { accountIdOf, codeInput, enrolTotp, submitCode, totpAt } from '../helpers/mfa.ts';
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

  test('SP-initiated over HTTP-POST (signed), OID attribute names, encrypted assertion and signed Response', async () => {
    const partner = await createTestSp(app, 'bank', { authnRequestBinding: 'HTTP-POST', encrypt: true, wantAuthnResponseSigned: true });
    await app.container.saml.sps.add(partner.metadata, {
      firstParty: true, encryptAssertions: true, signResponse: true,
      attributes: [
        { claim: 'email', name: 'urn:oid:0.9.2342.19200300.100.1.3', nameFormat: 'uri', friendlyName: 'mail' },
        { claim: 'given_name', name: 'urn:oid:2.5.4.42', nameFormat: 'uri' },
      ],
    });
    await app.container.models.Account.updateOne({ email: user.email }, { $set: { 'profile.given_name': 'Hanako' } }).exec();
    const browser = new Browser();
    const page = await completeSignIn(browser, await postAuthnRequest(browser, partner, 'post-relay'), user);
    const { action, fields } = readPostForm(page);
    expect(action).toBe(partner.acs);
    expect(fields.RelayState).toBe('post-relay');
    const xml = Buffer.from(fields.SAMLResponse!, 'base64').toString('utf8');
    expect(xml).toContain('EncryptedAssertion');
    expect(xml).not.toContain(user.email);
    expect(xml).toContain('http://www.w3.org/2009/xmlenc11#aes256-gcm');
    expect(xml).toContain('http://www.w3.org/2001/04/xmlenc#rsa-oaep-mgf1p');
    const { profile } = await partner.saml.validatePostResponseAsync({ SAMLResponse: fields.SAMLResponse! });
    expect(profile!['urn:oid:0.9.2342.19200300.100.1.3']).toBe(user.email);
    expect(profile!['urn:oid:2.5.4.42']).toBe('Hanako');
    expect(profile!.name).toBeUndefined(); // only the mapped attributes are released
    expect(profile!.attributes).not.toHaveProperty('email');
    const [current] = await idpCertificates(app);
    await verifyWithXmlsec(xml, pem(current!), 'Response');
    await validateSchema(xml);
  });

  test('one session across protocols: OIDC first then SAML without a page, and SAML first then OIDC', async () => {
    const rp = await registerRp(app);
    const browser = new Browser();
    await signIn(browser, rp, user);
    const page = await browser.get(await sp.saml.getAuthorizeUrlAsync('', undefined, {}));
    const { fields } = readPostForm(page);
    const { profile } = await sp.saml.validatePostResponseAsync({ SAMLResponse: fields.SAMLResponse! });
    expect(profile!.email).toBe(user.email);

    const other = new Browser();
    await completeSignIn(other, await other.get(await sp.saml.getAuthorizeUrlAsync('', undefined, {})), user);
    other.stopAt = [RP_REDIRECT];
    const request = await authorizationRequest(rp);
    const callback = await other.get(request.url.toString());
    expect(callback.url.startsWith(RP_REDIRECT)).toBe(true);
    expect(new URL(callback.url).searchParams.get('code')).toBeTruthy();
  });

  test('ForceAuthn asks for the password again; IsPassive never shows a page (NoPassive without a session)', async () => {
    const browser = new Browser();
    await completeSignIn(browser, await browser.get(await sp.saml.getAuthorizeUrlAsync('', undefined, {})), user);
    const forced = await createTestSp(app, 'forced', { forceAuthn: true });
    await app.container.saml.sps.add(forced.metadata, { firstParty: true });
    const again = await browser.get(await forced.saml.getAuthorizeUrlAsync('', undefined, {}));
    expect(again.html.querySelector('input[name=password]')).not.toBeNull();
    const { fields } = readPostForm(await completeSignIn(browser, again, user));
    expect((await forced.saml.validatePostResponseAsync({ SAMLResponse: fields.SAMLResponse! })).profile!.email).toBe(user.email);

    const passive = await createTestSp(app, 'passive', { passive: true });
    await app.container.saml.sps.add(passive.metadata, { firstParty: true });
    const withSession = readPostForm(await browser.get(await passive.saml.getAuthorizeUrlAsync('', undefined, {})));
    expect((await passive.saml.validatePostResponseAsync({ SAMLResponse: withSession.fields.SAMLResponse! })).profile!.email).toBe(user.email);
    const stranger = new Browser();
    const noSession = readPostForm(await stranger.get(await passive.saml.getAuthorizeUrlAsync('', undefined, {})));
    const xml = Buffer.from(noSession.fields.SAMLResponse!, 'base64').toString('utf8');
    expect(xml).toContain('urn:oasis:names:tc:SAML:2.0:status:NoPassive');
    expect(xml).not.toContain('Assertion');
    // node-saml reads NoPassive as "no one signed in" (profile null), not as an error
    expect((await passive.saml.validatePostResponseAsync({ SAMLResponse: noSession.fields.SAMLResponse! })).profile).toBeNull();
  });

  test('an MFA AuthnContext asks for the second factor, and the AuthnStatement reports MFA', async () => {
    const mfaUser = { email: 'saml.mfa@example.jp', password: 'a long enough password' };
    await app.container.accounts.createByAdmin({ ...mfaUser, verified: true });
    const secret = await enrolTotp(app, await accountIdOf(app, mfaUser.email));
    const strict = await createTestSp(app, 'strict', { authnContext: ['https://refeds.org/profile/mfa'], racComparison: 'exact' });
    await app.container.saml.sps.add(strict.metadata, { firstParty: true });
    const browser = new Browser();
    const login = await browser.get(await strict.saml.getAuthorizeUrlAsync('', undefined, {}));
    const challenge = await browser.submit(login, mfaUser);
    expect(codeInput(challenge)).not.toBeNull(); // the password alone does not satisfy the SP
    const page = await submitCode(browser, challenge, await totpAt(secret));
    const xml = Buffer.from(readPostForm(page).fields.SAMLResponse!, 'base64').toString('utf8');
    expect(xml).toMatch(/AuthnContextClassRef>https:\/\/refeds\.org\/profile\/mfa</);
    const { profile } = await strict.saml.validatePostResponseAsync({ SAMLResponse: readPostForm(page).fields.SAMLResponse! });
    expect(profile!.nameID).toBeDefined();
  });

  test('an MFA AuthnContext with IsPassive and only a password session: NoAuthnContext-style refusal, never a false claim', async () => {
    const strict = await createTestSp(app, 'passive', { authnContext: ['https://refeds.org/profile/mfa'], racComparison: 'exact', passive: true });
    await app.container.saml.sps.add(strict.metadata, { firstParty: true });
    const browser = new Browser();
    await completeSignIn(browser, await browser.get(await sp.saml.getAuthorizeUrlAsync('', undefined, {})), user);
    const page = await browser.get(await strict.saml.getAuthorizeUrlAsync('', undefined, {}));
    const xml = Buffer.from(readPostForm(page).fields.SAMLResponse!, 'base64').toString('utf8');
    expect(xml).toMatch(/status:(NoAuthnContext|NoPassive)/);
    expect(xml).not.toContain('Assertion');
  });

  test('NameID: the persistent id is stable per SP and differs between SPs; emailAddress and transient on request', async () => {
    const browser = new Browser();
    const first = readPostForm(await completeSignIn(browser, await browser.get(await sp.saml.getAuthorizeUrlAsync('', undefined, {})), user));
    const second = readPostForm(await browser.get(await sp.saml.getAuthorizeUrlAsync('', undefined, {})));
    const a = (await sp.saml.validatePostResponseAsync({ SAMLResponse: first.fields.SAMLResponse! })).profile!;
    const b = (await sp.saml.validatePostResponseAsync({ SAMLResponse: second.fields.SAMLResponse! })).profile!;
    expect(a.nameID).toBe(b.nameID);
    const mail = await createTestSp(app, 'mail', { identifierFormat: 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress' });
    await app.container.saml.sps.add(mail.metadata, { firstParty: true });
    const byMail = readPostForm(await browser.get(await mail.saml.getAuthorizeUrlAsync('', undefined, {})));
    expect((await mail.saml.validatePostResponseAsync({ SAMLResponse: byMail.fields.SAMLResponse! })).profile!.nameID).toBe(user.email);
    const transient = await createTestSp(app, 'transient', { identifierFormat: 'urn:oasis:names:tc:SAML:2.0:nameid-format:transient' });
    await app.container.saml.sps.add(transient.metadata, { firstParty: true, nameIdFormat: 'urn:oasis:names:tc:SAML:2.0:nameid-format:persistent' });
    const t1 = readPostForm(await browser.get(await transient.saml.getAuthorizeUrlAsync('', undefined, {})));
    const t2 = readPostForm(await browser.get(await transient.saml.getAuthorizeUrlAsync('', undefined, {})));
    const ids = await Promise.all([t1, t2].map(async (f) => (await transient.saml.validatePostResponseAsync({ SAMLResponse: f.fields.SAMLResponse! })).profile!));
    expect(ids[0]!.nameIDFormat).toBe('urn:oasis:names:tc:SAML:2.0:nameid-format:transient');
    expect(ids[0]!.nameID).not.toBe(ids[1]!.nameID);
    expect(ids[0]!.nameID).not.toBe(a.nameID);
  });

  test('IdP-initiated SSO only for SPs that allow it', async () => {
    const browser = new Browser();
    const refused = await browser.get(`${app.issuer}/saml/sso/init?sp=${encodeURIComponent(sp.entityId)}`);
    expect(refused.status).toBe(400);
    const portal = await createTestSp(app, 'portal', { validateInResponseTo: 'never' as never });
    await app.container.saml.sps.add(portal.metadata, { firstParty: true, allowIdpInitiated: true });
    const login = await browser.get(`${app.issuer}/saml/sso/init?sp=${encodeURIComponent(portal.entityId)}&RelayState=/welcome`);
    const { action, fields } = readPostForm(await completeSignIn(browser, login, user));
    expect(action).toBe(portal.acs);
    expect(fields.RelayState).toBe('/welcome');
    const xml = Buffer.from(fields.SAMLResponse!, 'base64').toString('utf8');
    expect(xml).not.toContain('InResponseTo');
    expect((await portal.saml.validatePostResponseAsync({ SAMLResponse: fields.SAMLResponse! })).profile!.email).toBe(user.email);
  });

  test('key rotation: the certificate published as next signs after `keys rotate`; SPs that read it keep working', async () => {
    const [current, next] = await idpCertificates(app);
    await app.container.keyStore.rotate();
    app.container.saml.credentials.reset();
    const after = await idpCertificates(app);
    expect(after[0]).toBe(next); // the published next key signs now
    expect(after).toContain(current); // the retired one stays published until its signatures expire
    const browser = new Browser();
    const page = await completeSignIn(browser, await browser.get(await sp.saml.getAuthorizeUrlAsync('', undefined, {})), user);
    const { fields } = readPostForm(page);
    const xml = Buffer.from(fields.SAMLResponse!, 'base64').toString('utf8');
    expect(xml).toContain(next);
    await verifyWithXmlsec(xml, pem(next!), 'Assertion');
    await expect(verifyWithXmlsec(xml, pem(current!), 'Assertion')).rejects.toThrow();
    // `sp` was configured before the rotation with both certificates of the metadata
    expect((await sp.saml.validatePostResponseAsync({ SAMLResponse: fields.SAMLResponse! })).profile!.email).toBe(user.email);
  });
});
