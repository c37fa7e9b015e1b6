import { PassThrough } from 'node:stream';
import { deflateRawSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { SAML } from '@node-saml/node-saml';
import { createAuthorizationCodeTaker } from '../../src/oidc/engine-store.ts';
import { Browser, type Page } from '../helpers/browser.ts';
import { createTestSp, idpCertificates, postAuthnRequest, type TestSp } from '../helpers/saml-sp.ts';
import { startTestApp, type TestApp } from '../helpers/test-app.ts';

// Requests the IdP must refuse: an error page, no assertion, and an audit event naming the reason.

describe('SAML IdP: refusals', () => {
  let app: TestApp;
  let sp: TestSp;
  let postSp: TestSp;
  const log: string[] = [];

  beforeAll(async () => {
    const stream = new PassThrough();
    stream.on('data', (chunk: Buffer) => log.push(...chunk.toString().split('\n').filter(Boolean)));
    app = await startTestApp({ label: 'saml_refusals', logLevel: 'info', logStream: stream });
    sp = await createTestSp(app, 'signing');
    postSp = await createTestSp(app, 'postsigning', { authnRequestBinding: 'HTTP-POST' });
    await app.container.saml.sps.add(sp.metadata, { firstParty: true });
    await app.container.saml.sps.add(postSp.metadata, { firstParty: true });
  });
  afterAll(async () => app?.stop());

  /** The refusal page, and the audit event with this reason logged for it. */
  async function expectRefused(page: Page, reason: string) {
    expect(page.status).toBe(400);
    expect(page.html.querySelector('form[data-auto-submit]')).toBeNull();
    expect(page.body).not.toContain('SAMLResponse');
    expect(page.url).toContain('/saml/sso');
    const reasons = () => log.map((line) => JSON.parse(line) as { event?: string; reason?: string })
      .filter((e) => e.event === 'saml.request.refused').map((e) => e.reason);
    // Log lines reach the stream asynchronously: wait for the event, at most 5 s.
    for (let waited = 0; !reasons().includes(reason) && waited < 5000; waited += 50) await new Promise((resolve) => setTimeout(resolve, 50));
    expect(reasons()).toContain(reason);
  }

  const redirectWith = (xml: string) => `${app.issuer}/saml/sso?SAMLRequest=${encodeURIComponent(deflateRawSync(xml).toString('base64'))}`;

  test('an SP that is not registered gets an error page, no assertion', async () => {
    const stranger = await createTestSp(app, 'stranger');
    await expectRefused(await new Browser().get(await stranger.saml.getAuthorizeUrlAsync('', undefined, {})), 'unknown_sp');
  });

  test('an AssertionConsumerServiceURL that is not in the SP metadata is refused', async () => {
    const evil = new SAML({ ...sp.saml.options, callbackUrl: 'https://evil.example/acs' });
    await expectRefused(await new Browser().get(await evil.getAuthorizeUrlAsync('', undefined, {})), 'acs_not_registered');
  });

  test('a signing SP that sends an unsigned request is refused', async () => {
    const unsigned = new SAML({ ...sp.saml.options, privateKey: undefined as never });
    await expectRefused(await new Browser().get(await unsigned.getAuthorizeUrlAsync('', undefined, {})), 'unsigned');
  });

  test('a tampered signed Redirect request (RelayState changed after signing) is refused', async () => {
    const url = new URL(await sp.saml.getAuthorizeUrlAsync('original', undefined, {}));
    url.searchParams.set('RelayState', 'tampered');
    await expectRefused(await new Browser().get(url.toString()), 'bad_signature');
  });

  test('a RelayState under a percent-encoded name (RelayStat%65), outside the signed octets, is refused', async () => {
    // Signed without RelayState (saml-bindings §3.4.4.1: the octets then hold SAMLRequest and SigAlg only).
    const signed = await sp.saml.getAuthorizeUrlAsync('', undefined, {});
    expect(new URL(signed).searchParams.has('RelayState')).toBe(false);
    await expectRefused(await new Browser().get(`${signed}&RelayStat%65=tampered`), 'encoded_parameter_name');
    await expectRefused(await new Browser().get(`${signed.replace('SigAlg=', 'Sig%41lg=')}`), 'encoded_parameter_name');
  });

  test('a Redirect request repeating a signed parameter is refused, whichever copy was signed', async () => {
    const signed = new URL(await sp.saml.getAuthorizeUrlAsync('original', undefined, {}));
    // The signed copy last (a reader taking the last one verifies it), another one first.
    await expectRefused(await new Browser().get(`${signed.origin}${signed.pathname}?RelayState=tampered&${signed.search.slice(1)}`), 'duplicate_parameter');
    for (const key of ['SAMLRequest', 'SigAlg', 'Signature']) {
      const value = new URLSearchParams(signed.search).get(key)!;
      await expectRefused(await new Browser().get(`${signed}&${key}=${encodeURIComponent(value)}`), 'duplicate_parameter');
    }
  });

  test('a deflate bomb on the Redirect binding gets a 400 at once, without being inflated', async () => {
    // 10 MiB of XML deflates to ~13 KB of query: inflated whole, one request costs tens of megabytes before the SP is known.
    const xml = `<samlp:AuthnRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="_bomb" Version="2.0" IssueInstant="2030-01-01T00:00:00Z"><saml:Issuer>${sp.entityId}</saml:Issuer>${' '.repeat(10 * 1024 * 1024)}</samlp:AuthnRequest>`;
    const url = redirectWith(xml);
    expect(url.length).toBeLessThan(15_000); // within Node's 16 KiB header limit: the request reaches the app
    const before = process.memoryUsage.rss();
    const started = Date.now();
    const pages = await Promise.all(Array.from({ length: 4 }, () => new Browser().get(url)));
    const grown = process.memoryUsage.rss() - before; // the app runs in this process: inflating 4 x 10 MiB shows here
    expect(pages.map((page) => page.status)).toEqual([400, 400, 400, 400]);
    expect(Date.now() - started).toBeLessThan(5000);
    expect(grown).toBeLessThan(24 * 1024 * 1024);
    for (const page of pages) await expectRefused(page, 'too_large');
  });

  test('a tampered signed POST request (ACS changed after signing) is refused', async () => {
    const browser = new Browser();
    const message = await postSp.saml.getAuthorizeMessageAsync('', undefined, {});
    const xml = Buffer.from(String(message.SAMLRequest), 'base64').toString('utf8').replace(postSp.acs, 'http://127.0.0.1:9/postsigning/acs2');
    await expectRefused(await browser.post(`${app.issuer}/saml/sso`, { SAMLRequest: Buffer.from(xml).toString('base64') }), 'bad_signature');
  });

  test('a POST request with a wrapped signature (GHSA-63ch-w8pw-4mf2) is refused', async () => {
    const message = await postSp.saml.getAuthorizeMessageAsync('', undefined, {});
    const signed = Buffer.from(String(message.SAMLRequest), 'base64').toString('utf8').replace(/^<\?xml[^>]*>/, '');
    const rootId = /ID="([^"]+)"/.exec(signed)![1]!;
    // The signed original hidden in Extensions; the outer request, with another ID, is what an unsafe parser uses.
    const outer = signed.replace(/<ds:Signature[\s\S]*<\/ds:Signature>/, '').replace(`ID="${rootId}"`, 'ID="_evil"');
    const wrapped = outer.replace(/(<saml:Issuer[^>]*>[^<]*<\/saml:Issuer>)/, `$1<samlp:Extensions>${signed}</samlp:Extensions>`);
    expect(wrapped).toContain('_evil');
    await expectRefused(await new Browser().post(`${app.issuer}/saml/sso`, { SAMLRequest: Buffer.from(wrapped).toString('base64') }), 'signature_wrapping');
  });

  test('a DOCTYPE / entity payload is refused before any parser sees it', async () => {
    const xml = `<?xml version="1.0"?><!DOCTYPE r [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><samlp:AuthnRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="_x" Version="2.0" IssueInstant="2030-01-01T00:00:00Z"><saml:Issuer>${sp.entityId}&xxe;</saml:Issuer></samlp:AuthnRequest>`;
    const page = await new Browser().get(redirectWith(xml));
    await expectRefused(page, 'doctype');
    expect(page.body).not.toContain('root:');
  });

  test('a POST-binding message larger than our own forms (here 40 KB) is read and judged, not cut off at the body limit', async () => {
    // Signed and encrypted Responses with certificates easily pass 16 KB; the POST binding's bound is the codec's.
    const padding = `<samlp:Extensions>${'<x:pad xmlns:x="urn:pad">padding</x:pad>'.repeat(1000)}</samlp:Extensions>`;
    const xml = `<samlp:AuthnRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="_big" Version="2.0" IssueInstant="2030-01-01T00:00:00Z"><saml:Issuer>https://unknown.partner.test/sp</saml:Issuer>${padding}</samlp:AuthnRequest>`;
    const body = Buffer.from(xml).toString('base64');
    expect(body.length).toBeGreaterThan(40_000);
    const page = await new Browser().post(`${app.issuer}/saml/sso`, { SAMLRequest: body });
    await expectRefused(page, 'unknown_sp');
  });

  test('a message that breaks the schema is refused', async () => {
    const xml = `<samlp:AuthnRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="_x" Version="2.0" IssueInstant="2030-01-01T00:00:00Z" Bogus="1"><saml:Issuer>https://open.partner.test/sp</saml:Issuer></samlp:AuthnRequest>`;
    const open = await createTestSp(app, 'open', { sign: false });
    await app.container.saml.sps.add(open.metadata, { firstParty: true });
    await expectRefused(await new Browser().get(redirectWith(xml)), 'schema');
    expect(await idpCertificates(app)).toHaveLength(2);
  });
});

