import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { startTestApp, type TestApp } from '../helpers/test-app.ts';
import { startWebhookReceiver, type WebhookReceiver } from '../helpers/webhook-receiver.ts';
import { Browser } from '../helpers/browser.ts';
import { registerRp, signIn, type Rp } from '../helpers/rp.ts';
import { startSignIn } from '../helpers/profile-flows.ts';
import { enrolTotp } from '../helpers/mfa.ts';
import { createTestSp } from '../helpers/saml-sp.ts';

// The event types the other webhook tests do not reach, each caused through the real surface that changes it
// (a sign-in through the hosted pages, an MFA enrolment, an SP registration, an admin revocation), arriving at a
// receiver that verifies every delivery with the `standardwebhooks` package.

const SYSTEM = { type: 'system' as const, id: 'test' };
const password = 'a long enough password';

describe('webhook event types', () => {
  let app: TestApp;
  let receiver: WebhookReceiver;
  let rp: Rp;

  beforeAll(async () => {
    receiver = await startWebhookReceiver();
    app = await startTestApp({
      label: 'webhook_types',
      overrides: { webhooks: { allowPrivateTargets: true, pollMs: 50 }, events: { loginEvents: true } },
    });
    rp = await registerRp(app);
    const created = await app.container.events.webhooks.add({ url: receiver.url, events: ['*'] }, SYSTEM);
    receiver.secrets = [created.secret!];
  });
  afterAll(async () => {
    await app?.stop();
    await receiver?.close();
  });

  const arrived = (type: string, match: (data: Record<string, unknown>) => boolean = () => true) =>
    receiver.waitFor(() => receiver.accepted().some((r) => r.body.type === type && match(r.body.data)), 30_000)
      .then(() => receiver.accepted().find((r) => r.body.type === type && match(r.body.data))!);

  test('login.succeeded and login.failed (events.loginEvents) from sign-ins on the hosted pages', async () => {
    const account = await app.container.users.create({ email: 'events-login@example.jp', password, verified: true }, SYSTEM);
    const failed = await startSignIn(new Browser(), rp, { email: 'events-login@example.jp', password: 'not the password at all' });
    expect(failed.page.status).toBe(400);
    await signIn(new Browser(), rp, { email: 'events-login@example.jp', password });
    const ok = await arrived('login.succeeded', (d) => d.accountId === account._id);
    expect(ok.body.data).toMatchObject({ accountId: account._id, clientId: rp.clientId });
    const bad = await arrived('login.failed', (d) => d.accountId === account._id);
    expect(bad.verified).toBe(true);
    expect(JSON.stringify(bad.body)).not.toContain('not the password at all');
  });

  test('mfa.enrolled and mfa.removed name the factor type, never its secret', async () => {
    const account = await app.container.users.create({ email: 'events-mfa@example.jp', password, verified: true }, SYSTEM);
    const secret = await enrolTotp(app, account._id);
    const enrolled = await arrived('mfa.enrolled', (d) => d.accountId === account._id);
    expect(enrolled.body.data).toMatchObject({ accountId: account._id, factorType: 'totp' });
    await app.container.users.resetFactors(account._id, SYSTEM);
    // The recovery codes made with the first factor go too (a factor of their own).
    const removed = await arrived('mfa.removed', (d) => d.accountId === account._id && d.factorType === 'totp');
    expect(removed.body.data).toMatchObject({ factorType: 'totp', factorId: enrolled.body.data.factorId });
    expect(JSON.stringify(receiver.received.map((r) => r.body))).not.toContain(secret);
  });

  test('saml_sp.created and saml_sp.deleted from the SP registry', async () => {
    const sp = await createTestSp(app, 'events-sp');
    await app.container.saml.sps.add(sp.metadata);
    expect((await arrived('saml_sp.created', (d) => d.entityId === sp.entityId)).verified).toBe(true);
    await app.container.saml.sps.remove(sp.entityId);
    expect((await arrived('saml_sp.deleted', (d) => d.entityId === sp.entityId)).verified).toBe(true);
  });

  test('grant.revoked when an operator revokes a site\'s grant', async () => {
    const account = await app.container.users.create({ email: 'events-grant@example.jp', password, verified: true }, SYSTEM);
    await signIn(new Browser(), rp, { email: 'events-grant@example.jp', password });
    const [grant] = await app.container.accountSessions.listGrants(account._id);
    expect(grant).toBeDefined();
    await app.container.users.revokeGrant(account._id, grant!.id, SYSTEM);
    expect((await arrived('grant.revoked', (d) => d.grantId === grant!.id)).verified).toBe(true);
  });
});
