import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { Browser } from '../helpers/browser.ts';
import { client, registerRp, RP_REDIRECT, signIn, type Rp } from '../helpers/rp.ts';
import { startHttpsServer } from '../helpers/https-server.ts';
import { startTestApp, TEST_SECRETS, type TestApp } from '../helpers/test-app.ts';
import { createPairwiseSubject } from '../../src/keys/pairwise-subject.ts';

// OpenID Connect Core §8.1 (pairwise identifiers) and Registration §5 (sector_identifier_uri).
describe('pairwise subject identifiers', () => {
  let app: TestApp;
  let sector: Awaited<ReturnType<typeof startHttpsServer>>;
  let byRedirectHost: Rp;
  let sectorA: Rp;
  let sectorB: Rp;
  let publicRp: Rp;
  let accountId: string;
  const user = { email: 'pairwise@example.jp', password: 'correct horse battery staple' };

  const subOf = async (rp: Rp, browser = new Browser()) => {
    const { tokens } = await signIn(browser, rp, user);
    const sub = tokens.claims()!.sub;
    // Userinfo must answer with the sub of the ID token (Core §5.3.2); openid-client checks it, we check it too.
    const userinfo = await client.fetchUserInfo(rp.config, tokens.access_token, sub);
    expect(userinfo.sub).toBe(sub);
    return sub;
  };

  beforeAll(async () => {
    sector = await startHttpsServer({
      '/sector.json': { body: [RP_REDIRECT, 'https://shop.example.jp/cb'] },
      '/other-sector.json': { body: [RP_REDIRECT] },
      '/unlisted.json': { body: ['https://elsewhere.example.jp/cb'] },
      '/not-an-array.json': { body: { redirect_uris: [RP_REDIRECT] } },
    });
    app = await startTestApp({ label: 'pairwise' });
    const account = await app.container.accounts.createByAdmin({ ...user, name: 'Pairwise Person', verified: true });
    accountId = String((account as { _id: unknown })._id);
    byRedirectHost = await registerRp(app, { subject_type: 'pairwise' });
    sectorA = await registerRp(app, { subject_type: 'pairwise', sector_identifier_uri: `${sector.origin}/sector.json` });
    sectorB = await registerRp(app, { subject_type: 'pairwise', sector_identifier_uri: `${sector.origin}/other-sector.json` });
    publicRp = await registerRp(app);
  });
  afterAll(async () => {
    await app?.stop();
    await sector?.close();
  });

  test('discovery offers public and pairwise subjects', () => {
    expect(publicRp.config.serverMetadata().subject_types_supported).toEqual(['public', 'pairwise']);
  });

  test('clients in different sectors see different subs; the same sub again on later sign-ins; a public client sees the account id', async () => {
    const browser = new Browser();
    const first = await subOf(byRedirectHost, browser);
    const again = await subOf(byRedirectHost, new Browser());
    const inSector = await subOf(sectorA, browser);
    const publicSub = await subOf(publicRp, browser);
    expect(again).toBe(first);
    expect(inSector).not.toBe(first);
    expect(publicSub).toBe(accountId);
    expect(first).not.toBe(accountId);
    expect(inSector).not.toContain(accountId);
    // Sector = host of the single redirect_uri when no sector_identifier_uri (Core §8.1), keyed hash of sector + account.
    expect(first).toBe(createPairwiseSubject(TEST_SECRETS.keyEncryptionKey)(new URL(RP_REDIRECT).host, accountId));
  });

  test('two clients sharing a sector_identifier_uri host get the same sub', async () => {
    expect(await subOf(sectorB)).toBe(await subOf(sectorA));
    expect(sector.requests).toEqual(expect.arrayContaining(['/sector.json', '/other-sector.json']));
  });

  test('a sector_identifier_uri that does not list every redirect_uri is refused at registration (Registration §5)', async () => {
    await expect(app.container.clients.add({ redirect_uris: [RP_REDIRECT], subject_type: 'pairwise', sector_identifier_uri: `${sector.origin}/unlisted.json` }))
      .rejects.toThrow(/redirect_uris must be included in the sector_identifier_uri/);
    await expect(app.container.clients.add({ redirect_uris: [RP_REDIRECT], subject_type: 'pairwise', sector_identifier_uri: `${sector.origin}/not-an-array.json` }))
      .rejects.toThrow(/single JSON array/);
    await expect(app.container.clients.add({ redirect_uris: [RP_REDIRECT], subject_type: 'pairwise', sector_identifier_uri: `${sector.origin}/missing.json` }))
      .rejects.toThrow(/404/);
  });

  test('sector_identifier_uri must be https, and several redirect hosts need one', async () => {
    await expect(app.container.clients.add({ redirect_uris: [RP_REDIRECT], subject_type: 'pairwise', sector_identifier_uri: 'http://127.0.0.1:9/sector.json' }))
      .rejects.toThrow(/sector_identifier_uri must be a https uri/);
    await expect(app.container.clients.add({ redirect_uris: [RP_REDIRECT, 'http://127.0.0.2:9/cb'], subject_type: 'pairwise' }))
      .rejects.toThrow(/sector_identifier_uri is mandatory/);
  });

  test('an id_token_hint with a pairwise sub (and no sid) still names this session: logout asks nothing', async () => {
    const browser = new Browser();
    const { tokens } = await signIn(browser, byRedirectHost, user);
    expect(tokens.claims()!.sid).toBeUndefined();
    const url = client.buildEndSessionUrl(byRedirectHost.config, { id_token_hint: tokens.id_token!, post_logout_redirect_uri: 'http://127.0.0.1:9/logged-out' });
    const page = await browser.get(url.toString());
    expect(page.html.querySelector('form[data-auto-submit]')).not.toBeNull();
    expect(page.html.querySelector('button[name=logout][value=yes]')).toBeNull();
  });
});
