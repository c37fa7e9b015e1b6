import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';

// A real HTTP webhook receiver on 127.0.0.1 that verifies every delivery with the reference `standardwebhooks`
// package, as a subscriber would. `answer` decides the status code per request (e.g. 500 for a while).

export interface Received {
  id: string;
  timestamp: string;
  signature: string;
  body: { id: string; type: string; version: number; timestamp: string; data: Record<string, any> };
  verified: boolean;
  /** Which of the receiver's secrets verified it (index into `secrets`), -1 for none. */
  verifiedBy: number;
  at: number;
  status: number;
}

export interface WebhookReceiver {
  url: string;
  received: Received[];
  /** Deliveries answered 2xx, verified. */
  accepted(): Received[];
  secrets: string[];
  answer: (request: number) => number;
  waitFor(predicate: (received: Received[]) => boolean, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

export async function startWebhookReceiver(): Promise<WebhookReceiver> {
  const receiver: WebhookReceiver = {
    url: '', received: [], secrets: [], answer: () => 200,
    accepted: () => receiver.received.filter((r) => r.status < 300 && r.verified),
    async waitFor(predicate, timeoutMs = 60_000) {
      const deadline = Date.now() + timeoutMs;
      while (!predicate(receiver.received)) {
        if (Date.now() > deadline) throw new Error(`receiver: condition not met in ${timeoutMs} ms (${receiver.received.length} received)`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    },
    close: () => new Promise((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
  let count = 0;
  const server = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      const headers = {
        'webhook-id': String(request.headers['webhook-id'] ?? ''),
        'webhook-timestamp': String(request.headers['webhook-timestamp'] ?? ''),
        'webhook-signature': String(request.headers['webhook-signature'] ?? ''),
      };
      const verifiedBy = receiver.secrets.findIndex((secret) => {
        try { new Webhook(secret).verify(raw, headers); return true; } catch { return false; }
      });
      const status = receiver.answer(count++);
      receiver.received.push({
        id: headers['webhook-id'], timestamp: headers['webhook-timestamp'], signature: headers['webhook-signature'],
        body: JSON.parse(raw), verified: verifiedBy >= 0, verifiedBy, at: Date.now(), status,
      });
      response.writeHead(status).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  receiver.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks`;
  return receiver;
}
