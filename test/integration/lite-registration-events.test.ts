import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { envelopeSchema, type EventType } from '../../src/events/event-catalogue.ts';
import { linkFrom } from '../helpers/account-flows.ts';
import { Browser } from '../helpers/browser.ts';
import { registerRp, type Rp } from '../helpers/rp.ts';
import { startMailbox, type Mailbox } from '../helpers/smtp.ts';
import { startTestApp, type TestApp } from '../helpers/test-app.ts';
import { startWebhookReceiver, type WebhookReceiver } from '../helpers/webhook-receiver.ts';

// The lead's life announced to a real webhook receiver, derived from the change stream like every other event:
// lead.created, lead.verified, lead.converted and lead.deleted, each matching its catalogue schema, none carrying
// the address or what was submitted.

describe('lite registration events', () => {
  let app: TestApp;
  let mailbox: Mailbox;
  let receiver: WebhookReceiver;
  let site: Rp;
  const SYSTEM = { type: 'system' as const, id: 'test' };

  beforeAll(async () => {
    mailbox = await startMailbox();
    receiver = await startWebhookReceiver();
    app = await startTestApp({
      label: 'liteevents',
      overrides: { mail: { smtpUrl: mailbox.url }, webhooks: { allowPrivateTargets: true, pollMs: 50 }, events: { leaseSeconds: 3 } },
    });
    site = await registerRp(app, { client_name: 'Shop', lite_registration: { attributes: ['given_name'] } });
  });
  afterAll(async () => {
    await app?.stop();
    await receiver?.close();
    await mailbox?.close();
  });

  test('created, verified, converted and deleted reach a subscriber, without personal data', async () => {
    const created = await app.container.events.webhooks.add({ url: receiver.url, events: ['lead.*'] }, SYSTEM);
    receiver.secrets = [created.secret!];
    const send = (email: string) => fetch(`${app.issuer}/api/v1/leads`, {
      method: 'POST', body: JSON.stringify({ email, attributes: { given_name: 'Yui' } }),
      headers: { 'content-type': 'application/json', authorization: `Basic ${Buffer.from(`${site.clientId}:${site.metadata.client_secret as string}`).toString('base64')}` },
    });
    const email = 'evented@example.jp';
    expect((await send(email)).status).toBe(202);
    const browser = new Browser();
    const page = await browser.get(linkFrom(await mailbox.next(email), app.issuer, '/lite/verify'));
    await browser.submit(page, {});
    const account = await app.container.accounts.createByAdmin({ email, password: 'a long enough password', verified: true });
    await app.container.leads.onSignIn(account._id);
    expect((await send('dropped@example.jp')).status).toBe(202);
    const dropped = (await app.container.models.Lead.findOne({ emailNormalized: 'dropped@example.jp' }).lean().exec())!;
    await app.container.leads.directory.remove(dropped._id, SYSTEM);

    await receiver.waitFor(() => receiver.accepted().some((r) => r.body.type === 'lead.deleted'), 30_000);
    const bodies = receiver.accepted().map((r) => r.body);
    expect(bodies.map((b) => b.type)).toEqual(['lead.created', 'lead.verified', 'lead.converted', 'lead.created', 'lead.deleted']);
    for (const body of bodies) expect(envelopeSchema(body.type as EventType).safeParse(body).success).toBe(true);
    expect(bodies[0]!.data).toEqual({ leadId: expect.stringMatching(/^ld_/), clientId: site.clientId });
    expect(bodies[2]!.data).toEqual({ leadId: bodies[0]!.data.leadId, accountId: account._id });
    expect(bodies[4]!.data).toEqual({ leadId: dropped._id });
    expect(JSON.stringify(bodies)).not.toMatch(/evented@|dropped@|Yui/);
  });
});
