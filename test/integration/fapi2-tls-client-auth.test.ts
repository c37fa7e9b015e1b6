import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { Browser } from '../helpers/browser.ts';
import { clientCertificate } from '../helpers/client-certificate.ts';
import { client, pushedRequest, registerFapiRp, signInAt, type FapiRp } from '../helpers/fapi-rp.ts';
import { startTestApp, type TestApp } from '../helpers/test-app.ts';

// tls_client_auth (RFC 8705 §2.1) for a FAPI client behind a TLS-terminating proxy: the test plays the proxy, which
// passes the client certificate it verified in headers (as nginx's $ssl_client_escaped_cert and $ssl_client_verify).

const HEADERS = { certificateHeader: 'x-ssl-client-cert', verifiedHeader: 'x-ssl-client-verify' };

/** The FAPI RP, authenticating with the certificate the "proxy" passes on (`headers` of each request). */
async function mtlsRp(app: TestApp, headers: () => Record<string, string>): Promise<FapiRp> {
  const rp = await registerFapiRp(app, { token_endpoint_auth_method: 'tls_client_auth', tls_client_auth_san_dns: 'app.bank.example' });
  const config = await client.discovery(new URL(app.issuer), rp.clientId, {
    id_token_signed_response_alg: 'ES256', authorization_signed_response_alg: 'ES256',
  }, client.TlsClientAuth(), { execute: [client.allowInsecureRequests, client.useJwtResponseMode] });
  config[client.customFetch] = (url, options) => {
    const init = options as RequestInit;
    return fetch(url, { ...init, headers: { ...Object.fromEntries(new Headers(init.headers)), ...headers() } });
  };
  return { ...rp, config };
}

describe('tls_client_auth behind a TLS-terminating proxy', () => {
  let app: TestApp;
  const user = { email: 'mtls@example.jp', password: 'correct horse battery staple' };
  const good = encodeURIComponent(clientCertificate('app.bank.example'));
  let passed: Record<string, string> = {};
  let rp: FapiRp;

  beforeAll(async () => {
    // The test's own requests come from 127.0.0.1: here that is the trusted proxy.
    app = await startTestApp({ label: 'fapi2mtls', overrides: { mtls: HEADERS, http: { trustedProxies: ['127.0.0.1'] } } });
    await app.container.accounts.createByAdmin({ ...user, name: 'Mika Tanaka', verified: true });
    rp = await mtlsRp(app, () => passed);
  });
  afterAll(async () => app?.stop());

  test('discovery offers tls_client_auth; a FAPI client authenticates with its certificate through PAR, sign-in and token', async () => {
    expect(rp.config.serverMetadata().token_endpoint_auth_methods_supported).toContain('tls_client_auth');
    passed = { 'x-ssl-client-cert': good, 'x-ssl-client-verify': 'SUCCESS' };
    const dpop = client.getDPoPHandle(rp.config, await client.randomDPoPKeyPair('ES256'));
    const request = await pushedRequest(rp, dpop);
    const callback = await signInAt(new Browser(), request.url, user);
    const tokens = await client.authorizationCodeGrant(rp.config, new URL(callback.url), {
      pkceCodeVerifier: request.verifier, expectedState: request.state, expectedNonce: request.nonce,
    }, undefined, { DPoP: dpop });
    expect(tokens.token_type.toLowerCase()).toBe('dpop');
  });

  test('refused: no certificate, one the proxy could not verify, or one for another name', async () => {
    const cases: Array<Record<string, string>> = [
      {},
      { 'x-ssl-client-cert': good, 'x-ssl-client-verify': 'FAILED:unable to get local issuer certificate' },
      { 'x-ssl-client-cert': encodeURIComponent(clientCertificate('evil.example')), 'x-ssl-client-verify': 'SUCCESS' },
    ];
    for (const headers of cases) {
      passed = headers;
      await expect(pushedRequest(rp, undefined)).rejects.toThrow(/invalid_client/);
    }
  });
});

describe('tls_client_auth headers from a peer that is not the trusted proxy', () => {
  let app: TestApp;

  beforeAll(async () => {
    app = await startTestApp({ label: 'fapi2mtlsdirect', overrides: { mtls: HEADERS, http: { trustedProxies: ['10.9.9.9'] } } });
  });
  afterAll(async () => app?.stop());

  test('are removed: a client cannot name a certificate it never presented', async () => {
    const headers = { 'x-ssl-client-cert': encodeURIComponent(clientCertificate()), 'x-ssl-client-verify': 'SUCCESS' };
    const rp = await mtlsRp(app, () => headers);
    await expect(pushedRequest(rp, undefined)).rejects.toThrow(/invalid_client/);
  });
});
