import http from 'node:http';
import { mkdtempSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { Browser } from '../helpers/browser.ts';
import { completeSignIn, createTestSp, readPostForm } from '../helpers/saml-sp.ts';
import { runIdp, type CliResult } from '../helpers/cli.ts';
import { startTestApp, TEST_SECRETS, type TestApp } from '../helpers/test-app.ts';

// `idp saml sps add|list|remove` in a child process against the running server's database: changes apply at once.


function idp(app: TestApp, args: string[]): Promise<CliResult> {
  const env = {
    PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', NODE_ENV: 'test', MONGODB_URI: app.mongoUri, ISSUER: app.issuer,
    IDP_SECRETS_COOKIE_KEYS: JSON.stringify(TEST_SECRETS.cookieKeys), IDP_SECRETS_KEY_ENCRYPTION_KEY: TEST_SECRETS.keyEncryptionKey,
    IDP_DATA_DIR: mkdtempSync(path.join(tmpdir(), 'idp-cli-')),
  };
  return runIdp(args, env);
}

describe('idp saml sps', () => {
  let app: TestApp;
  let metadataServer: http.Server;
  const user = { email: 'cli.saml@example.jp', password: 'a long enough password' };

  beforeAll(async () => {
    app = await startTestApp({ label: 'saml_cli' });
    await app.container.accounts.createByAdmin({ ...user, verified: true });
  });
  afterAll(async () => {
    metadataServer?.close();
    await app?.stop();
  });

  test('add from a file with a mapping and NameID format, list, replace from a URL, remove: each at once', async () => {
    const sp = await createTestSp(app, 'clisp', { identifierFormat: null }); // no NameIDPolicy: the SP's default applies
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'sp-meta-')), 'sp.xml');
    writeFileSync(file, sp.metadata);
    const added = await idp(app, ['saml', 'sps', 'add', '--metadata', file, '--first-party', '--nameid', 'emailAddress',
      '--attributes', '{"email":"urn:oid:0.9.2342.19200300.100.1.3"}']);
    expect(added.stderr).toBe('');
    expect(JSON.parse(added.stdout)).toMatchObject({ entityId: sp.entityId, settings: { nameIdFormat: 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress' } });

    const browser = new Browser();
    const form = readPostForm(await completeSignIn(browser, await browser.get(await sp.saml.getAuthorizeUrlAsync('', undefined, {})), user));
    const { profile } = await sp.saml.validatePostResponseAsync({ SAMLResponse: form.fields.SAMLResponse! });
    expect(profile!.nameID).toBe(user.email);
    expect(profile!['urn:oid:0.9.2342.19200300.100.1.3']).toBe(user.email);

    const listed = JSON.parse((await idp(app, ['saml', 'sps', 'list'])).stdout) as Array<{ entityId: string }>;
    expect(listed.map((s) => s.entityId)).toEqual([sp.entityId]);

    metadataServer = http.createServer((_req, res) => res.writeHead(200, { 'content-type': 'application/samlmetadata+xml' }).end(sp.metadata));
    await new Promise<void>((resolve) => metadataServer.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(metadataServer.address() as AddressInfo).port}/metadata`;
    const replaced = JSON.parse((await idp(app, ['saml', 'sps', 'add', '--metadata', url, '--first-party'])).stdout);
    expect(replaced.settings.nameIdFormat).toBe('urn:oasis:names:tc:SAML:2.0:nameid-format:persistent');
    expect(JSON.parse((await idp(app, ['saml', 'sps', 'list'])).stdout)).toHaveLength(1);
    // The running server reads registrations through its change-stream cache: the replacement (persistent NameID,
    // default attributes) is what the next SSO of the signed-in browser gets.
    const after = readPostForm(await browser.get(await sp.saml.getAuthorizeUrlAsync('', undefined, {})));
    const { profile: replacedProfile } = await sp.saml.validatePostResponseAsync({ SAMLResponse: after.fields.SAMLResponse! });
    expect(replacedProfile!.nameIDFormat).toBe('urn:oasis:names:tc:SAML:2.0:nameid-format:persistent');
    expect(replacedProfile!.nameID).not.toBe(user.email);

    expect(JSON.parse((await idp(app, ['saml', 'sps', 'remove', sp.entityId])).stdout)).toEqual({ removed: sp.entityId });
    const refused = await browser.get(await sp.saml.getAuthorizeUrlAsync('', undefined, {}));
    expect(refused.status).toBe(400);
    const again = await idp(app, ['saml', 'sps', 'remove', sp.entityId]);
    expect(again.status).toBe(1);
    expect(again.stderr).toMatch(/^idp: saml.sp_not_found/);
  });
});
