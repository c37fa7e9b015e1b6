import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { runIdp } from '../helpers/cli.ts';
import { testMongoUri } from '../helpers/mongo.ts';
import { atRp, Browser, startSignIn } from '../helpers/profile-flows.ts';
import { registerRp } from '../helpers/rp.ts';
import { startTestApp, TEST_SECRETS, type TestApp } from '../helpers/test-app.ts';

// `idp consents docs add|publish|list` and `idp profile set` through the real binary, against a running server's
// database: a published version is asked for at the next sign-in without a restart, and never changes again.



describe('idp consents docs / idp profile set', () => {
  const mongoUri = testMongoUri('consents_cli');
  const env = {
    ...Object.fromEntries(Object.entries(process.env).filter(([n]) => n === 'PATH' || n === 'HOME' || n.startsWith('MONGOMS_'))) as Record<string, string>,
    NODE_ENV: 'test', MONGODB_URI: mongoUri, IDP_DATA_DIR: mkdtempSync(path.join(tmpdir(), 'idp-cli-')),
    IDP_SECRETS_COOKIE_KEYS: JSON.stringify(TEST_SECRETS.cookieKeys), IDP_SECRETS_KEY_ENCRYPTION_KEY: TEST_SECRETS.keyEncryptionKey,
  };
  const idp = (...args: string[]) => runIdp(args, env);
  const ok = (result: { status: number | null; stdout: string; stderr: string }) => {
    expect({ status: result.status, stderr: result.stderr }).toEqual({ status: 0, stderr: '' });
    return JSON.parse(result.stdout);
  };
  let app: TestApp;
  const user = { email: 'cli.user@example.jp', password: 'a long enough password' };

  beforeAll(async () => {
    app = await startTestApp({ mongoUri });
    await app.container.accounts.createByAdmin({ ...user, verified: true });
  });
  afterAll(async () => app?.stop());

  test('add drafts, publish freezes and takes effect at once on the running server; list shows both', async () => {
    const version = {
      id: 'terms', kind: 'terms', version: '2026-01', requires_reacceptance: true,
      content: { ja: { title: '利用規約', url: 'https://example.jp/terms/2026-01' }, en: { title: 'Terms', url: 'https://example.com/terms/2026-01' } },
    };
    expect(ok(await idp('consents', 'docs', 'add', '--json', JSON.stringify(version)))).toMatchObject({ id: 'terms', version: '2026-01', status: 'draft' });
    const site = await registerRp(app, { legal_documents: { required: ['terms'] } });
    const browser = new Browser();
    expect(atRp((await startSignIn(browser, site, user)).page)).toBe(true); // a draft is never asked for

    expect(ok(await idp('consents', 'docs', 'publish', 'terms', '2026-01'))).toMatchObject({ status: 'published', seq: 1 });
    const asked = await startSignIn(browser, site, user);
    expect(asked.page.html.querySelector('input[type=checkbox][name=accept][value=terms]')).not.toBeNull();

    const again = await idp('consents', 'docs', 'add', '--json', JSON.stringify({ ...version, content: { en: { title: 'Rewritten', url: 'https://example.com/x' } } }));
    expect(again.status).toBe(1);
    expect(again.stderr).toMatch(/^idp: legal\.version_published: terms@2026-01\n$/);
    const listed = ok(await idp('consents', 'docs', 'list'));
    expect(listed).toEqual([expect.objectContaining({ id: 'terms', version: '2026-01', status: 'published', content: version.content })]);

    const invalid = await idp('consents', 'docs', 'add', '--json', JSON.stringify({ id: 'privacy', kind: 'privacy', version: '1', content: {} }));
    expect(invalid.status).toBe(1);
    expect(invalid.stderr).toMatch(/^idp: invalid document: content: /);
  });

  test('profile set validates with the attribute schema: normalised phone (unverified), invalid values refused', async () => {
    const stored = ok(await idp('profile', 'set', user.email, '--json', JSON.stringify({ given_name: '花子', phone_number: '090-1234-5678' })));
    expect(stored.profile).toMatchObject({ given_name: '花子', phone_number: '+819012345678', phone_number_verified: false });
    const bad = await idp('profile', 'set', user.email, '--json', JSON.stringify({ birthdate: '2001-02-30' }));
    expect(bad.status).toBe(1);
    expect(bad.stderr).toBe('idp: invalid values: birthdate (profile.invalid_date)\n');
    const help = await idp('help');
    expect(help.stdout).toContain('idp consents docs add');
    expect(help.stdout).toContain('idp profile set');
  });
});
