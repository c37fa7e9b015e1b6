import { createPrivateKey, createPublicKey, randomBytes, type JsonWebKey } from 'node:crypto';
import forge from 'node-forge';

// Self-signed X.509 certificates for our RSA signing keys: SAML metadata (saml-metadata §2.4.1.1 KeyDescriptor)
// carries keys as certificates, not JWKs. The only importer of node-forge. The certificate is only a container
// for the public key: SPs pin it from our metadata, so its validity dates matter little, but some SPs check
// them, hence a long validity.
const VALIDITY_YEARS = 10;

export function selfSignedCertificate(privateJwk: JsonWebKey, commonName: string): string {
  const privatePem = createPrivateKey({ key: privateJwk, format: 'jwk' }).export({ format: 'pem', type: 'pkcs1' }).toString();
  const publicPem = createPublicKey({ key: privateJwk, format: 'jwk' }).export({ format: 'pem', type: 'spki' }).toString();
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.publicKeyFromPem(publicPem);
  // RFC 5280 §4.1.2.2: a positive serial of up to 20 octets.
  cert.serialNumber = `01${randomBytes(15).toString('hex')}`;
  const now = new Date();
  cert.validity.notBefore = new Date(now.getTime() - 60_000);
  cert.validity.notAfter = new Date(now.getTime() + VALIDITY_YEARS * 365 * 24 * 3600 * 1000);
  const name = [{ name: 'commonName', value: commonName.slice(0, 64) }];
  cert.setSubject(name);
  cert.setIssuer(name);
  cert.setExtensions([
    { name: 'basicConstraints', cA: false },
    { name: 'keyUsage', digitalSignature: true, nonRepudiation: true },
  ]);
  cert.sign(forge.pki.privateKeyFromPem(privatePem), forge.md.sha256.create());
  return forge.pki.certificateToPem(cert);
}

/** The base64 DER body of a PEM certificate, as ds:X509Certificate wants it. */
export function certificateBody(pem: string): string {
  return pem.replace(/-----(BEGIN|END) CERTIFICATE-----/g, '').replace(/\s+/g, '');
}
