import { generateKeyPairSync } from 'node:crypto';
import forge from 'node-forge';

// A self-signed client certificate (PEM) with a subject and DNS + URI subject alternative names, as a client of
// tls_client_auth would present to the TLS-terminating proxy.
export function clientCertificate(dns = 'app.bank.example'): string {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.publicKeyFromPem(publicKey.export({ format: 'pem', type: 'spki' }).toString());
  cert.serialNumber = '01';
  cert.validity.notBefore = new Date(Date.now() - 60_000);
  cert.validity.notAfter = new Date(Date.now() + 3600_000);
  const subject = [{ name: 'commonName', value: 'bank-app' }, { name: 'organizationName', value: 'Example Bank' }];
  cert.setSubject(subject);
  cert.setIssuer(subject);
  cert.setExtensions([{ name: 'subjectAltName', altNames: [{ type: 2, value: dns }, { type: 6, value: 'https://bank.example/app' }] }]);
  cert.sign(forge.pki.privateKeyFromPem(privateKey.export({ format: 'pem', type: 'pkcs1' }).toString()), forge.md.sha256.create());
  return forge.pki.certificateToPem(cert);
}
