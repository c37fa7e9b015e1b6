import https from 'node:https';
import tls from 'node:tls';
import { generateKeyPairSync } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import forge from 'node-forge';

// A CIBA client's notification endpoint (OpenID CIBA Core 1.0 §10.2, ping mode): HTTPS (the engine requires an https
// backchannel_client_notification_endpoint) on 127.0.0.1 with a certificate made here, which this test process then
// trusts (tls.setDefaultCACertificates), as an operator would with NODE_EXTRA_CA_CERTS.

export interface Notification {
  authorization: string | undefined;
  contentType: string | undefined;
  body: string;
}

function selfSignedForLoopback(): { key: string; cert: string } {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.publicKeyFromPem(publicKey.export({ type: 'spki', format: 'pem' }).toString());
  cert.serialNumber = '01';
  cert.validity.notBefore = new Date(Date.now() - 60_000);
  cert.validity.notAfter = new Date(Date.now() + 24 * 3600 * 1000);
  const name = [{ name: 'commonName', value: '127.0.0.1' }];
  cert.setSubject(name);
  cert.setIssuer(name);
  cert.setExtensions([{ name: 'subjectAltName', altNames: [{ type: 7, ip: '127.0.0.1' }] }]);
  const keyPem = privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();
  cert.sign(forge.pki.privateKeyFromPem(keyPem), forge.md.sha256.create());
  return { key: keyPem, cert: forge.pki.certificateToPem(cert) };
}

export async function startNotificationReceiver() {
  const { key, cert } = selfSignedForLoopback();
  const before = tls.getCACertificates('default');
  tls.setDefaultCACertificates([...before, cert]);
  const received: Notification[] = [];
  const server = https.createServer({ key, cert }, (req, res) => {
    let body = '';
    req.on('data', (chunk) => { body += chunk; });
    req.on('end', () => {
      received.push({ authorization: req.headers.authorization, contentType: req.headers['content-type'], body });
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `https://127.0.0.1:${(server.address() as AddressInfo).port}/ciba-notify`,
    received,
    async next(timeoutMs = 10_000): Promise<Notification> {
      const deadline = Date.now() + timeoutMs;
      while (Date.now() < deadline) {
        if (received.length) return received.shift()!;
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
      throw new Error(`no notification within ${timeoutMs} ms`);
    },
    close: () => {
      tls.setDefaultCACertificates(before);
      server.closeAllConnections();
      server.close();
    },
  };
}
