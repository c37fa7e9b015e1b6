import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { Browser, type Page } from '../helpers/browser.ts';
import { heading } from '../helpers/account-flows.ts';
import { codeInput, enrolTotp, submitCode, totpAt } from '../helpers/mfa.ts';
import { startNotificationReceiver } from '../helpers/notification-receiver.ts';
import { client, registerRp, type Rp } from '../helpers/rp.ts';
import { startMailbox, type Mailbox, type ReceivedMail } from '../helpers/smtp.ts';
import { startTestApp, type TestApp } from '../helpers/test-app.ts';

// Client-Initiated Backchannel Authentication (OpenID CIBA Core 1.0): the client (openid-client) starts a request
// with the person's email as login_hint; the person gets a mail (real SMTP), follows its link, signs in through the
// normal sign-in pages and approves or denies; the client polls (poll mode) or is notified (ping mode, §10.2).

const CIBA_GRANT = 'urn:openid:params:grant-type:ciba';

describe('CIBA', () => {
  let app: TestApp;
  let mailbox: Mailbox;
  let receiver: Awaited<ReturnType<typeof startNotificationReceiver>>;
  let pollClient: Rp;
  let pingClient: Rp;
  const user = { email: 'ciba.person@example.jp', password: 'a password for the counter' };
  let accountId: string;

  beforeAll(async () => {
    mailbox = await startMailbox();
    receiver = await startNotificationReceiver();
    app = await startTestApp({ label: 'ciba', overrides: { mail: { smtpUrl: mailbox.url }, ciba: { pollIntervalSeconds: 1, maxPendingPerAccount: 3 } } });
    accountId = (await app.container.accounts.createByAdmin({ ...user, name: 'Counter Person', verified: true }))._id;
    const ciba = { redirect_uris: [], post_logout_redirect_uris: [], response_types: [], grant_types: [CIBA_GRANT], first_party: false };
    pollClient = await registerRp(app, { ...ciba, client_name: 'Shop Counter', backchannel_token_delivery_mode: 'poll' });
    pingClient = await registerRp(app, {
      ...ciba, client_name: 'Call Centre', backchannel_token_delivery_mode: 'ping', backchannel_client_notification_endpoint: receiver.url,
    });
  });
  afterAll(async () => {
    receiver?.close();
    await app?.stop();
    await mailbox?.close();
  });

  /** The approval page of a CIBA mail, reached through the normal sign-in (a fresh browser each time). */
  async function openApproval(mail: ReceivedMail): Promise<{ browser: Browser; page: Page }> {
    const link = /https?:\/\/\S+\/ciba\/[\w-]+/.exec(mail.text)?.[0];
    if (!link) throw new Error(`no approval link in:\n${mail.text}`);
    const browser = new Browser();
    const login = await browser.get(link);
    expect(login.html.querySelector('input[name=password]')).not.toBeNull();
    const page = await browser.submit(login, user);
    expect(page.url).toBe(link);
    return { browser, page };
  }

  test('discovery advertises the backchannel endpoint, both delivery modes and the device endpoint', async () => {
    const discovery = await (await fetch(`${app.issuer}/.well-known/openid-configuration`)).json() as Record<string, unknown>;
    expect(discovery.backchannel_authentication_endpoint).toBe(`${app.issuer}/backchannel`);
    expect(discovery.backchannel_token_delivery_modes_supported).toEqual(['poll', 'ping']);
    expect(discovery.device_authorization_endpoint).toBe(`${app.issuer}/device/auth`);
    expect(discovery.grant_types_supported).toContain(CIBA_GRANT);
  });

  test('poll mode: mail with the binding message, sign-in, approve; polling gets tokens for the person', async () => {
    const started = await client.initiateBackchannelAuthentication(pollClient.config, {
      scope: 'openid email', login_hint: 'Ciba.Person@Example.JP', binding_message: 'W4SCT',
    });
    expect(started.interval).toBe(1);
    const mail = await mailbox.next(user.email);
    expect(mail.subject).toBe('Shop Counter からサインインの承認依頼');
    expect(mail.text).toContain('W4SCT');

    const { browser, page } = await openApproval(mail);
    expect(heading(page)).toBe('Approve a sign-in');
    expect(page.html.querySelector('[data-binding-message]')?.text.trim()).toBe('W4SCT');
    expect(page.body).toContain('Shop Counter');
    expect(page.body).toContain('See your email address');
    // The account overview links to the requests still waiting, and this one is listed.
    const overview = await browser.get(`${app.issuer}/account`);
    expect(overview.html.querySelector('a[href="/account/requests"]')).not.toBeNull();
    const pending = await browser.get(`${app.issuer}/account/requests`);
    expect(pending.html.querySelector(`a[href="${new URL(page.url).pathname}"]`)).not.toBeNull();

    const done = await browser.submit(page, { decision: 'approve' });
    expect(heading(done)).toBe('Thank you');
    const tokens = await client.pollBackchannelAuthenticationGrant(pollClient.config, started, undefined, { signal: AbortSignal.timeout(20_000) });
    expect(tokens.claims()?.sub).toBe(accountId);
    const userinfo = await client.fetchUserInfo(pollClient.config, tokens.access_token, accountId);
    expect(userinfo.email).toBe(user.email);
    // Answered: the link now says so, and the list is empty.
    const again = await browser.get(page.url);
    expect(again.status).toBe(404);
    expect((await browser.get(`${app.issuer}/account/requests`)).body).toContain('No sign-in request is waiting for you.');
  });

  test('the link signed in as another account shows nothing of the request, which stays pending', async () => {
    const other = { email: 'someone.else@example.jp', password: 'another password for the test' };
    await app.container.accounts.createByAdmin({ ...other, verified: true });
    const started = await client.initiateBackchannelAuthentication(pollClient.config, { scope: 'openid', login_hint: user.email });
    const mail = await mailbox.next(user.email);
    const link = /https?:\/\/\S+\/ciba\/[\w-]+/.exec(mail.text)![0];
    const browser = new Browser();
    const page = await browser.submit(await browser.get(link), other);
    expect(page.status).toBe(404);
    expect(page.body).not.toContain('Shop Counter');
    expect(page.html.querySelector('button[name=decision]')).toBeNull();
    const polled = await fetch(`${app.issuer}/token`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: `Basic ${Buffer.from(`${pollClient.clientId}:${pollClient.metadata.client_secret as string}`).toString('base64')}`,
      },
      body: new URLSearchParams({ grant_type: CIBA_GRANT, auth_req_id: started.auth_req_id }),
    });
    expect(((await polled.json()) as { error?: string }).error).toBe('authorization_pending');
  });

  test('a person with a second factor gives it before the approval page; the tokens say so (acr, amr)', async () => {
    const mfaUser = { email: 'ciba.mfa@example.jp', password: 'a password with a second step' };
    const mfaId = (await app.container.accounts.createByAdmin({ ...mfaUser, verified: true }))._id;
    const secret = await enrolTotp(app, mfaId);
    const started = await client.initiateBackchannelAuthentication(pollClient.config, { scope: 'openid', login_hint: mfaUser.email });
    const mail = await mailbox.next(mfaUser.email);
    const link = /https?:\/\/\S+\/ciba\/[\w-]+/.exec(mail.text)![0];
    const browser = new Browser();
    const challenge = await browser.submit(await browser.get(link), mfaUser);
    expect(codeInput(challenge)).not.toBeNull();
    expect(challenge.html.querySelector('button[name=decision]')).toBeNull();
    const page = await submitCode(browser, challenge, await totpAt(secret));
    expect(page.url).toBe(link);
    await browser.submit(page, { decision: 'approve' });
    const tokens = await client.pollBackchannelAuthenticationGrant(pollClient.config, started, undefined, { signal: AbortSignal.timeout(20_000) });
    expect(tokens.claims()).toMatchObject({ sub: mfaId, acr: 'urn:idp:acr:mfa' });
    expect(tokens.claims()?.amr).toEqual(expect.arrayContaining(['pwd', 'otp']));
  });

  test('deny gives the polling client access_denied', async () => {
    const started = await client.initiateBackchannelAuthentication(pollClient.config, { scope: 'openid', login_hint: user.email });
    const { browser, page } = await openApproval(await mailbox.next(user.email));
    const done = await browser.submit(page, { decision: 'deny' });
    expect(done.body).toContain('You denied the sign-in.');
    await expect(client.pollBackchannelAuthenticationGrant(pollClient.config, started, undefined, { signal: AbortSignal.timeout(20_000) }))
      .rejects.toMatchObject({ error: 'access_denied' });
  });

  test('an unknown email gets unknown_user_id, and no mail is sent', async () => {
    await expect(client.initiateBackchannelAuthentication(pollClient.config, { scope: 'openid', login_hint: 'nobody@example.jp' }))
      .rejects.toMatchObject({ error: 'unknown_user_id' });
    await expect(mailbox.next('nobody@example.jp', 500)).rejects.toThrow('no mail');
    // Probing addresses leaves a trail per client.
    await app.container.auditTrail.flush();
    const refused = await app.container.auditTrail.query.list({ type: 'backchannel_authentication.error', client: pollClient.clientId });
    expect(refused.items.map((item) => (item as unknown as { data?: { error?: string } }).data?.error)).toContain('unknown_user_id');
  });

  test('an account whose email is not verified is not reached: unknown_user_id, and no mail', async () => {
    await app.container.accounts.createByAdmin({ email: 'unproven@example.jp', password: 'a password never proven', verified: false });
    await expect(client.initiateBackchannelAuthentication(pollClient.config, { scope: 'openid', login_hint: 'unproven@example.jp' }))
      .rejects.toMatchObject({ error: 'unknown_user_id' });
    await expect(mailbox.next('unproven@example.jp', 500)).rejects.toThrow('no mail');
  });

  test('a public client may not look people up by email: unauthorized_client, and no mail', async () => {
    const publicClient = await registerRp(app, {
      redirect_uris: [], post_logout_redirect_uris: [], response_types: [], grant_types: [CIBA_GRANT],
      backchannel_token_delivery_mode: 'poll', token_endpoint_auth_method: 'none',
    });
    await expect(client.initiateBackchannelAuthentication(publicClient.config, { scope: 'openid', login_hint: user.email }))
      .rejects.toMatchObject({ error: 'unauthorized_client' });
    await expect(mailbox.next(user.email, 500)).rejects.toThrow('no mail');
  });

  test('a binding message longer than 40 characters is refused with invalid_binding_message', async () => {
    await expect(client.initiateBackchannelAuthentication(pollClient.config, {
      scope: 'openid', login_hint: user.email, binding_message: 'x'.repeat(41),
    })).rejects.toMatchObject({ error: 'invalid_binding_message' });
  });

  test('requested_expiry is honoured up to ciba.maxRequestTtl (CIBA Core §7.1)', async () => {
    const short = await client.initiateBackchannelAuthentication(pollClient.config, { scope: 'openid', login_hint: user.email, requested_expiry: '120' });
    expect(short.expires_in).toBe(120);
    // Answer it at once, so the pending requests of this person stay few for the tests after.
    const { browser, page } = await openApproval(await mailbox.next(user.email));
    await browser.submit(page, { decision: 'deny' });
    const long = await client.initiateBackchannelAuthentication(pollClient.config, { scope: 'openid', login_hint: user.email, requested_expiry: '999999' });
    expect(long.expires_in).toBe(1800);
    const second = await openApproval(await mailbox.next(user.email));
    await second.browser.submit(second.page, { decision: 'deny' });
  });

  test('polling sooner than the interval gets slow_down', async () => {
    const started = await client.initiateBackchannelAuthentication(pollClient.config, { scope: 'openid', login_hint: user.email });
    await mailbox.next(user.email);
    const poll = () => fetch(`${app.issuer}/token`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: `Basic ${Buffer.from(`${pollClient.clientId}:${pollClient.metadata.client_secret as string}`).toString('base64')}`,
      },
      body: new URLSearchParams({ grant_type: CIBA_GRANT, auth_req_id: started.auth_req_id }),
    }).then(async (r) => (await r.json() as { error?: string }).error);
    expect(await poll()).toBe('authorization_pending');
    expect(await poll()).toBe('slow_down');
  });

  test('ping mode: the notification reaches the client with its bearer token, then the token request succeeds', async () => {
    const started = await client.initiateBackchannelAuthentication(pingClient.config, {
      scope: 'openid', login_hint: user.email, client_notification_token: 'notify-me-0123456789',
    });
    const { browser, page } = await openApproval(await mailbox.next(user.email));
    await browser.submit(page, { decision: 'approve' });
    const notification = await receiver.next();
    expect(notification.authorization).toBe('Bearer notify-me-0123456789');
    expect(notification.contentType).toBe('application/json');
    expect(JSON.parse(notification.body)).toEqual({ auth_req_id: started.auth_req_id });
    const tokens = await client.genericGrantRequest(pingClient.config, CIBA_GRANT, { auth_req_id: started.auth_req_id });
    expect(tokens.claims()?.sub).toBe(accountId);
  });

  // Runs last: it leaves this person with the most requests waiting.
  test('no client floods a mailbox: beyond the requests allowed to wait, access_denied and no mail', async () => {
    const flood = { email: 'flooded@example.jp', password: 'a password for the flooded' };
    await app.container.accounts.createByAdmin({ ...flood, verified: true });
    for (let i = 0; i < 3; i += 1) {
      await client.initiateBackchannelAuthentication(pollClient.config, { scope: 'openid', login_hint: flood.email });
      await mailbox.next(flood.email);
    }
    await expect(client.initiateBackchannelAuthentication(pollClient.config, { scope: 'openid', login_hint: flood.email }))
      .rejects.toMatchObject({ error: 'access_denied' });
    await expect(mailbox.next(flood.email, 500)).rejects.toThrow('no mail');
  });
});
