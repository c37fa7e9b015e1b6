import { afterAll, afterEach, beforeAll, describe, expect, test } from '@jest/globals';
import { Webhook } from 'standardwebhooks';
import { startTestApp, TEST_SECRETS, type TestApp } from '../helpers/test-app.ts';
import { startWebhookReceiver, type WebhookReceiver } from '../helpers/webhook-receiver.ts';
import { cliEnvFor, runIdp } from '../helpers/cli.ts';
import { Browser } from '../helpers/browser.ts';
import { finish, startSignIn, submitEntries } from '../helpers/profile-flows.ts';
import { registerRp } from '../helpers/rp.ts';
import { managementClient, OpenApiClient } from '../helpers/admin-api.ts';

// Events derived from committed changes reach a real HTTP receiver that verifies every delivery with the reference
// `standardwebhooks` package: exactly once per change, in order, retried with backoff, signed with two secrets
// during a rotation; a consent withdrawal on the account page is one of them.

const SYSTEM = { type: 'system' as const, id: 'test' };
const password = 'a long enough password';

describe('webhooks', () => {
  let app: TestApp;
  let receiver: WebhookReceiver;

  beforeAll(async () => {
    receiver = await startWebhookReceiver();
    app = await startTestApp({
      label: 'webhooks',
      overrides: {
        webhooks: { allowPrivateTargets: true, backoffBaseMs: 100, backoffMaxMs: 800, pollMs: 50, retryForSeconds: 120 },
        events: { leaseSeconds: 3 },
      },
    });
  });
  afterAll(async () => {
    await app?.stop();
    await receiver?.close();
  });
  // A failed test must not leave a subscriber that receives the next test's events.
  afterEach(async () => {
    await app.container.models.WebhookSubscription.deleteMany({});
    receiver.answer = () => 200;
  });

  async function subscribe(events: string[]) {
    receiver.received.length = 0;
    const created = await app.container.events.webhooks.add({ url: receiver.url, events }, SYSTEM);
    receiver.secrets = [created.secret!];
    return created;
  }
  const unsubscribe = (id: string) => app.container.events.webhooks.remove(id, SYSTEM);

  test('1,000 profile changes give exactly 1,000 user.updated deliveries, in order, each verified', async () => {
    const account = await app.container.accounts.createByAdmin({ email: 'many.changes@example.jp', password, verified: true });
    const subscription = await subscribe(['user.*']);
    for (let i = 0; i < 1000; i += 1) {
      await app.container.users.update(account._id, { attributes: { nickname: `n${i}` } }, SYSTEM);
    }
    await receiver.waitFor((received) => received.length >= 1000, 120_000);
    await new Promise((resolve) => setTimeout(resolve, 500)); // nothing more may come
    const updates = receiver.received.filter((r) => r.body.type === 'user.updated');
    expect(updates).toHaveLength(1000);
    expect(receiver.received).toHaveLength(1000);
    expect(updates.every((r) => r.verified && r.body.data.accountId === account._id)).toBe(true);
    expect(updates[0]!.body.data.changed).toEqual(['profile.nickname']);
    expect(new Set(updates.map((r) => r.id)).size).toBe(1000);
    // In the order of the event log, which is the order of the commits.
    const stored = await app.container.events.events.find({ type: 'user.updated', 'data.accountId': account._id }).sort({ seq: 1 }).toArray();
    expect(updates.map((r) => r.id)).toEqual(stored.map((e) => e._id));
    expect(updates.every((r) => r.id === r.body.id)).toBe(true);
    await unsubscribe(subscription.id);
  }, 240_000);

  test('account lifecycle, linked identities (with pre-images on unlink) and clients are announced; no delivery carries a secret', async () => {
    await subscribe(['*']);
    const { users } = app.container;
    const account = await users.create({ email: 'lifecycle@example.jp', password, verified: false }, SYSTEM);
    await users.update(account._id, { emailVerified: true }, SYSTEM);
    await users.setPassword(account._id, 'another long password', SYSTEM);
    await users.setStatus(account._id, 'blocked', SYSTEM);
    const identities = app.container.connection.db!.collection('federated_identities');
    await identities.insertOne({ _id: 'idn-1', connectorId: 'google', subject: 's-1', accountId: account._id, createdAt: new Date() } as never);
    await identities.deleteOne({ _id: 'idn-1' } as never);
    const client = await app.container.clients.add({ client_name: 'Shop', redirect_uris: ['https://shop.example.jp/cb'] });
    await app.container.clients.remove(client.client_id as string);
    await users.remove(account._id, SYSTEM);
    await receiver.waitFor(() => receiver.accepted().some((r) => r.body.type === 'user.deleted'), 30_000);
    await receiver.waitFor(() => receiver.accepted().some((r) => r.body.type === 'client.deleted'), 30_000);
    const seen = receiver.accepted().map((r) => r.body.type);
    for (const type of ['user.created', 'user.email_verified', 'user.updated', 'user.blocked', 'identity.linked', 'identity.unlinked', 'client.created', 'client.deleted', 'user.deleted']) {
      expect(seen).toContain(type);
    }
    const unlinked = receiver.accepted().find((r) => r.body.type === 'identity.unlinked')!;
    expect(unlinked.body.data).toMatchObject({ identityId: 'idn-1', accountId: account._id, connectorId: 'google' }); // from the pre-image
    expect(receiver.accepted().find((r) => r.body.type === 'user.updated' && r.body.data.changed.includes('password'))).toBeDefined();
    const everything = JSON.stringify(receiver.received.map((r) => r.body));
    expect(everything).not.toMatch(/argon2|passwordHash|client_secret/);
    expect(receiver.accepted().every((r) => r.verified)).toBe(true);
  });

  test('a receiver answering 500 for a while gets every event, retried with growing, jittered delays', async () => {
    const subscription = await subscribe(['user.created']);
    let requests = 0;
    receiver.answer = () => (requests++ < 6 ? 500 : 200);
    const emails = ['retry.1@example.jp', 'retry.2@example.jp', 'retry.3@example.jp'];
    for (const email of emails) await app.container.accounts.createByAdmin({ email, password, verified: true });
    await receiver.waitFor(() => receiver.accepted().length >= 3, 60_000);
    receiver.answer = () => 200;
    const accepted = receiver.accepted();
    expect(accepted.map((r) => r.body.type)).toEqual(['user.created', 'user.created', 'user.created']);
    const accountIds = await Promise.all(emails.map(async (email) => (await app.container.accountRepository.findByEmail(email))!._id));
    expect(accepted.map((r) => r.body.data.accountId)).toEqual(accountIds);
    // The first event took the 6 failures: attempts spaced by backoff (base 100 ms doubling, at least half of it).
    const first = receiver.received.filter((r) => r.id === accepted[0]!.id);
    expect(first.map((r) => r.status)).toEqual([500, 500, 500, 500, 500, 500, 200]);
    const gaps = first.slice(1).map((r, i) => r.at - first[i]!.at);
    gaps.forEach((gap, i) => expect(gap).toBeGreaterThanOrEqual(Math.min(800, 100 * 2 ** i) / 2 - 20));
    expect(gaps[4]!).toBeGreaterThan(gaps[0]!);
    const log = await app.container.events.webhooks.deliveries(subscription.id, 100);
    const ofFirst = log.filter((d) => d.eventId === accepted[0]!.id).reverse();
    expect(ofFirst.map((d) => [d.attempt, d.outcome, d.statusCode])).toEqual([
      [1, 'failed', 500], [2, 'failed', 500], [3, 'failed', 500], [4, 'failed', 500], [5, 'failed', 500], [6, 'failed', 500], [7, 'delivered', 200],
    ]);
    expect(ofFirst.every((d) => typeof d.latencyMs === 'number')).toBe(true);
    await unsubscribe(subscription.id);
  });

  test('after the retry window a delivery is dead-lettered and the next event goes; replay sends it again', async () => {
    const short = await startTestApp({
      label: 'webhooks_dead', mongoUri: undefined,
      overrides: { webhooks: { allowPrivateTargets: true, backoffBaseMs: 50, backoffMaxMs: 100, pollMs: 50, retryForSeconds: 1 } },
    });
    try {
      receiver.received.length = 0;
      const created = await short.container.events.webhooks.add({ url: receiver.url, events: ['user.created'] }, SYSTEM);
      receiver.secrets = [created.secret!];
      receiver.answer = () => 503;
      await short.container.accounts.createByAdmin({ email: 'dead.letter@example.jp', password, verified: true });
      await receiver.waitFor((r) => r.length >= 1);
      let log = await short.container.events.webhooks.deliveries(created.id);
      for (let i = 0; i < 100 && !log.some((d) => d.outcome === 'dead'); i += 1) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        log = await short.container.events.webhooks.deliveries(created.id);
      }
      const dead = log.find((d) => d.outcome === 'dead')!;
      expect(dead).toBeDefined();
      receiver.answer = () => 200;
      await short.container.accounts.createByAdmin({ email: 'after.dead@example.jp', password, verified: true });
      await receiver.waitFor(() => receiver.accepted().length >= 1);
      expect(receiver.accepted()[0]!.body.data.accountId).not.toBe(receiver.received[0]!.body.data.accountId);

      const replayed = await short.container.events.webhooks.replay(dead.id, SYSTEM);
      expect(replayed).toMatchObject({ outcome: 'replayed', statusCode: 200, eventId: dead.eventId });
      expect(receiver.accepted().at(-1)!.id).toBe(dead.eventId);
    } finally {
      await short.stop();
    }
  });

  test('during a secret rotation each delivery carries two signatures; either secret verifies it', async () => {
    const subscription = await subscribe(['user.created']);
    const oldSecret = subscription.secret!;
    const rotated = await app.container.events.webhooks.rotateSecret(subscription.id, SYSTEM);
    expect(rotated.secret).not.toBe(oldSecret);
    expect(rotated.previousSecretExpiresAt).toBeDefined();
    receiver.secrets = [oldSecret, rotated.secret!];
    await app.container.accounts.createByAdmin({ email: 'rotation@example.jp', password, verified: true });
    await receiver.waitFor(() => receiver.accepted().length >= 1);
    const [delivery] = receiver.accepted();
    expect(delivery!.signature.split(' ')).toHaveLength(2);
    const raw = JSON.stringify(delivery!.body);
    const headers = { 'webhook-id': delivery!.id, 'webhook-timestamp': delivery!.timestamp, 'webhook-signature': delivery!.signature };
    expect(() => new Webhook(oldSecret).verify(raw, headers)).not.toThrow();
    expect(() => new Webhook(rotated.secret!).verify(raw, headers)).not.toThrow();
    expect(() => new Webhook(`whsec_${Buffer.alloc(32, 7).toString('base64')}`).verify(raw, headers)).toThrow();
    await unsubscribe(subscription.id);
  });

  test('a consent withdrawal on /account/consents reaches the receiver as consent.withdrawn', async () => {
    const { legal } = app.container.profile;
    const doc = { documentId: 'marketing', kind: 'marketing' as const, version: '1', effectiveAt: new Date(Date.now() - 1000), requiresReacceptance: true,
      content: { ja: { title: 'マーケティング', url: 'https://example.jp/m' }, en: { title: 'Marketing', url: 'https://example.com/m' } } };
    for (const version of [doc, { ...doc, documentId: 'terms', kind: 'terms' as const }]) {
      await legal.addVersion(version);
      await legal.publish(version.documentId, '1');
    }
    const site = await registerRp(app, { client_name: 'Events Site', legal_documents: { required: ['terms'], optional: ['marketing'] } });
    const email = 'withdraws@example.jp';
    const account = await app.container.accounts.createByAdmin({ email, password, verified: true });
    const subscription = await subscribe(['consent.*']);
    const browser = new Browser();
    const signedIn = await startSignIn(browser, site, { email, password });
    await finish(site, signedIn, await submitEntries(browser, signedIn.page, [['decision', 'allow'], ['accept', 'terms'], ['accept', 'marketing']]));
    const page = await browser.get(`${app.issuer}/account/consents`);
    const after = await browser.submit(page, {}, 'form.inline');
    expect(after.url).toBe(`${app.issuer}/account/consents?withdrawn=1`);
    await receiver.waitFor(() => receiver.accepted().some((r) => r.body.type === 'consent.withdrawn'));
    const seen = receiver.accepted().map((r) => [r.body.type, r.body.data.documentId]);
    expect(seen.slice(0, 2).map(String).sort()).toEqual(['consent.granted,marketing', 'consent.granted,terms']);
    expect(seen.slice(2)).toEqual([['consent.withdrawn', 'marketing']]);
    expect(receiver.accepted().at(-1)!.body.data).toMatchObject({ accountId: account._id, documentId: 'marketing', version: '1', method: 'account_page' });
    await unsubscribe(subscription.id);
  });

  test('the admin API manages subscriptions and shows the delivery log; answers match the OpenAPI document', async () => {
    const writer = await managementClient(app, 'idp:admin');
    const api = await OpenApiClient.load(app, '/admin/api/openapi.json', await writer.token());
    const created = await api.call('createWebhook', { body: { url: receiver.url, events: ['user.created'], description: 'CRM' } });
    expect(created.status).toBe(201);
    expect(created.body.secret).toMatch(/^whsec_/);
    receiver.received.length = 0;
    receiver.secrets = [created.body.secret];
    await app.container.accounts.createByAdmin({ email: 'api.hook@example.jp', password, verified: true });
    await receiver.waitFor(() => receiver.accepted().length >= 1);
    const listed = await api.call('listWebhooks');
    expect(listed.body.items.map((w: { id: string }) => w.id)).toEqual([created.body.id]);
    expect(listed.body.items[0]).not.toHaveProperty('secret');
    const log = await api.call('listWebhookDeliveries', { params: { id: created.body.id } });
    expect(log.body.items[0]).toMatchObject({ outcome: 'delivered', statusCode: 200, eventId: receiver.accepted()[0]!.id });
    const replayed = await api.call('replayWebhookDelivery', { params: { id: log.body.items[0].id } });
    expect(replayed.body).toMatchObject({ outcome: 'replayed', eventId: receiver.accepted()[0]!.id });
    const rotated = await api.call('rotateWebhookSecret', { params: { id: created.body.id } });
    expect(rotated.body.previousSecretExpiresAt).toBeDefined();
    expect((await api.call('deleteWebhook', { params: { id: created.body.id } })).status).toBe(204);
    expect((await api.call('getWebhook', { params: { id: created.body.id } })).status).toBe(404);
  });

  test('idp webhooks add|list|deliveries|disable|enable|rotate-secret|replay|remove', async () => {
    const env = cliEnvFor(app, TEST_SECRETS);
    env.IDP_WEBHOOKS_ALLOW_PRIVATE_TARGETS = 'true';
    const added = await runIdp(['webhooks', 'add', '--url', receiver.url, '--events', 'user.*,consent.*'], env);
    expect(added.stderr).toBe('');
    const created = JSON.parse(added.stdout);
    expect(created).toMatchObject({ url: receiver.url, events: ['user.*', 'consent.*'], enabled: true, secret: expect.stringMatching(/^whsec_/) });
    receiver.received.length = 0;
    receiver.secrets = [created.secret];
    await app.container.accounts.createByAdmin({ email: 'cli.hook@example.jp', password, verified: true });
    await receiver.waitFor(() => receiver.accepted().length >= 1);
    const listed = JSON.parse((await runIdp(['webhooks', 'list'], env)).stdout);
    expect(listed.find((w: { id: string }) => w.id === created.id)).not.toHaveProperty('secret');
    const deliveries = JSON.parse((await runIdp(['webhooks', 'deliveries', created.id], env)).stdout);
    expect(deliveries[0]).toMatchObject({ outcome: 'delivered', statusCode: 200, eventType: 'user.created' });
    const replay = JSON.parse((await runIdp(['webhooks', 'replay', deliveries[0].id], env)).stdout);
    expect(replay).toMatchObject({ outcome: 'replayed', eventId: deliveries[0].eventId });
    // Paused: a change waits in the event log; resumed: it arrives, nothing skipped.
    expect(JSON.parse((await runIdp(['webhooks', 'disable', created.id], env)).stdout)).toMatchObject({ enabled: false });
    const before = receiver.received.length;
    const paused = await app.container.accounts.createByAdmin({ email: 'cli.hook.paused@example.jp', password, verified: true });
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(receiver.received.length).toBe(before);
    expect(JSON.parse((await runIdp(['webhooks', 'enable', created.id], env)).stdout)).toMatchObject({ enabled: true });
    await receiver.waitFor(() => receiver.accepted().some((r) => r.body.type === 'user.created' && r.body.data.accountId === paused._id), 30_000);
    const rotated = JSON.parse((await runIdp(['webhooks', 'rotate-secret', created.id], env)).stdout);
    expect(rotated.secret).not.toBe(created.secret);
    expect((await runIdp(['webhooks', 'remove', created.id], env)).status).toBe(0);
    expect(JSON.parse((await runIdp(['webhooks', 'list'], env)).stdout).some((w: { id: string }) => w.id === created.id)).toBe(false);
  }, 120_000);
});

