import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** An RP's back-channel logout endpoint (OIDC Back-Channel Logout 1.0 §2.5) that records the logout tokens it gets. */
export async function startBackchannelReceiver() {
  const received: string[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => { body += chunk; });
    req.on('end', () => {
      received.push(new URLSearchParams(body).get('logout_token') ?? '');
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/backchannel`, received, close: () => server.close() };
}

export type BackchannelReceiver = Awaited<ReturnType<typeof startBackchannelReceiver>>;
