import net from 'node:net';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { Browser, type Page } from '../helpers/browser.ts';
import { cliEnvFor, runIdp } from '../helpers/cli.ts';
import { testMongoUri } from '../helpers/mongo.ts';
import { authorizationRequest, client, exchangeCode, registerRp, RP_REDIRECT, signIn, type Rp } from '../helpers/rp.ts';
import { startRoundRobinProxy, type RoundRobinProxy } from '../helpers/round-robin-proxy.ts';
import { startTestApp, TEST_SECRETS, type TestApp } from '../helpers/test-app.ts';

// Three IdP instances on one database behind a round-robin TCP balancer, all with the balancer's address as issuer:
// what one instance knows (sessions, interactions, clients, revocations, failed sign-ins) every other one knows.
// The instances run in this test process (three full apps, each with its own connection pool, caches and change
// stream), which keeps the test within a minute on this machine; nothing in them is shared but MongoDB.

const PER_ACCOUNT = 10;
const PER_IP = 25;

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function within(ms: number, check: () => Promise<boolean>): Promise<number> {
  const started = Date.now();
  for (let i = 0; i < 200 && Date.now() - started < ms; i++) {
    if (await check()) return Date.now() - started;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`not within ${ms} ms`);
}

describe('three instances behind a round-robin balancer', () => {
  let apps: TestApp[];
  let proxy: RoundRobinProxy;
  let rp: Rp;
  let issuer: string;
  const user = { email: 'everywhere@example.jp', password: 'a passphrase for all three' };

  beforeAll(async () => {
    const ports = [await freePort(), await freePort(), await freePort()];
    proxy = await startRoundRobinProxy(ports);
    issuer = proxy.url;
    const mongoUri = testMongoUri('multi');
    apps = [];
    // One after another: each start-up ensures the schema and keys of the shared database.
    for (const [i, port] of ports.entries()) {
      apps.push(await startTestApp({
        label: `instance_${i}`, mongoUri, port,
        overrides: { issuer, rateLimits: { loginPerAccount: { points: PER_ACCOUNT }, loginPerIp: { points: PER_IP } } },
      }));
    }
    await apps[0]!.container.accounts.createByAdmin({ ...user, verified: true });
    rp = await registerRp({ ...apps[0]!, issuer }, { introspection_allowed: true });
  }, 120_000);
  afterAll(async () => {
    for (const app of apps ?? []) await app.stop();
    await proxy?.close();
  });

  const clientCredentials = (clientId: string, secret: string) => fetch(`${issuer}/token`, {
    method: 'POST',
    headers: {
      authorization: `Basic ${Buffer.from(`${clientId}:${secret}`).toString('base64')}`,
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: 'grant_type=client_credentials',
  });

  let tokens: Awaited<ReturnType<typeof exchangeCode>>;

  test('sign in through A, redeem the code on B, call userinfo on C', async () => {
    const browser = new Browser();
    browser.stopAt = [RP_REDIRECT];
    await proxy.pin(0);
    const request = await authorizationRequest(rp);
    let page = await browser.submit(await browser.get(request.url.toString()), user);
    if (page.html.querySelector('button[name=decision][value=allow]')) page = await browser.submit(page, { decision: 'allow' });
    expect(page.url).toMatch(/^http:\/\/127\.0\.0\.1:9\/cb\?code=/);

    await proxy.pin(1);
    const before = proxy.connections[1]!;
    tokens = await exchangeCode(rp, request, page);
    expect(proxy.connections[1]!).toBeGreaterThan(before);

    await proxy.pin(2);
    const sub = tokens.claims()!.sub;
    const info = await client.fetchUserInfo(rp.config, tokens.access_token, sub);
    expect(info).toMatchObject({ sub, email: user.email });
  });

  test('a revocation on A makes introspection on B inactive at once', async () => {
    await proxy.pin(1);
    expect((await client.tokenIntrospection(rp.config, tokens.access_token)).active).toBe(true);
    await proxy.pin(0);
    await client.tokenRevocation(rp.config, tokens.access_token);
    await proxy.pin(1);
    expect((await client.tokenIntrospection(rp.config, tokens.access_token)).active).toBe(false);
  });

  test('a client added by the CLI works on all three within a second, and its removal too', async () => {
    const env = cliEnvFor({ mongoUri: apps[0]!.mongoUri, issuer }, TEST_SECRETS);
    const added = await runIdp(['clients', 'add', '--json', JSON.stringify({
      grant_types: ['client_credentials'], response_types: [], redirect_uris: [], token_endpoint_auth_method: 'client_secret_basic',
    })], env);
    expect(added.status).toBe(0);
    const { client_id: clientId, client_secret: secret } = JSON.parse(added.stdout) as { client_id: string; client_secret: string };
    const started = Date.now();
    for (const i of [0, 1, 2]) {
      await proxy.pin(i);
      await within(1000, async () => (await clientCredentials(clientId, secret)).status === 200);
    }
    expect(Date.now() - started).toBeLessThan(1000);

    // Now every instance has the client in its cache: the removal must reach each cache.
    const removed = await runIdp(['clients', 'remove', clientId], env);
    expect(removed.status).toBe(0);
    const gone = Date.now();
    for (const i of [0, 1, 2]) {
      await proxy.pin(i);
      await within(1000, async () => (await clientCredentials(clientId, secret)).status === 401);
    }
    expect(Date.now() - gone).toBeLessThan(1000);
  }, 120_000);

  test('a key rotation by the CLI signs on all three within a second (change stream, not the 30 s poll)', async () => {
    const env = cliEnvFor({ mongoUri: apps[0]!.mongoUri, issuer }, TEST_SECRETS);
    const rotated = await runIdp(['keys', 'rotate'], env);
    expect(rotated.status).toBe(0);
    const { current } = JSON.parse(rotated.stdout) as { current: string[] };
    // A second after the command, every instance must already sign with the new key, at the first try.
    await new Promise((resolve) => setTimeout(resolve, 1000));
    for (const i of [0, 1, 2]) {
      await proxy.pin(i);
      const { tokens: fresh } = await signIn(new Browser(), rp, user);
      const { kid } = JSON.parse(Buffer.from(fresh.id_token!.split('.')[0]!, 'base64url').toString()) as { kid: string };
      expect(current).toContain(kid);
    }
  }, 120_000);

  /** One sign-in attempt: the login page from one instance, the form posted to the next. */
  async function attempt(i: number, credentials: { email: string; password: string }, headers: Record<string, string> = {}): Promise<Page> {
    const browser = new Browser();
    browser.stopAt = [RP_REDIRECT];
    browser.headers = headers;
    await proxy.pin(i % 3);
    const login = await browser.get((await authorizationRequest(rp)).url.toString());
    expect(login.html.querySelector('input[name=password]')).not.toBeNull();
    await proxy.pin((i + 1) % 3);
    return browser.submit(login, credentials);
  }

  test(`${PER_ACCOUNT} wrong passwords spread over the three lock the account exactly as one instance would`, async () => {
    const target = { email: 'guessed@example.jp', password: 'the owner passphrase' };
    await apps[1]!.container.accounts.createByAdmin({ ...target, verified: true });
    const served = [...proxy.connections];
    for (let i = 0; i < PER_ACCOUNT; i++) {
      const page = await attempt(i, { email: target.email, password: `wrong guess ${i}` });
      expect(page.status).toBe(400);
    }
    // Every instance took part in the guessing.
    for (const [i, count] of proxy.connections.entries()) expect(count).toBeGreaterThan(served[i]!);
    // On every instance, even the right password is now refused until the window passes.
    for (const i of [0, 1, 2]) {
      const locked = await attempt(i, target);
      expect(locked.status).toBe(429);
      expect(locked.url).not.toContain(RP_REDIRECT);
      expect(Number(locked.headers.get('retry-after'))).toBeGreaterThan(0);
    }
  }, 120_000);

  test(`the per-IP limit (${PER_IP}) holds over the three, and a forged X-Forwarded-For from an untrusted peer does not escape it`, async () => {
    // Start from an empty per-IP counter (the previous test counted its guesses against this address too).
    await apps[2]!.container.connection.db!.collection('rate_limits').deleteMany({ key: /^loginPerIp:/ });
    for (let i = 0; i < PER_IP; i++) {
      // Each guess claims another client address, and another account, so only the IP limit can stop it.
      const page = await attempt(i, { email: `nobody${i}@example.jp`, password: 'wrong' }, { 'x-forwarded-for': `203.0.113.${i + 1}` });
      expect(page.status).toBe(400);
    }
    const refused = await attempt(PER_IP, user, { 'x-forwarded-for': '198.51.100.7' });
    expect(refused.status).toBe(429);
  }, 180_000);
});
