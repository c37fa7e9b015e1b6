import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** An RP's front-channel logout endpoint (OIDC Front-Channel Logout 1.0 §2): records the query of every request. */
export async function startFrontchannelReceiver() {
  const received: URLSearchParams[] = [];
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (url.pathname === '/frontchannel') received.push(url.searchParams);
    res.writeHead(200, { 'Content-Type': 'text/html', 'Cache-Control': 'no-store' }).end('<!DOCTYPE html><title>signed out</title>');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    origin, received,
    close: () => new Promise<void>((resolve) => { server.close(() => resolve()); server.closeAllConnections(); }),
  };
}

export type FrontchannelReceiver = Awaited<ReturnType<typeof startFrontchannelReceiver>>;