describe('SAML IdP: the callback\'s authorization code', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp({ label: 'saml_code' });
  });
  afterAll(async () => app?.stop());

  test('is taken once, even by two racing callbacks, and only by its own client', async () => {
    const provider = app.container.provider();
    const take = createAuthorizationCodeTaker(app.container.connection.db!);
    const issue = () => new provider.AuthorizationCode({
      accountId: 'acc-1', clientId: 'saml-client-a', sessionUid: 'sess-1', scope: 'openid', acr: 'urn:x', authTime: 1,
      redirectUri: `${app.issuer}/saml/sso/callback`, grantId: 'g1',
    } as never).save();
    const code = await issue();
    expect(await take(code, 'saml-client-b')).toBeUndefined(); // another client's callback cannot use (or burn) it
    const results = await Promise.all([take(code, 'saml-client-a'), take(code, 'saml-client-a')]);
    expect(results.filter(Boolean)).toHaveLength(1);
    expect(results.find(Boolean)).toMatchObject({ accountId: 'acc-1', sessionUid: 'sess-1', acr: 'urn:x', scope: 'openid' });
    expect(await take(code, 'saml-client-a')).toBeUndefined();
    expect(await provider.AuthorizationCode.find(code)).toBeUndefined();
    // A code the engine already marked consumed is refused too.
    const consumed = await issue();
    await (await provider.AuthorizationCode.find(consumed))!.consume();
    expect(await take(consumed, 'saml-client-a')).toBeUndefined();
  });
});
