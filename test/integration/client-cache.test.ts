import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { registerRp, type Rp } from '../helpers/rp.ts';
import { startTestApp, type TestApp } from '../helpers/test-app.ts';

async function clientCredentials(app: TestApp, rp: Rp) {
  return fetch(`${app.issuer}/token`, {
    method: 'POST',
    headers: {
      authorization: `Basic ${Buffer.from(`${rp.clientId}:${rp.metadata.client_secret}`).toString('base64')}`,
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: 'grant_type=client_credentials',
  });
}

async function eventually(check: () => Promise<boolean>, what: string) {
  for (let i = 0; i < 100; i++) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`not within 5 s: ${what}`);
}

describe('client metadata cache', () => {
  let app: TestApp;
  let rp: Rp;
  beforeAll(async () => {
    app = await startTestApp({ label: 'clientcache' });
    rp = await registerRp(app, { grant_types: ['client_credentials'], response_types: [], redirect_uris: [], post_logout_redirect_uris: [] });
  });
  afterAll(async () => app?.stop());

  test('a client read once is served from memory, and a change in MongoDB evicts it at once', async () => {
    const clients = app.container.connection.db!.collection('oidc_client');
    await eventually(async () => {
      expect((await clientCredentials(app, rp)).status).toBe(200);
      return app.container.clientCache.get(rp.clientId) !== undefined;
    }, 'the change stream is live and the client cached');

    // Another process (the CLI, another IdP instance) rotates the client's secret directly in MongoDB.
    await clients.updateOne({ _id: rp.clientId as never }, { $set: { 'payload.client_secret': 'rotated-secret-0123456789abcdef0123456789' } });
    await eventually(async () => app.container.clientCache.get(rp.clientId) === undefined, 'eviction after an update');
    const refused = await clientCredentials(app, rp);
    expect(refused.status).toBe(401);
    expect(await refused.json()).toMatchObject({ error: 'invalid_client' });
    const rotated = await clientCredentials(app, { ...rp, metadata: { ...rp.metadata, client_secret: 'rotated-secret-0123456789abcdef0123456789' } });
    expect(rotated.status).toBe(200);

    await clients.deleteOne({ _id: rp.clientId as never });
    await eventually(async () => (await clientCredentials(app, rp)).status === 401, 'a removed client is unknown');
  });
});
