import http from 'node:http';
import https from 'node:https';
import { guardedLookup, isBlockedAddress, targetRefused } from './ssrf-guard.ts';
import net from 'node:net';

// One POST to a subscriber: no redirects followed (a redirect could point anywhere, including inside the
// network), the response body read only up to a small bound, the whole exchange bounded by `timeoutMs`.

export interface PostResult {
  status?: number;
  latencyMs: number;
  error?: unknown;
}

const MAX_RESPONSE_BYTES = 64 * 1024;

export function postWebhook(url: string, headers: Record<string, string>, body: string, options: { timeoutMs: number; allowPrivate: boolean }): Promise<PostResult> {
  const started = performance.now();
  const latency = () => Math.round(performance.now() - started);
  return new Promise((resolve) => {
    let target: URL;
    try { target = new URL(url); } catch (error) { resolve({ latencyMs: 0, error }); return; }
    const host = target.hostname.replace(/^\[|\]$/g, '');
    // An IP literal is connected to without a lookup: check it here.
    if (!options.allowPrivate && net.isIP(host) && isBlockedAddress(host)) {
      resolve({ latencyMs: 0, error: targetRefused(`${host} is a private, loopback or reserved address`) });
      return;
    }
    const client = target.protocol === 'https:' ? https : http;
    const request = client.request(target, {
      method: 'POST',
      headers: { ...headers, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), 'user-agent': 'idp-webhooks/1' },
      lookup: guardedLookup(options.allowPrivate),
      timeout: options.timeoutMs,
    }, (response) => {
      let read = 0;
      response.on('data', (chunk: Buffer) => { read += chunk.length; if (read > MAX_RESPONSE_BYTES) response.destroy(); });
      response.on('end', () => resolve({ status: response.statusCode, latencyMs: latency() }));
      response.on('close', () => resolve({ status: response.statusCode, latencyMs: latency() }));
      response.on('error', () => resolve({ status: response.statusCode, latencyMs: latency() }));
    });
    const deadline = setTimeout(() => request.destroy(new Error(`timeout after ${options.timeoutMs} ms`)), options.timeoutMs);
    // The socket keeps a running process alive; the deadline alone must not hold up a stopping one.
    deadline.unref();
    request.on('timeout', () => request.destroy(new Error(`timeout after ${options.timeoutMs} ms`)));
    request.on('error', (error) => resolve({ latencyMs: latency(), error }));
    request.on('close', () => clearTimeout(deadline));
    request.end(body);
  });
}
