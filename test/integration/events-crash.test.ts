import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { ROOT } from '../helpers/cli.ts';
import { testMongoUri } from '../helpers/mongo.ts';
import { startTestApp, TEST_SECRETS, type TestApp } from '../helpers/test-app.ts';
import { startWebhookReceiver, type WebhookReceiver } from '../helpers/webhook-receiver.ts';

// Real IdP processes (`node src/main.ts`) on one database: one killed with SIGKILL in the middle of a stream of
// changes and started again loses nothing (a repeat carries the same webhook-id); two running side by side
// deliver each event once between them. Changes are made by an in-test app whose own event workers are off.

const SYSTEM = { type: 'system' as const, id: 'test' };

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function startIdp(mongoUri: string): Promise<ChildProcess> {
  const port = await freePort();
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([name]) => name === 'PATH' || name === 'HOME' || name.startsWith('MONGOMS_')));
  const child = spawn(process.execPath, [path.join(ROOT, 'src', 'main.ts')], {
    cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'],
    env: {
      ...inherited as Record<string, string>, NODE_ENV: 'test', MONGODB_URI: mongoUri, PORT: String(port), ISSUER: `http://127.0.0.1:${port}`,
      IDP_HOST: '127.0.0.1', IDP_LOG_LEVEL: 'warn', IDP_SECRETS_COOKIE_KEYS: JSON.stringify(TEST_SECRETS.cookieKeys),
      IDP_SECRETS_KEY_ENCRYPTION_KEY: TEST_SECRETS.keyEncryptionKey, IDP_WEBHOOKS_ALLOW_PRIVATE_TARGETS: 'true',
      IDP_WEBHOOKS_POLL_MS: '50', IDP_EVENTS_LEASE_SECONDS: '2', IDP_DATA_DIR: mkdtempSync(path.join(tmpdir(), 'idp-events-')),
    },
  });
  child.stderr!.on('data', (chunk: Buffer) => { if (process.env.TEST_LOG_LEVEL) process.stderr.write(chunk); });
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the IdP exited with ${child.exitCode}`);
    if (Date.now() > deadline) throw new Error('the IdP did not become ready in 60 s');
    const ready = await fetch(`http://127.0.0.1:${port}/healthz`).then((r) => r.ok, () => false);
    if (ready) return child;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

const killed = (child: ChildProcess, signal: NodeJS.Signals) => new Promise<void>((resolve) => {
  if (child.exitCode !== null || child.signalCode !== null) { resolve(); return; }
  child.once('exit', () => resolve());
  child.kill(signal);
});

describe('events across crashes and instances', () => {
  let writer: TestApp;
  let receiver: WebhookReceiver;
  const children: ChildProcess[] = [];
  const mongoUri = testMongoUri('events_crash');

  beforeAll(async () => {
    receiver = await startWebhookReceiver();
    writer = await startTestApp({ mongoUri, overrides: { events: { enabled: false }, webhooks: { allowPrivateTargets: true } } });
  });
  afterAll(async () => {
    await Promise.all(children.map((child) => killed(child, 'SIGTERM')));
    await writer?.stop();
    await receiver?.close();
  });

  test('SIGKILL mid-stream and a restart lose nothing; two instances then deliver each event once', async () => {
    const account = await writer.container.accounts.createByAdmin({ email: 'crash.test@example.jp', password: 'a long enough password', verified: true });
    const subscription = await writer.container.events.webhooks.add({ url: receiver.url, events: ['user.updated'] }, SYSTEM);
    receiver.secrets = [subscription.secret!];
    const change = (i: number) => writer.container.users.update(account._id, { attributes: { nickname: `c${i}` } }, SYSTEM);

    const first = await startIdp(mongoUri);
    children.push(first);
    for (let i = 0; i < 150; i += 1) await change(i);
    await receiver.waitFor((received) => received.length >= 40, 60_000);
    await killed(first, 'SIGKILL');
    const atKill = receiver.received.length;
    for (let i = 150; i < 300; i += 1) await change(i); // while no IdP runs at all
    expect(receiver.received.length).toBe(atKill);

    const second = await startIdp(mongoUri);
    children.push(second);
    const unique = () => new Set(receiver.received.map((r) => r.id));
    await receiver.waitFor(() => unique().size >= 300, 120_000);
    const stored = await writer.container.events.events.find({ type: 'user.updated', 'data.accountId': account._id }).sort({ seq: 1 }).toArray();
    expect(stored).toHaveLength(300);
    expect([...unique()]).toEqual(stored.map((event) => event._id)); // every change, in order (first arrival of each)
    expect(receiver.received.every((r) => r.verified && r.id === r.body.id)).toBe(true);
    // A repeat is allowed only as the same event (same webhook-id, same body).
    const bodies = new Map(receiver.received.map((r) => [r.id, JSON.stringify(r.body)]));
    expect(receiver.received.every((r) => bodies.get(r.id) === JSON.stringify(r.body))).toBe(true);

    // A second instance beside the first: each event once between them.
    const third = await startIdp(mongoUri);
    children.push(third);
    receiver.received.length = 0;
    for (let i = 300; i < 500; i += 1) await change(i);
    await receiver.waitFor((received) => received.length >= 200, 120_000);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(receiver.received).toHaveLength(200);
    expect(new Set(receiver.received.map((r) => r.id)).size).toBe(200);
    const later = await writer.container.events.events.find({ type: 'user.updated', 'data.accountId': account._id }).sort({ seq: 1 }).skip(300).toArray();
    expect(receiver.received.map((r) => r.id)).toEqual(later.map((event) => event._id));
  }, 400_000);
});
