import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { Browser, type Page } from '../helpers/browser.ts';
import { authorizationRequest, exchangeCode, registerRp, RP_REDIRECT, type Rp } from '../helpers/rp.ts';
import { keyPair, pem } from '../helpers/saml-sp.ts';
import { assertionXml, createUpstreamIdp, encryptAssertion, newId, type ResponseOptions, type UpstreamIdp } from '../helpers/saml-upstream-idp.ts';
import { startTestApp, type TestApp } from '../helpers/test-app.ts';

// Inbound SAML (we are the SP of group-company IdPs): a group company's IdP (hand-built Responses signed with xml-crypto, not
// samlify) signs users in to our RP (openid-client) through the `saml` connector and the social-login linking step.

const OID_MAIL = 'urn:oid:0.9.2342.19200300.100.1.3';
const TEXT = {
  wrapped: 'was malformed', signature: 'not signed with its registered key', expired: 'has expired', audience: 'meant for another site',
  unsolicited: 'was not started here', replayed: 'was already used', state: 'already used, or was opened in another browser',
};

describe('SAML SP (group-company IdPs as login connectors)', () => {
  let app: TestApp;
  let idp: UpstreamIdp;
  let rp: Rp;
  let spCert: string;
  const acs = (id = 'grp') => `${app.issuer}/saml/sp/${id}/acs`;
  const audience = (id = 'grp') => `${app.issuer}/saml/sp/${id}/metadata`;

  beforeAll(async () => {
    app = await startTestApp({ label: 'samlsp' });
    idp = createUpstreamIdp('grp');
    await app.container.samlSp.addSaml({ metadataXml: idp.metadata, name: 'Group SAML', id: 'grp', mapping: { email: OID_MAIL, name: 'displayName' }, emailVerified: true });
    await app.container.samlSp.addSaml({ metadataXml: idp.metadata, name: 'Group portal', id: 'portal', allowIdpInitiated: true, idpInitiatedUrl: 'http://127.0.0.1:9/portal-start' });
    rp = await registerRp(app);
    const metadata = await (await fetch(`${app.issuer}/saml/sp/grp/metadata`)).text();
    spCert = pem(/<ds:X509Certificate>([^<]+)</.exec(metadata)![1]!);
  });
  afterAll(async () => app?.stop());

  /** RP -> our sign-in page -> the SAML button -> the redirect to the IdP with our signed AuthnRequest. */
  async function start(browser: Browser, connector = 'grp') {
    browser.stopAt = [RP_REDIRECT, idp.ssoUrl];
    const request = await authorizationRequest(rp);
    const login = await browser.get(request.url.toString());
    const button = login.html.querySelector(`[data-connector="${connector}"]`);
    if (!button) throw new Error(`no ${connector} button:\n${login.body.slice(0, 600)}`);
    const redirect = await browser.get(new URL(button.getAttribute('href')!, login.url).toString());
    expect(redirect.url.startsWith(idp.ssoUrl)).toBe(true);
    return { request, authn: idp.readRequest(redirect.url, spCert) };
  }

  const post = (browser: Browser, xml: string, relayState?: string, connector = 'grp') =>
    browser.post(acs(connector), { SAMLResponse: Buffer.from(xml).toString('base64'), ...(relayState ? { RelayState: relayState } : {}) });

  const valid = (inResponseTo: string | undefined, extra: Partial<ResponseOptions> = {}): ResponseOptions => ({
    acs: acs(), audience: audience(), inResponseTo, nameId: 'emp-0001', attributes: { [OID_MAIL]: 'taro@group.example', displayName: 'Taro Group' }, ...extra,
  });

  const errorOf = (page: Page) => page.html.querySelector('[role=alert]')?.text ?? `(no error) ${page.status} ${page.url}`;

  test('SP metadata: signed, our entityID, ACS on HTTP-POST, persistent NameID', async () => {
    const response = await fetch(`${app.issuer}/saml/sp/grp/metadata`);
    const xml = await response.text();
    expect(response.headers.get('content-type')).toContain('application/samlmetadata+xml');
    expect(xml).toContain(`entityID="${audience()}"`);
    expect(xml).toContain(`Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="${acs()}"`);
    expect(xml).toContain('AuthnRequestsSigned="true"');
    expect(xml).toMatch(/<ds:Signature[\s>]/);
    expect((await fetch(`${app.issuer}/saml/sp/nope/metadata`)).status).toBe(404);
  });

  test('success: signed AuthnRequest, signed assertion -> JIT account -> RP tokens with amr fed; returning user, Response-level signature', async () => {
    const browser = new Browser();
    const { request, authn } = await start(browser);
    expect(authn).toMatchObject({ signed: true, sigAlg: 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256' });
    expect(authn.xml).toContain(`AssertionConsumerServiceURL="${acs()}"`);
    expect(authn.xml).toContain(`<saml:Issuer>${audience()}</saml:Issuer>`);
    let page = await post(browser, idp.responseXml(valid(authn.id)), authn.relayState);
    if (page.html.querySelector('button[name=decision][value=allow]')) page = await browser.submit(page, { decision: 'allow' });
    const tokens = await exchangeCode(rp, request, page);
    const claims = tokens.claims()!;
    expect(claims.amr).toEqual(['fed']);
    const account = await app.container.accountRepository.findById(claims.sub);
    expect(account?.email).toBe('taro@group.example');

    const again = new Browser();
    const second = await start(again);
    let back = await post(again, idp.responseXml(valid(second.authn.id, { sign: 'response' })), second.authn.relayState);
    if (back.html.querySelector('button[name=decision][value=allow]')) back = await again.submit(back, { decision: 'allow' });
    expect((await exchangeCode(rp, second.request, back)).claims()!.sub).toBe(claims.sub);
  });

  test('encrypted assertion (AES-256-GCM, RSA-OAEP) to our metadata certificate is decrypted and its signature checked', async () => {
    const browser = new Browser();
    const { request, authn } = await start(browser);
    const xml = await encryptAssertion(idp.responseXml(valid(authn.id, { nameId: 'emp-enc', attributes: { [OID_MAIL]: 'enc@group.example' } })), spCert);
    expect(xml).not.toContain('emp-enc');
    let page = await post(browser, xml, authn.relayState);
    if (page.html.querySelector('button[name=decision][value=allow]')) page = await browser.submit(page, { decision: 'allow' });
    const sub = (await exchangeCode(rp, request, page)).claims()!.sub;
    expect((await app.container.accountRepository.findById(sub))?.email).toBe('enc@group.example');
  });

  test.each([
    ['wrong audience', (id: string) => idp.responseXml(valid(id, { audience: 'https://other.example/sp' })), TEXT.audience],
    ['expired', (id: string) => idp.responseXml(valid(id, { shiftMs: -3600_000 })), TEXT.expired],
    ['unsigned', (id: string) => idp.responseXml(valid(id, { sign: 'none' })), TEXT.signature],
    ['wrong certificate', (id: string) => idp.responseXml(valid(id, { signer: keyPair('attacker') })), TEXT.signature],
    ['XSW: signed assertion wrapped inside a forged one', (id: string) => {
      const signed = idp.responseXml(valid(id));
      const original = /<saml:Assertion[\s\S]*<\/saml:Assertion>/.exec(signed)![0];
      const forged = assertionXml(idp.entityId, valid(id, { nameId: 'ceo', attributes: { [OID_MAIL]: 'ceo@group.example' } }))
        .replace('</saml:Subject>', `</saml:Subject><saml:Advice>${original}</saml:Advice>`);
      return signed.replace(original, forged);
    }, TEXT.wrapped],
    ['XSW: forged assertion beside the signed one', (id: string) => {
      const signed = idp.responseXml(valid(id));
      const forged = assertionXml(idp.entityId, valid(id, { nameId: 'ceo' }));
      return signed.replace('<samlp:Status>', `${forged}<samlp:Status>`);
    }, TEXT.wrapped],
    ['DOCTYPE (entity expansion)', (id: string) => `<!DOCTYPE r [<!ENTITY x "x">]>${idp.responseXml(valid(id))}`, 'could not be verified'],
  ])('refused: %s (audited, error page with a way back)', async (_name, build, text) => {
    const browser = new Browser();
    const { authn } = await start(browser);
    const page = await post(browser, build(authn.id), authn.relayState);
    expect(errorOf(page)).toContain(text);
    expect(page.html.querySelector('a[href$="/federation?connector=grp"]')).not.toBeNull();
    expect(await app.container.models.Identity.countDocuments({ subject: 'ceo' })).toBe(0);
  });

  test('replayed: the same Response again is refused (state used once; assertion ID remembered)', async () => {
    const browser = new Browser();
    const { authn } = await start(browser);
    const xml = idp.responseXml(valid(authn.id, { nameId: 'emp-replay' }));
    await post(browser, xml, authn.relayState);
    expect(errorOf(await post(browser, xml, authn.relayState))).toContain(TEXT.state);
    // IdP-initiated: no state, so the assertion ID cache is what refuses the second post.
    const unsolicited = idp.responseXml({ ...valid(undefined), acs: acs('portal'), audience: audience('portal'), nameId: 'emp-replay' });
    const portal = new Browser();
    portal.stopAt = ['http://127.0.0.1:9/'];
    const first = await post(portal, unsolicited, undefined, 'portal');
    expect({ status: first.status, url: first.url }).toEqual({ status: 303, url: 'http://127.0.0.1:9/portal-start' });
    const second = await post(new Browser(), unsolicited, undefined, 'portal');
    expect(errorOf(second)).toContain(TEXT.replayed);
    expect(await app.container.models.SamlSpSeenAssertion.countDocuments()).toBeGreaterThanOrEqual(2);
  });

  test('unsolicited: refused unless the connector allows IdP-initiated; an answer to another request is refused', async () => {
    const browser = new Browser();
    expect(errorOf(await post(browser, idp.responseXml(valid(undefined))))).toContain(TEXT.unsolicited);
    const { authn } = await start(browser);
    const page = await post(browser, idp.responseXml(valid(newId())), authn.relayState);
    expect(errorOf(page)).toContain('does not belong to the sign-in started in this browser');
  });
});
