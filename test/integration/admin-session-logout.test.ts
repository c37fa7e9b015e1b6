import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import * as jose from 'jose';
import { managementClient, OpenApiClient } from '../helpers/admin-api.ts';
import { startBackchannelReceiver, type BackchannelReceiver } from '../helpers/backchannel-receiver.ts';
import { Browser } from '../helpers/browser.ts';
import { authorizationRequest, signIn, type Rp } from '../helpers/rp.ts';
import { startWithUserAndRp } from '../helpers/scenario.ts';
import type { TestApp } from '../helpers/test-app.ts';

// An operator ending a person's session through the admin API signs them out of the sites too: the RP signed in
// through that session gets its back-channel logout token (OIDC Back-Channel Logout 1.0 §2.5) with the session's
// sid, exactly as when the person signs out themselves; the browser must sign in again.

describe('admin API: ending a session logs the RPs out', () => {
  let app: TestApp;
  let rp: Rp;
  let accountId: string;
  let receiver: BackchannelReceiver;
  let api: OpenApiClient;
  const user = { email: 'operator-logout@example.jp', password: 'a long enough password' };

  beforeAll(async () => {
    receiver = await startBackchannelReceiver();
    ({ app, rp, accountId } = await startWithUserAndRp({
      label: 'admin-logout', user, rp: { backchannel_logout_uri: receiver.url, backchannel_logout_session_required: true },
    }));
    const writer = await managementClient(app, 'idp:admin');
    api = await OpenApiClient.load(app, '/admin/api/openapi.json', await writer.token());
  });
  afterAll(async () => {
    receiver?.close();
    await app?.stop();
  });

  const sidsReceived = () => receiver.received.map((token) => jose.decodeJwt(token).sid);
  const waitForTokens = async (count: number) => {
    for (let i = 0; i < 100 && receiver.received.length < count; i += 1) await new Promise((resolve) => setTimeout(resolve, 50));
  };

  test('DELETE /users/{id}/sessions/{itemId} sends the logout token and the browser signs in again', async () => {
    const browser = new Browser();
    const { tokens } = await signIn(browser, rp, user);
    const sid = tokens.claims()!.sid;
    receiver.received.length = 0;

    const listed = await api.call('listUserSessions', { params: { id: accountId } });
    expect(listed.status).toBe(200);
    expect(listed.body.items).toHaveLength(1);
    const ended = await api.call('endUserSession', { params: { id: accountId, itemId: listed.body.items[0].id } });
    expect(ended.status).toBe(204);

    await waitForTokens(1);
    expect(sidsReceived()).toEqual([sid]);
    const logoutToken = jose.decodeJwt(receiver.received[0]!);
    expect(logoutToken.events).toEqual({ 'http://schemas.openid.net/event/backchannel-logout': {} });
    expect((await api.call('listUserSessions', { params: { id: accountId } })).body.items).toEqual([]);
    // The browser's session is gone: the next authorization request shows the sign-in page.
    const again = await browser.get((await authorizationRequest(rp)).url.toString());
    expect(again.html.querySelector('input[name=password]')).not.toBeNull();
  });

  test('DELETE /users/{id}/sessions ends every session, each with its logout token', async () => {
    const sids = [];
    for (const browser of [new Browser(), new Browser()]) sids.push((await signIn(browser, rp, user)).tokens.claims()!.sid);
    receiver.received.length = 0;

    const ended = await api.call('endAllUserSessions', { params: { id: accountId } });
    expect(ended.status).toBe(200);
    expect(ended.body).toEqual({ ended: 2 });
    await waitForTokens(2);
    expect(sidsReceived().sort()).toEqual([...sids].sort());
  });

  test('a session of another account is not found, and nothing is sent', async () => {
    const browser = new Browser();
    await signIn(browser, rp, user);
    const [session] = (await api.call('listUserSessions', { params: { id: accountId } })).body.items;
    receiver.received.length = 0;
    const other = await app.container.accounts.createByAdmin({ email: 'someone-else@example.jp', password: 'another long password', verified: true });
    const refused = await api.call('endUserSession', { params: { id: other._id, itemId: session.id } });
    expect(refused.status).toBe(404);
    expect(receiver.received).toEqual([]);
    expect((await api.call('listUserSessions', { params: { id: accountId } })).body.items).toHaveLength(1);
  });
});
