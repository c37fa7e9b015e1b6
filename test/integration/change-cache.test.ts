import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { Browser } from '../helpers/browser.ts';
import { client, registerRp, signIn, type Rp } from '../helpers/rp.ts';
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

describe('clients and grants cached in the process, evicted by a change stream', () => {
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
      return app.container.caches.for('oidc_client').get(rp.clientId) !== undefined;
    }, 'the change stream is live and the client cached');

    // Another process (the CLI, another IdP instance) rotates the client's secret directly in MongoDB.
    await clients.updateOne({ _id: rp.clientId as never }, { $set: { 'payload.client_secret': 'rotated-secret-0123456789abcdef0123456789' } });
    await eventually(async () => app.container.caches.for('oidc_client').get(rp.clientId) === undefined, 'eviction after an update');
    const refused = await clientCredentials(app, rp);
    expect(refused.status).toBe(401);
    expect(await refused.json()).toMatchObject({ error: 'invalid_client' });
    const rotated = await clientCredentials(app, { ...rp, metadata: { ...rp.metadata, client_secret: 'rotated-secret-0123456789abcdef0123456789' } });
    expect(rotated.status).toBe(200);

    await clients.deleteOne({ _id: rp.clientId as never });
    await eventually(async () => (await clientCredentials(app, rp)).status === 401, 'a removed client is unknown');
  });

  test('a grant revoked by another instance stops its tokens within milliseconds', async () => {
    const user = { email: 'cached@example.jp', password: 'a long enough password' };
    await app.container.accounts.createByAdmin({ ...user, verified: true });
    const site = await registerRp(app);
    const { tokens } = await signIn(new Browser(), site, user);
    const sub = tokens.claims()!.sub;
    await client.fetchUserInfo(site.config, tokens.access_token, sub);
    const grantId = (await client.tokenIntrospection(site.config, tokens.access_token)).grant_id ?? (await app.container.connection.db!
      .collection('oidc_access_token').findOne({ 'payload.accountId': sub }))!.payload.grantId;
    expect(app.container.caches.for('oidc_grant').get(grantId as string)).toBeDefined();

    await app.container.connection.db!.collection('oidc_grant').deleteOne({ _id: grantId as never });
    await eventually(async () => {
      try {
        await client.fetchUserInfo(site.config, tokens.access_token, sub);
        return false;
      } catch {
        return true;
      }
    }, 'userinfo refuses a token whose grant is gone');
  });

  test('a session stored here is served from memory; ended by another instance, its codes and session-bound tokens stop', async () => {
    const user = { email: 'cached-session@example.jp', password: 'a long enough password' };
    await app.container.accounts.createByAdmin({ ...user, verified: true });
    const site = await registerRp(app);
    const { tokens } = await signIn(new Browser(), site, user);
    const sub = tokens.claims()!.sub;
    const sessions = app.container.connection.db!.collection<{ _id: string; payload: { uid: string } }>('oidc_session');
    const stored = (await sessions.findOne({ 'payload.accountId': sub }))!;
    expect(app.container.caches.for<{ payload: { uid: string } }>('oidc_session').get(stored._id)?.payload.uid).toBe(stored.payload.uid);
    const Session = app.container.provider().Session as unknown as { adapter: { findByUid(uid: string): Promise<unknown> } };
    expect(await Session.adapter.findByUid(stored.payload.uid)).toMatchObject({ accountId: sub });

    // The session ends elsewhere (another instance's logout, the CLI): the uid no longer finds it here either.
    await sessions.deleteOne({ _id: stored._id });
    await eventually(async () => (await Session.adapter.findByUid(stored.payload.uid)) === undefined, 'the ended session is gone here too');
    expect(app.container.caches.for('oidc_session').get(stored._id)).toBeUndefined();
  });
});
