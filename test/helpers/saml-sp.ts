import { execFile } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { SAML, type SamlConfig } from '@node-saml/node-saml';
import { selfSignedCertificate } from '../../src/keys/certificate.ts';
import type { Browser, Page } from './browser.ts';
import type { TestApp } from './test-app.ts';

// A partner SP built on an independent SAML implementation (@node-saml/node-saml, not samlify), with its own
// RSA keys. Its ACS and SLO URLs are never served: the test reads the auto-submit form our IdP renders and hands
// the message to node-saml, exactly what the SP's endpoint would do.

const run = promisify(execFile);
export const SCHEMAS = path.resolve(import.meta.dirname, '../../src/saml/idp/schemas');

export function keyPair(cn: string) {
  const pair = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const cert = selfSignedCertificate(pair.privateKey.export({ format: 'jwk' }), cn);
  return { privateKey: pair.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(), cert };
}

export interface TestSp {
  entityId: string;
  acs: string;
  slo: string;
  saml: SAML;
  metadata: string;
  keys: ReturnType<typeof keyPair>;
}

export async function idpCertificates(app: TestApp): Promise<string[]> {
  const metadata = await (await fetch(`${app.issuer}/saml/metadata`)).text();
  return [...metadata.matchAll(/<ds:X509Certificate>([^<]+)<\/ds:X509Certificate>/g)].map((m) => m[1]!);
}

export async function createTestSp(app: TestApp, name: string, options: Partial<SamlConfig> & { sign?: boolean; encrypt?: boolean } = {}): Promise<TestSp> {
  const entityId = `https://${name}.partner.test/sp`;
  const acs = `http://127.0.0.1:9/${name}/acs`;
  const slo = `http://127.0.0.1:9/${name}/slo`;
  const keys = keyPair(name);
  const { sign = true, encrypt = false, ...rest } = options;
  const saml = new SAML({
    issuer: entityId, callbackUrl: acs, logoutCallbackUrl: slo,
    entryPoint: `${app.issuer}/saml/sso`, logoutUrl: `${app.issuer}/saml/slo`,
    idpCert: await idpCertificates(app), idpIssuer: app.issuer, audience: entityId,
    wantAssertionsSigned: true, wantAuthnResponseSigned: false, signatureAlgorithm: 'sha256',
    identifierFormat: 'urn:oasis:names:tc:SAML:2.0:nameid-format:persistent',
    validateInResponseTo: 'always' as never, acceptedClockSkewMs: 2000,
    ...(sign ? { privateKey: keys.privateKey, publicCert: keys.cert } : {}),
    ...(encrypt ? { decryptionPvk: keys.privateKey } : {}),
    // saml-bindings §3.5.4: the POST binding carries plain base64 XML (node-saml deflates unless told not to)
    ...(rest.authnRequestBinding === 'HTTP-POST' ? { skipRequestCompression: true } : {}),
    ...rest,
  } as SamlConfig);
  const metadata = saml.generateServiceProviderMetadata(encrypt ? keys.cert : null, sign ? keys.cert : null);
  return { entityId, acs, slo, saml, metadata, keys };
}

/** The HTTP-POST binding page our IdP renders: its form action and hidden fields. */
export function readPostForm(page: Page): { action: string; fields: Record<string, string> } {
  const form = page.html.querySelector('form[data-auto-submit]');
  if (!form) throw new Error(`no SAML POST form at ${page.url} (${page.status}):\n${page.body.slice(0, 600)}`);
  const fields: Record<string, string> = {};
  for (const input of form.querySelectorAll('input[type=hidden]')) fields[input.getAttribute('name')!] = input.getAttribute('value') ?? '';
  return { action: form.getAttribute('action')!, fields };
}

/** node-saml's POST-binding AuthnRequest (getAuthorizeMessageAsync), posted by the browser to our SSO endpoint. */
export async function postAuthnRequest(browser: Browser, sp: TestSp, relayState = ''): Promise<Page> {
  const message = await sp.saml.getAuthorizeMessageAsync(relayState, undefined, {});
  return browser.post(sp.saml.options.entryPoint!, Object.fromEntries(Object.entries(message).map(([k, v]) => [k, String(v)])));
}

/** From the login page (or none, with a session) to the POST form addressed to the SP. */
export async function completeSignIn(browser: Browser, start: Page, credentials?: { email: string; password: string }): Promise<Page> {
  let page = start;
  if (page.html.querySelector('input[name=password]')) {
    if (!credentials) throw new Error(`unexpected login page at ${page.url}`);
    page = await browser.submit(page, credentials);
  }
  if (page.html.querySelector('button[name=decision][value=allow]')) page = await browser.submit(page, { decision: 'allow' });
  return page;
}

/** `xmlsec1 --verify` of one signed node against a certificate, and `xmllint` schema validation. */
export async function verifyWithXmlsec(xml: string, certPem: string, node: 'Response' | 'Assertion'): Promise<void> {
  const dir = mkdtempSync(path.join(tmpdir(), 'saml-verify-'));
  writeFileSync(path.join(dir, 'msg.xml'), xml);
  writeFileSync(path.join(dir, 'cert.pem'), certPem);
  const ns = node === 'Response' ? 'urn:oasis:names:tc:SAML:2.0:protocol' : 'urn:oasis:names:tc:SAML:2.0:assertion';
  await run('xmlsec1', ['--verify', '--pubkey-cert-pem', path.join(dir, 'cert.pem'), '--id-attr:ID', `${ns}:${node}`,
    '--enabled-reference-uris', 'same-doc', path.join(dir, 'msg.xml')], { timeout: 10_000 });
}

export async function validateSchema(xml: string): Promise<void> {
  const dir = mkdtempSync(path.join(tmpdir(), 'saml-schema-'));
  writeFileSync(path.join(dir, 'msg.xml'), xml);
  await run('xmllint', ['--noout', '--nonet', '--schema', path.join(SCHEMAS, 'saml-schema-protocol-2.0.xsd'), path.join(dir, 'msg.xml')], { timeout: 10_000 });
}

export const pem = (body: string) => `-----BEGIN CERTIFICATE-----\n${body.match(/.{1,64}/g)!.join('\n')}\n-----END CERTIFICATE-----\n`;
