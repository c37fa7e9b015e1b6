import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { Writable } from 'node:stream';
import { Browser } from '../helpers/browser.ts';
import { errorText } from '../helpers/account-flows.ts';
import { authorizationRequest, exchangeCode, registerRp, RP_REDIRECT, type Rp } from '../helpers/rp.ts';
import { startTestApp, type TestApp } from '../helpers/test-app.ts';
import { startOidcUpstream, type OidcUpstream } from '../helpers/upstream/oidc-upstream.ts';

// Linking edge cases and per-client settings against one real upstream oidc-provider: form_post responses (as
// Sign in with Apple answers), the connectors each client offers, sign-up confirmation, several accounts sharing
// one address (after an import), and the audit trail of links and refusals.

describe('federation: linking and per-client settings', () => {
  let app: TestApp;
  let upstream: OidcUpstream;
  const logs: Array<Record<string, unknown>> = [];
  const events = (name: string) => logs.filter((line) => line.event === name);
  const callback = (id: string) => `${app.issuer}/federation/${id}/callback`;

  beforeAll(async () => {
    const logStream = new Writable({
      write(chunk, _encoding, done) {
        for (const line of String(chunk).split('\n').filter(Boolean)) logs.push(JSON.parse(line));
        done();
      },
    });
    app = await startTestApp({ label: 'federation_linking', logLevel: 'info', logStream });
    upstream = await startOidcUpstream({
      name: 'up', clientId: 'idp', clientSecret: 'upstream-secret-0123456789', redirectUris: [callback('corp'), callback('other')],
    });
    const connectors = app.container.federation.connectors;
    // form_post: the upstream answers with an auto-submitting form that POSTs to our callback.
    await connectors.add({ id: 'corp', name: 'Corp', issuer: upstream.issuer, client_id: 'idp', client_secret: 'upstream-secret-0123456789', options: { responseMode: 'form_post' } });
    await connectors.add({ id: 'other', name: 'Other', issuer: upstream.issuer, client_id: 'idp', client_secret: 'upstream-secret-0123456789' });
  });
  afterAll(async () => {
    await app?.stop();
    await upstream?.close();
  });

  async function signIn(rp: Rp, connector: string, login: string) {
    const browser = new Browser();
    browser.stopAt = [RP_REDIRECT];
    const request = await authorizationRequest(rp);
    const page = await browser.get(request.url.toString());
    const href = page.html.querySelector(`[data-connector="${connector}"]`)?.getAttribute('href');
    if (!href) throw new Error(`no ${connector} button:\n${page.body.slice(0, 600)}`);
    let next = await browser.submit(await browser.get(new URL(href, page.url).toString()), { login });
    // form_post: submit the upstream's self-posting form, as a browser's script would.
    if (next.html.querySelector(`form[action="${callback(connector)}"]`)) next = await browser.submit(next, {});
    return { browser, request, page: next, buttons: page.html.querySelectorAll('[data-connector]').map((b) => b.getAttribute('data-connector')) };
  }

  test('a client offers only its connectors; form_post callbacks work; an unoffered connector is refused', async () => {
    const rp = await registerRp(app, { federation_connectors: ['corp'] });
    upstream.users.ken = { email: 'ken@corp.example', email_verified: true, name: 'Ken' };
    const { request, page, buttons, browser } = await signIn(rp, 'corp', 'ken');
    expect(buttons).toEqual(['corp']);
    expect((await exchangeCode(rp, request, page)).claims()).toMatchObject({ amr: ['fed'] });

    const second = await authorizationRequest(rp);
    const login = await new Browser().get(second.url.toString());
    const refused = await browser.get(login.url.replace(/\/?$/, '/federation?connector=other'));
    expect(refused.status).toBeGreaterThanOrEqual(400);
  });

  test('a client requiring sign-up confirmation shows the account before creating it', async () => {
    const rp = await registerRp(app, { federation_signup: 'confirm' });
    upstream.users.mei = { email: 'mei@corp.example', email_verified: true, name: 'Mei Upstream' };
    const { browser, request, page } = await signIn(rp, 'other', 'mei');
    expect(page.html.querySelector('input[name=name]')?.getAttribute('value')).toBe('Mei Upstream');
    expect(await app.container.accountRepository.findByEmail('mei@corp.example')).toBeNull();
    const done = await browser.submit(page, { name: 'Mei Chosen' });
    const claims = (await exchangeCode(rp, request, done)).claims()!;
    expect(await app.container.accountRepository.findById(claims.sub)).toMatchObject({ email: 'mei@corp.example', profile: { name: 'Mei Chosen' } });
  });

  test('several accounts with one address (an import): never linked by guess, the password says which', async () => {
    // An import could bring duplicates the unique index would refuse: simulate it without the index.
    const accounts = app.container.connection.db!.collection('accounts');
    await accounts.dropIndex('email_unique');
    try {
      const hasher = (await import('../../src/accounts/password.hasher.ts')).createPasswordHasher(app.container.config.passwords);
      for (const [id, secret] of [['dup-1', 'first password 1'], ['dup-2', 'second password 2']] as const) {
        await app.container.models.Account.create({ _id: id, email: 'dup@example.jp', emailNormalized: 'dup@example.jp', emailVerified: true, passwordHash: await hasher.hash(secret) });
      }
      const rp = await registerRp(app);
      upstream.users.dup = { email: 'dup@example.jp', email_verified: true };
      const { browser, request, page } = await signIn(rp, 'other', 'dup');
      expect(page.html.querySelector('form.federation-code-form')).toBeNull(); // the mailbox cannot tell them apart
      expect(events('federation.link.proof_required').at(-1)).toMatchObject({ candidates: 2 });
      const wrong = await browser.submit(page, { password: 'a guess' });
      expect(wrong.status).toBe(400);
      expect(errorText(wrong)).not.toBe('');
      const done = await browser.submit(wrong, { password: 'second password 2' });
      expect((await exchangeCode(rp, request, done)).claims()).toMatchObject({ sub: 'dup-2', amr: ['fed', 'pwd'] });
      expect(await app.container.federation.linking.identitiesOf('dup-1')).toHaveLength(0);
    } finally {
      await app.container.models.Account.deleteMany({ emailNormalized: 'dup@example.jp' });
      await app.container.models.Account.syncIndexes();
    }
  });

  test('links and refusals are audit events, without secrets', async () => {
    expect(events('federation.identity.linked').length).toBeGreaterThanOrEqual(3);
    expect(events('federation.link.refused').some((e) => e.reason === 'proof_failed')).toBe(true);
    expect(events('federation.started').length).toBeGreaterThanOrEqual(3);
    const all = JSON.stringify(logs);
    expect(all).not.toContain('upstream-secret-0123456789');
    expect(all).not.toContain('second password 2');
  });
});
