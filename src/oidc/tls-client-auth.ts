import { X509Certificate } from 'node:crypto';
import { z } from 'zod';
import type { Configuration, KoaContextWithOIDC } from 'oidc-provider';

// tls_client_auth (RFC 8705 §2.1), one of the two client authentications of FAPI 2.0 (§5.3.2.1-6). TLS ends at the
// proxy in front of us, so the proxy verifies the client certificate against the CAs it trusts and passes it on in a
// request header. That header is believed only from a trusted proxy: src/app.ts removes it from requests of any
// other peer (http.trustedProxies), so a client cannot name a certificate it does not hold.

const headerName = z.string().regex(/^[A-Za-z0-9-]+$/).transform((name) => name.toLowerCase());

export const tlsClientAuthConfigSchema = z.object({
  certificateHeader: headerName.optional()
    .describe('header in which the TLS-terminating proxy passes the client certificate (URL-encoded PEM as nginx '
      + '$ssl_client_escaped_cert, or base64 DER); unset: tls_client_auth is off'),
  verifiedHeader: headerName.optional()
    .describe('header with the proxy\'s verification result, which must be SUCCESS (nginx $ssl_client_verify); '
      + 'unset: the proxy forwards only certificates it verified (nginx ssl_verify_client on)'),
}).prefault({}).describe('mutual-TLS client authentication behind a TLS-terminating proxy (RFC 8705 §2.1)');

export type TlsClientAuthConfig = z.output<typeof tlsClientAuthConfigSchema>;

/** The headers only a trusted proxy may set (removed from everyone else's requests). */
export const tlsClientAuthHeaders = (config: TlsClientAuthConfig): string[] =>
  [config.certificateHeader, config.verifiedHeader].filter((name): name is string => Boolean(name));

/** The certificate the proxy passed: URL-encoded PEM, PEM, or base64 DER. */
export function parseForwardedCertificate(value: string | undefined): X509Certificate | undefined {
  if (!value) return undefined;
  try {
    const text = value.includes('%') ? decodeURIComponent(value) : value;
    return new X509Certificate(text.includes('-----BEGIN') ? text : Buffer.from(text, 'base64'));
  } catch {
    return undefined;
  }
}

/** RFC 4514 names compared as sets of attribute=value pairs (order and spacing aside). */
const dnParts = (dn: string) => new Set(dn.split(/[\n,]/).map((part) => part.trim()).filter(Boolean));

/** RFC 8705 §2.1.2: the registered tls_client_auth_* value must match the certificate's subject or SAN. */
export function certificateMatches(cert: X509Certificate, property: string, expected: string): boolean {
  const sans = (cert.subjectAltName ?? '').split(', ');
  switch (property) {
    case 'tls_client_auth_subject_dn': {
      const actual = dnParts(cert.subject);
      const wanted = dnParts(expected);
      return actual.size === wanted.size && [...wanted].every((part) => actual.has(part));
    }
    case 'tls_client_auth_san_dns': return sans.includes(`DNS:${expected}`);
    case 'tls_client_auth_san_uri': return sans.includes(`URI:${expected}`);
    case 'tls_client_auth_san_ip': return sans.includes(`IP Address:${expected}`);
    case 'tls_client_auth_san_email': return sans.includes(`email:${expected}`);
    default: return false;
  }
}

/** The engine's mTLS feature, or undefined when no certificate header is configured. */
export function tlsClientAuthFeature(config: TlsClientAuthConfig): NonNullable<Configuration['features']>['mTLS'] | undefined {
  const { certificateHeader, verifiedHeader } = config;
  if (!certificateHeader) return undefined;
  const certificate = (ctx: KoaContextWithOIDC) => parseForwardedCertificate(ctx.get(certificateHeader) || undefined);
  return {
    enabled: true,
    tlsClientAuth: true,
    // FAPI 2.0 sender-constrains tokens with DPoP here; certificate-bound tokens (RFC 8705 §3) stay off.
    certificateBoundAccessTokens: false,
    selfSignedTlsClientAuth: false,
    getCertificate: certificate,
    certificateAuthorized: (ctx) => !verifiedHeader || ctx.get(verifiedHeader) === 'SUCCESS',
    certificateSubjectMatches: (ctx, property, expected) => {
      const cert = certificate(ctx);
      return cert !== undefined && certificateMatches(cert, property, expected);
    },
  };
}