describe('webhook targets (SSRF)', () => {
  let app: TestApp;
  let receiver: WebhookReceiver;
  beforeAll(async () => {
    receiver = await startWebhookReceiver();
    app = await startTestApp({ label: 'webhooks_ssrf', overrides: { webhooks: { pollMs: 50, backoffBaseMs: 50, backoffMaxMs: 100, retryForSeconds: 1 } } });
  });
  afterAll(async () => {
    await app?.stop();
    await receiver?.close();
  });

  test('127.0.0.1, localhost, private and link-local targets are refused without webhooks.allowPrivateTargets', async () => {
    for (const url of [receiver.url, receiver.url.replace('127.0.0.1', 'localhost'), 'http://10.1.2.3/h', 'http://169.254.169.254/latest', 'http://[::1]:80/h', 'http://[::ffff:127.0.0.1]/h']) {
      await expect(app.container.events.webhooks.add({ url, events: ['*'] }, SYSTEM)).rejects.toMatchObject({ code: 'webhook.target_refused' });
    }
    expect(await app.container.events.webhooks.list()).toEqual([]);
    const writer = await managementClient(app, 'idp:admin');
    const api = await OpenApiClient.load(app, '/admin/api/openapi.json', await writer.token());
    const refused = await api.call('createWebhook', { body: { url: receiver.url, events: ['*'] } });
    expect(refused.status).toBe(400);
    expect(refused.body.code).toBe('webhook.target_refused');
  });

  test('a subscription to a loopback target stored behind the check is refused again at delivery time', async () => {
    await app.container.models.WebhookSubscription.collection.insertOne({
      _id: 'wh_000000000000000000000001', url: receiver.url, events: ['*'], secret: `whsec_${Buffer.alloc(32, 1).toString('base64')}`,
      enabled: true, cursor: 0, createdAt: new Date(), updatedAt: new Date(),
    } as never);
    await app.container.accounts.createByAdmin({ email: 'ssrf@example.jp', password, verified: true });
    let log: Awaited<ReturnType<typeof app.container.events.webhooks.deliveries>> = [];
    for (let i = 0; i < 100 && log.length === 0; i += 1) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      log = await app.container.events.webhooks.deliveries('wh_000000000000000000000001');
    }
    expect(log[0]!.error).toMatch(/^webhook\.target_refused/);
    expect(receiver.received).toEqual([]);
  });
});
