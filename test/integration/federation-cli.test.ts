import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Browser } from '../helpers/browser.ts';
import { runIdp } from '../helpers/cli.ts';
import { testMongoUri } from '../helpers/mongo.ts';
import { authorizationRequest, registerRp } from '../helpers/rp.ts';
import { startTestApp, TEST_SECRETS, type TestApp } from '../helpers/test-app.ts';

// `idp connectors add|list|remove` with the real binary against a running server's database: the printed
// connector has its id and callback URL and no secret, the secret is sealed at rest, and the sign-in page of the
// running server shows (and stops showing) the button at once.



describe('idp connectors', () => {
  const mongoUri = testMongoUri('fedcli');
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', NODE_ENV: 'test', MONGODB_URI: mongoUri,
    IDP_SECRETS_COOKIE_KEYS: JSON.stringify(TEST_SECRETS.cookieKeys), IDP_SECRETS_KEY_ENCRYPTION_KEY: TEST_SECRETS.keyEncryptionKey,
    IDP_DATA_DIR: mkdtempSync(path.join(tmpdir(), 'idp-fedcli-')),
  };
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp({ mongoUri });
  });
  afterAll(async () => app?.stop());

  const buttons = async () => {
    const rp = await registerRp(app);
    const page = await new Browser().get((await authorizationRequest(rp)).url.toString());
    return page.html.querySelectorAll('[data-connector]').map((b) => b.getAttribute('data-connector'));
  };

  test('add a preset, list without secrets, sealed at rest, effective at once, remove', async () => {
    const added = await runIdp(['connectors', 'add', '--json', JSON.stringify({ preset: 'google', client_id: 'g-client', client_secret: 'g-secret-value-123' })], env);
    expect({ status: added.status, stderr: added.stderr }).toEqual({ status: 0, stderr: '' });
    const connector = JSON.parse(added.stdout);
    expect(connector).toMatchObject({
      id: 'google', type: 'oidc', preset: 'google', issuer: 'https://accounts.google.com', clientId: 'g-client', hasClientSecret: true,
      scopes: ['openid', 'email', 'profile'], callbackUrl: expect.stringMatching(/\/federation\/google\/callback$/),
    });
    expect(added.stdout).not.toContain('g-secret-value-123');
    const stored = await app.container.models.Connector.findById('google').lean();
    expect(stored?.clientSecretSealed).toMatch(/^v1\./);
    expect(JSON.stringify(stored)).not.toContain('g-secret-value-123');
    expect(await buttons()).toEqual(['google']);

    const listed = await runIdp(['connectors', 'list'], env);
    expect(JSON.parse(listed.stdout).map((c: { id: string }) => c.id)).toEqual(['google']);
    expect(listed.stdout).not.toContain('g-secret-value-123');

    const duplicate = await runIdp(['connectors', 'add', '--json', '{"preset":"google","client_id":"x"}'], env);
    expect(duplicate.status).toBe(1);
    expect(duplicate.stderr).toMatch(/^idp: connector\.exists: google\n$/);
    const invalid = await runIdp(['connectors', 'add', '--json', '{"type":"oauth2","client_id":"x","id":"Bad Id"}'], env);
    expect(invalid.status).toBe(1);
    expect(invalid.stderr).toMatch(/^idp: connector\.invalid: id/);

    const removed = await runIdp(['connectors', 'remove', 'google'], env);
    expect(JSON.parse(removed.stdout)).toEqual({ removed: 'google' });
    expect(await buttons()).toEqual([]);
  });
});
