import { afterAll, describe, expect, test } from '@jest/globals';
import { Browser } from '../helpers/browser.ts';
import { testMongoUri } from '../helpers/mongo.ts';
import { authorizationRequest, client, registerRp, RP_REDIRECT, signIn } from '../helpers/rp.ts';
import { startTcpProxy, type TcpProxy } from '../helpers/tcp-proxy.ts';
import { startTestApp, type TestApp } from '../helpers/test-app.ts';

const user = { email: 'steady@example.jp', password: 'a long enough password' };

describe('restart against the same database', () => {
  const apps: TestApp[] = [];
  afterAll(async () => {
    for (const app of apps) await app.stop().catch(() => undefined);
  });

  test('sessions, clients, keys and issued tokens survive a restart', async () => {
    const first = await startTestApp({ label: 'restart' });
    apps.push(first);
    await first.container.accounts.createByAdmin({ ...user, verified: true });
    const rp = await registerRp(first);
    const browser = new Browser();
    const { tokens } = await signIn(browser, rp, user, { scope: 'openid email offline_access', prompt: 'consent' });
    const jwksBefore = await (await fetch(`${first.issuer}/jwks`)).json();
    await first.stop();

    const second = await startTestApp({ mongoUri: first.mongoUri, port: first.port });
    apps.push(second);
    expect(second.issuer).toBe(first.issuer);
    expect(await (await fetch(`${second.issuer}/jwks`)).json()).toEqual(jwksBefore);

    const rpAgain = await registerRpAgain(second, rp.clientId, rp.metadata.client_secret as string);
    expect((await client.tokenIntrospection(rpAgain, tokens.access_token)).active).toBe(true);
    const refreshed = await client.refreshTokenGrant(rpAgain, tokens.refresh_token!);
    expect(refreshed.claims()!.sub).toBe(tokens.claims()!.sub);

    // The browser's session cookie still signs in without a login page.
    browser.stopAt = [RP_REDIRECT];
    const request = await authorizationRequest({ ...rp, config: rpAgain });
    const page = await browser.get(request.url.toString());
    expect(page.url.startsWith(RP_REDIRECT)).toBe(true);
    expect(new URL(page.url).searchParams.get('code')).toBeTruthy();
  });
});

async function registerRpAgain(app: TestApp, clientId: string, secret: string) {
  return client.discovery(new URL(app.issuer), clientId, undefined, client.ClientSecretBasic(secret), {
    execute: [client.allowInsecureRequests],
  });
}

describe('MongoDB outage', () => {
  let app: TestApp;
  let proxy: TcpProxy;
  afterAll(async () => {
    await app?.stop().catch(() => undefined);
    await proxy?.close();
  });

  test('requests answer 503 within 10 s while MongoDB is unreachable, and service resumes by itself', async () => {
    const real = new URL(testMongoUri('outage'));
    proxy = await startTcpProxy(Number(real.port));
    const viaProxy = `mongodb://127.0.0.1:${proxy.port}${real.pathname}?directConnection=true`;
    app = await startTestApp({ mongoUri: viaProxy, overrides: { mongodb: { serverSelectionTimeoutMS: 3000 } } });
    await app.container.accounts.createByAdmin({ ...user, verified: true });
    const rp = await registerRp(app, { grant_types: ['authorization_code', 'refresh_token', 'client_credentials'] });
    const { tokens } = await signIn(new Browser(), rp, user);

    proxy.cut();
    const started = Date.now();
    const token = await fetch(`${app.issuer}/token`, {
      method: 'POST',
      headers: {
        authorization: `Basic ${Buffer.from(`${rp.clientId}:${rp.metadata.client_secret}`).toString('base64')}`,
        'content-type': 'application/x-www-form-urlencoded', accept: 'application/json',
      },
      body: 'grant_type=client_credentials',
    });
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(token.status).toBe(503);
    expect(token.headers.get('retry-after')).toBe('5');
    expect(await token.json()).toMatchObject({ error: 'temporarily_unavailable' });

    const page = await new Browser().get((await authorizationRequest(rp)).url.toString());
    expect(page.status).toBe(503);
    expect(page.body).toContain('temporarily unavailable');
    expect((await fetch(`${app.issuer}/readyz`)).status).toBe(503);
    expect((await fetch(`${app.issuer}/healthz`)).status).toBe(200);

    proxy.restore();
    let ready = false;
    for (let i = 0; i < 60 && !ready; i++) {
      ready = (await fetch(`${app.issuer}/readyz`)).status === 200;
      if (!ready) await new Promise((resolve) => setTimeout(resolve, 250));
    }
    expect(ready).toBe(true);
    expect((await client.tokenIntrospection(rp.config, tokens.access_token)).active).toBe(true);
    const again = await signIn(new Browser(), rp, user);
    expect(again.tokens.claims()!.sub).toBe(tokens.claims()!.sub);
  });
});
