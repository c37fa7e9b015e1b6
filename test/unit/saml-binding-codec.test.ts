import { deflateRawSync } from 'node:zlib';
import {
  BindingRefused, decodePostMessage, inflateRedirectMessage, MAX_ENCODED_MESSAGE_CHARS, MAX_SAML_MESSAGE_BYTES, readRedirectQuery,
} from '../../src/saml/idp/binding.codec.ts';

// The one decoder of SAML bindings (saml-bindings §3.4.4.1, §3.5.4): bounded inflation, and a Redirect query read
// once into the parameters and the signed octets.

const reasonOf = (run: () => unknown) => {
  try {
    run();
  } catch (error) {
    return error instanceof BindingRefused ? error.reason : `other: ${(error as Error).message}`;
  }
  return 'accepted';
};

describe('inflateRedirectMessage', () => {
  it('inflates a message within the bound', () => {
    const xml = `<a>${'x'.repeat(1000)}</a>`;
    expect(inflateRedirectMessage(deflateRawSync(xml).toString('base64'))).toBe(xml);
  });

  it('stops a deflate bomb at the bound instead of inflating it', () => {
    const bomb = deflateRawSync(Buffer.alloc(64 * 1024 * 1024, 0x20)).toString('base64'); // 64 MiB in ~85 KB
    // Refused by zlib's output bound (the message names it), not by the encoded length nor after inflating it all.
    expect(() => inflateRedirectMessage(bomb.slice(0, MAX_ENCODED_MESSAGE_CHARS))).toThrow(`inflates beyond ${MAX_SAML_MESSAGE_BYTES} bytes`);
    expect(reasonOf(() => inflateRedirectMessage(bomb.slice(0, MAX_ENCODED_MESSAGE_CHARS)))).toBe('too_large');
    const justOver = deflateRawSync(Buffer.alloc(MAX_SAML_MESSAGE_BYTES + 1, 0x20)).toString('base64');
    expect(reasonOf(() => inflateRedirectMessage(justOver))).toBe('too_large');
    expect(reasonOf(() => inflateRedirectMessage(deflateRawSync(Buffer.alloc(MAX_SAML_MESSAGE_BYTES, 0x20)).toString('base64')))).toBe('accepted');
  });

  it('refuses what is not raw DEFLATE, and an encoded message longer than the bound', () => {
    expect(reasonOf(() => inflateRedirectMessage(Buffer.from('<a/>').toString('base64')))).toBe('undecodable');
    expect(reasonOf(() => inflateRedirectMessage('A'.repeat(MAX_ENCODED_MESSAGE_CHARS + 1)))).toBe('too_large');
  });
});

describe('decodePostMessage', () => {
  it('decodes base64 XML, and refuses it beyond the bound before decoding', () => {
    expect(decodePostMessage(Buffer.from('<a/>').toString('base64'))).toBe('<a/>');
    expect(reasonOf(() => decodePostMessage('A'.repeat(MAX_ENCODED_MESSAGE_CHARS + 1)))).toBe('too_large');
  });
});

describe('readRedirectQuery', () => {
  const sigAlg = encodeURIComponent('http://www.w3.org/2001/04/xmldsig-more#rsa-sha256');

  it('builds the signed octets in the order of §3.4.4.1 from the values as received, and the parameters decoded', () => {
    const query = readRedirectQuery(`Signature=c2ln%2B&SigAlg=${sigAlg}&foo=bar&RelayState=a+b%26c&SAMLRequest=abc%2B%2F`);
    expect(query.refusal).toBeUndefined();
    expect(query.octetString('SAMLRequest')).toBe(`SAMLRequest=abc%2B%2F&RelayState=a+b%26c&SigAlg=${sigAlg}`);
    expect(query.params).toMatchObject({ SAMLRequest: 'abc+/', RelayState: 'a b&c', Signature: 'c2ln+', foo: 'bar' });
    expect(readRedirectQuery(`SAMLResponse=x&SigAlg=${sigAlg}`).octetString('SAMLResponse')).toBe(`SAMLResponse=x&SigAlg=${sigAlg}`);
  });

  it('refuses a protocol parameter under a percent-encoded name: it would be read but not signed', () => {
    for (const name of ['RelayStat%65', 'SAMLReq%75est', 'SigAl%67', 'Sig%6eature', 'SAMLRespons%65']) {
      const query = readRedirectQuery(`SAMLRequest=x&SigAlg=${sigAlg}&${name}=evil&Signature=s`);
      expect(query.refusal?.reason).toBe('encoded_parameter_name');
    }
    expect(readRedirectQuery('relaystat%65=x&SAMLRequest=x').refusal).toBeUndefined(); // another name altogether
  });

  it('refuses a protocol parameter sent twice, and lets other parameters repeat', () => {
    for (const name of ['SAMLRequest', 'SAMLResponse', 'RelayState', 'SigAlg', 'Signature']) {
      expect(readRedirectQuery(`${name}=a&SAMLRequest=x&${name}=b`).refusal?.reason).toBe('duplicate_parameter');
    }
    expect(readRedirectQuery('SAMLRequest=x&ui_locales=ja&ui_locales=en').refusal).toBeUndefined();
  });

  it('treats names such as __proto__ as plain names', () => {
    const query = readRedirectQuery('__proto__=x&constructor=y&SAMLRequest=z');
    expect(query.params.SAMLRequest).toBe('z');
    expect(Object.getPrototypeOf(query.params)).toBeNull();
    expect(query.params.constructor).toBe('y');
  });
});
