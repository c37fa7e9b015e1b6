import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { validateSamlProtocol } from '../../src/saml/idp/xml-schema.validator.ts';

// The in-process XSD validator (libxml2 in WebAssembly): valid SAML protocol messages pass, anything the OASIS
// schema does not allow is refused, and nothing outside the schema files can be loaded while validating.

const request = (extra = '', inner = '') => `<samlp:AuthnRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" `
  + `xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="_a1" Version="2.0" IssueInstant="2026-01-01T00:00:00Z"${extra}>`
  + `${inner}<saml:Issuer>https://sp.test/sp</saml:Issuer>`
  + `<samlp:NameIDPolicy Format="urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress" AllowCreate="true"/></samlp:AuthnRequest>`;

const signature = '<ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:SignedInfo>'
  + '<ds:CanonicalizationMethod Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/>'
  + '<ds:SignatureMethod Algorithm="http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"/>'
  + '<ds:Reference URI="#_a1"><ds:DigestMethod Algorithm="http://www.w3.org/2001/04/xmlenc#sha256"/>'
  + '<ds:DigestValue>AAAA</ds:DigestValue></ds:Reference></ds:SignedInfo><ds:SignatureValue>AAAA</ds:SignatureValue></ds:Signature>';

describe('validateSamlProtocol (libxml2-wasm)', () => {
  it('accepts a valid AuthnRequest, also with a signature (imported xmldsig schema)', async () => {
    await expect(validateSamlProtocol(request())).resolves.toBeUndefined();
    await expect(validateSamlProtocol(request().replace('</saml:Issuer>', `</saml:Issuer>${signature}`))).resolves.toBeUndefined();
  });

  it('refuses what the schema does not allow, naming the error', async () => {
    await expect(validateSamlProtocol(request(' Bogus="1"'))).rejects.toThrow(/Bogus/);
    await expect(validateSamlProtocol(request('', '<saml:Foo/>'))).rejects.toThrow(/Foo/);
    await expect(validateSamlProtocol(request().replace('Version="2.0"', ''))).rejects.toThrow(/Version/);
    await expect(validateSamlProtocol('<not-closed')).rejects.toMatchObject({ name: 'SchemaInvalid' });
    await expect(validateSamlProtocol(`<x>${' '.repeat(300 * 1024)}</x>`)).rejects.toThrow(/too large/);
  });

  it('never loads an external entity, even if a DOCTYPE got this far (xml-guard refuses it before)', async () => {
    // The entity holds the NameID a LogoutRequest requires (saml-core §3.7.1): loaded, the message would be valid.
    const dir = mkdtempSync(path.join(tmpdir(), 'xxe-'));
    const file = path.join(dir, 'name-id.xml');
    writeFileSync(file, '<saml:NameID xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion">someone</saml:NameID>');
    const xxe = `<!DOCTYPE samlp:LogoutRequest [<!ENTITY e SYSTEM "file://${file}">]>`
      + '<samlp:LogoutRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" ID="_l1" Version="2.0" '
      + 'IssueInstant="2026-01-01T00:00:00Z">&e;</samlp:LogoutRequest>';
    try {
      await expect(validateSamlProtocol(xxe)).rejects.toMatchObject({ name: 'SchemaInvalid' });
      await expect(validateSamlProtocol(xxe.replace('&e;', readFileSync(file, 'utf8')).replace(/<!DOCTYPE[^\]]*\]>/, ''))).resolves.toBeUndefined();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('reports a schema that cannot be loaded instead of accepting', async () => {
    await expect(validateSamlProtocol(request(), '/nonexistent/schema.xsd')).rejects.toThrow(/schema could not be loaded/);
  });
});
