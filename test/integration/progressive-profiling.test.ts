import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { client, registerRp, type Rp } from '../helpers/rp.ts';
import { startTestApp, type TestApp } from '../helpers/test-app.ts';
import { sleep } from '../helpers/account-flows.ts';
import { atRp, Browser, fieldNames, finish, startSignIn } from '../helpers/profile-flows.ts';

// Progressive profiling (one optional question per sign-in, only after N sign-ins, skippable, a skip respected for
// a configured period) and custom attributes from the configuration, validated and released through their scope.

const CUSTOM = [
  { key: 'member_no', type: 'string', pattern: '[0-9]{8}', labels: { ja: '会員番号', en: 'Membership number' }, editable: false },
  { key: 'favorite_store', type: 'enum', values: ['tokyo', 'osaka'], labels: { ja: 'よく行く店舗', en: 'Favourite store' },
    valueLabels: { tokyo: { ja: '東京店', en: 'Tokyo' }, osaka: { ja: '大阪店', en: 'Osaka' } } },
];

describe('progressive profiling and custom attributes', () => {
  let app: TestApp;
  let site: Rp;
  const password = 'a long enough password';

  beforeAll(async () => {
    app = await startTestApp({ label: 'progressive', overrides: { profile: { customAttributes: CUSTOM, customScope: 'brand' } } });
    site = await registerRp(app, {
      client_name: 'Shop',
      progressive_profiling: {
        attributes: [{ attribute: 'birthdate', reason: { en: 'We send you a coupon on your birthday.' } }, 'favorite_store'],
        after_sign_ins: 2, skip_days: 30,
      },
    });
  });
  afterAll(async () => app?.stop());

  /** Sign-ins are counted when an authorization is accepted (an engine event); wait, bounded, for the count. */
  async function signInsReach(email: string, count: number) {
    for (let i = 0; i < 50; i++) {
      const account = await app.container.accountRepository.findByEmail(email);
      if ((account?.profiling?.signIns ?? 0) >= count) return;
      await sleep(50);
    }
    throw new Error(`sign-in count of ${email} did not reach ${count}`);
  }

  test('no question before the Nth sign-in, then one per sign-in; a skip is respected for the configured period', async () => {
    const user = { email: 'progressive@example.jp', password };
    await app.container.accounts.createByAdmin({ ...user, verified: true });
    const browser = new Browser();
    const visit = async (n: number) => {
      await signInsReach(user.email, n - 1);
      return startSignIn(browser, site, user);
    };
    for (const n of [1, 2]) {
      const { page } = await visit(n);
      expect(atRp(page)).toBe(true);
    }

    const third = await visit(3);
    expect(third.page.status).toBe(200);
    expect(fieldNames(third.page)).toEqual(['birthdate']);
    expect(third.page.html.querySelector('.reason')?.text).toBe('We send you a coupon on your birthday.');
    expect(third.page.html.querySelector('button[name=skip]')).not.toBeNull();
    const skipped = await browser.submit(third.page, { skip: '1' });
    expect(atRp(skipped)).toBe(true); // one question per sign-in: favorite_store waits

    const fourth = await visit(4);
    expect(fieldNames(fourth.page)).toEqual(['favorite_store']);
    expect(fourth.page.html.querySelectorAll('select[name=favorite_store] option').map((o) => o.text)).toEqual(['Choose…', 'Tokyo', 'Osaka']);
    const bad = await browser.submit(fourth.page, { favorite_store: 'nagoya', decision: 'save' });
    expect(bad.status).toBe(400);
    expect(bad.html.querySelector('.field-error')?.text).toBe('Choose one of the options.');
    const answered = await browser.submit(bad, { favorite_store: 'osaka', decision: 'save' });
    expect(atRp(answered)).toBe(true);

    expect(atRp((await visit(5)).page)).toBe(true); // birthdate was skipped less than 30 days ago

    // 31 days later the skipped question comes back.
    const { Account } = app.container.models;
    await Account.updateOne({ email: user.email }, { $set: { 'profiling.skipped.birthdate': new Date(Date.now() - 31 * 86_400_000) } }).exec();
    const sixth = await visit(6);
    expect(fieldNames(sixth.page)).toEqual(['birthdate']);
    const done = await browser.submit(sixth.page, { birthdate: '1990-04-01', decision: 'save' });
    const tokens = await finish(site, sixth, done);
    const info = await client.fetchUserInfo(site.config, tokens.access_token, tokens.claims()!.sub);
    expect(info.birthdate).toBe('1990-04-01');
  });

  test('prompt=none never turns an optional question into an error', async () => {
    const user = { email: 'silent.progressive@example.jp', password };
    await app.container.accounts.createByAdmin({ ...user, verified: true });
    await app.container.models.Account.updateOne({ email: user.email }, { $set: { 'profiling.signIns': 5 } }).exec();
    const browser = new Browser();
    const first = await startSignIn(browser, site, user);
    expect(fieldNames(first.page)).toEqual(['birthdate']);
    const silent = await startSignIn(browser, site, user, { prompt: 'none' });
    expect(atRp(silent.page)).toBe(true);
    expect(new URL(silent.page.url).searchParams.get('code')).toBeTruthy();
  });

  test('a required custom attribute is validated and released as a claim through the configured scope', async () => {
    const shop = await registerRp(app, { client_name: 'Members', required_attributes: [{ attribute: 'member_no', scope: 'brand' }] });
    const user = { email: 'member@example.jp', password };
    await app.container.accounts.createByAdmin({ ...user, verified: true });
    const browser = new Browser();
    const started = await startSignIn(browser, shop, user, { scope: 'openid brand' });
    expect(fieldNames(started.page)).toEqual(['member_no']);
    expect(started.page.html.querySelector('label[for=f-member_no]')?.text).toBe('Membership number');
    const bad = await browser.submit(started.page, { member_no: '12-34', decision: 'save' });
    expect(bad.status).toBe(400);
    expect(bad.html.querySelector('.field-error')?.text).toBe('This value does not have the expected format.');
    const done = await browser.submit(bad, { member_no: '12345678', decision: 'save' });
    const tokens = await finish(shop, started, done);
    expect(await client.fetchUserInfo(shop.config, tokens.access_token, tokens.claims()!.sub)).toMatchObject({ member_no: '12345678' });
    const discovery = await (await fetch(`${app.issuer}/.well-known/openid-configuration`)).json() as { scopes_supported: string[]; claims_supported: string[] };
    expect(discovery.scopes_supported).toContain('brand');
    expect(discovery.claims_supported).toEqual(expect.arrayContaining(['member_no', 'favorite_store']));

    // Without the scope the claim is not released.
    const plain = await startSignIn(browser, shop, user, { scope: 'openid' });
    const plainTokens = await finish(shop, plain, plain.page);
    expect(await client.fetchUserInfo(shop.config, plainTokens.access_token, plainTokens.claims()!.sub)).not.toHaveProperty('member_no');

    // The same schema guards operator edits: not editable once set on the account page, invalid refused everywhere.
    const { profile } = app.container.profile;
    const account = (await app.container.accountRepository.findByEmail(user.email))!;
    expect(await profile.save(account._id, { favorite_store: 'kyoto' }, ['favorite_store'], { source: 'admin' })).toEqual({ favorite_store: 'profile.invalid_choice' });
    const page = await browser.get(`${app.issuer}/account/profile`);
    expect(page.html.querySelector('input[name=member_no]')).toBeNull();
    expect(page.html.querySelector('select[name=favorite_store]')).not.toBeNull();
  });
});
