import { describe, expect, test } from '@jest/globals';
import { fapi2MetadataProblem, withProfileDefaults } from '../../src/oidc/fapi-profile.ts';
import { certificateMatches, parseForwardedCertificate, tlsClientAuthFeature } from '../../src/oidc/tls-client-auth.ts';
import { loadConfig } from '../../src/config/config.loader.ts';
import { clientCertificate } from '../helpers/client-certificate.ts';

// The FAPI 2.0 metadata rules and the proxy-passed client certificate of tls_client_auth, without I/O.

describe('FAPI 2.0 client metadata', () => {
  const fapi = withProfileDefaults({ security_profile: 'fapi2', redirect_uris: ['https://rp.example/cb'], jwks_uri: 'https://rp.example/jwks' });

  test('the defaults meet the profile; other clients get no defaults', () => {
    expect(fapi2MetadataProblem(fapi)).toBeUndefined();
    expect(withProfileDefaults({ redirect_uris: ['https://shop.example/cb'] })).toEqual({ redirect_uris: ['https://shop.example/cb'] });
  });

  test('what falls short is named', () => {
    expect(fapi2MetadataProblem({ ...fapi, response_types: ['code', 'none'] })).toMatch(/response_types/);
    expect(fapi2MetadataProblem({ ...fapi, grant_types: ['authorization_code', 'client_credentials'] })).toMatch(/grant_types/);
    expect(fapi2MetadataProblem({ ...fapi, token_endpoint_auth_signing_alg: 'RS256' })).toMatch(/token_endpoint_auth_signing_alg/);
    expect(fapi2MetadataProblem({ ...fapi, require_signed_request_object: false })).toMatch(/require_signed_request_object/);
    expect(fapi2MetadataProblem({ ...fapi, redirect_uris: ['http://127.0.0.1:8080/cb'] })).toMatch(/redirect_uris/);
    expect(fapi2MetadataProblem({ ...fapi, redirect_uris: ['http://127.0.0.1:8080/cb'], application_type: 'native' })).toBeUndefined();
    expect(fapi2MetadataProblem({ ...fapi, token_endpoint_auth_method: 'tls_client_auth' })).toBeUndefined();
  });
});

describe('tls_client_auth behind a TLS-terminating proxy', () => {
  const pem = clientCertificate();

  test('reads the certificate as nginx escapes it, as PEM, and as base64 DER; garbage is no certificate', () => {
    const der = Buffer.from(pem.replace(/-----[A-Z ]+-----|\s/g, ''), 'base64').toString('base64');
    for (const value of [encodeURIComponent(pem), pem, der]) expect(parseForwardedCertificate(value)?.subject).toMatch(/CN=bank-app/);
    expect(parseForwardedCertificate('not a certificate')).toBeUndefined();
    expect(parseForwardedCertificate(undefined)).toBeUndefined();
  });

  test('matches the registered subject DN (any order) or SAN, and nothing else', () => {
    const cert = parseForwardedCertificate(pem)!;
    expect(certificateMatches(cert, 'tls_client_auth_subject_dn', 'O=Example Bank,CN=bank-app')).toBe(true);
    expect(certificateMatches(cert, 'tls_client_auth_subject_dn', 'CN=bank-app')).toBe(false);
    expect(certificateMatches(cert, 'tls_client_auth_san_dns', 'app.bank.example')).toBe(true);
    expect(certificateMatches(cert, 'tls_client_auth_san_dns', 'evil.example')).toBe(false);
    expect(certificateMatches(cert, 'tls_client_auth_san_uri', 'https://bank.example/app')).toBe(true);
    expect(certificateMatches(cert, 'tls_client_auth_san_email', 'app.bank.example')).toBe(false);
  });

  test('a certificate header needs the proxies that may set it', () => {
    const env = { NODE_ENV: 'test', IDP_SECRETS_COOKIE_KEYS: `["${'c'.repeat(32)}"]`, IDP_SECRETS_KEY_ENCRYPTION_KEY: 'k'.repeat(40), IDP_MTLS_CERTIFICATE_HEADER: 'X-SSL-Client-Cert' };
    expect(() => loadConfig({ configDir: '/nonexistent', env })).toThrow(/mtls.certificateHeader: needs http.trustedProxies/);
    const config = loadConfig({ configDir: '/nonexistent', env: { ...env, IDP_HTTP_TRUSTED_PROXIES: '10.0.0.1' } });
    expect(config.mtls.certificateHeader).toBe('x-ssl-client-cert');
  });

  test('off without a certificate header; with one, the verification header must say SUCCESS', () => {
    expect(tlsClientAuthFeature({})).toBeUndefined();
    const feature = tlsClientAuthFeature({ certificateHeader: 'x-ssl-client-cert', verifiedHeader: 'x-ssl-client-verify' })!;
    const ctx = (headers: Record<string, string>) => ({ get: (name: string) => headers[name] ?? '' }) as never;
    expect(feature.certificateAuthorized!(ctx({ 'x-ssl-client-verify': 'SUCCESS' }))).toBe(true);
    expect(feature.certificateAuthorized!(ctx({ 'x-ssl-client-verify': 'FAILED:unable to verify' }))).toBe(false);
    expect(feature.getCertificate!(ctx({ 'x-ssl-client-cert': encodeURIComponent(pem) }))).toBeDefined();
    expect(feature.getCertificate!(ctx({}))).toBeUndefined();
  });
});
