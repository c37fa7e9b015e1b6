import net from 'node:net';
import { describe, expect, test } from '@jest/globals';
import { startTestApp } from '../helpers/test-app.ts';

describe('graceful stop', () => {
  test('in-flight requests finish, new connections are refused, MongoDB is closed', async () => {
    const app = await startTestApp({ label: 'stop' });
    const socket = net.connect(app.port, '127.0.0.1');
    await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
    // Half a request: headers sent, body still to come, so the request is in flight when the stop begins.
    const body = 'grant_type=client_credentials';
    socket.write(`POST /token HTTP/1.1\r\nHost: 127.0.0.1:${app.port}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n`);
    let response = '';
    socket.on('data', (chunk) => { response += chunk; });
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    await new Promise((resolve) => setTimeout(resolve, 100));

    const stopping = app.stop();
    await new Promise((resolve) => setTimeout(resolve, 100));
    await expect(fetch(`${app.issuer}/healthz`)).rejects.toThrow();
    socket.end(body);
    await Promise.race([closed, new Promise((_, reject) => setTimeout(() => reject(new Error('no answer in 10 s')), 10_000))]);
    await stopping;

    expect(response).toMatch(/^HTTP\/1\.1 (400|401) /); // answered by the engine (no client credentials), not cut off
    expect(app.container.connection.readyState).toBe(0);
  });
});
