import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Browser } from '../helpers/browser.ts';
import { runIdp } from '../helpers/cli.ts';
import { testMongoUri } from '../helpers/mongo.ts';
import { authorizationRequest, registerRp } from '../helpers/rp.ts';
import { createUpstreamIdp } from '../helpers/saml-upstream-idp.ts';
import { startTestApp, TEST_SECRETS, type TestApp } from '../helpers/test-app.ts';

// `idp connectors add-saml` with the real binary against a running server's database: it prints our SP metadata
// and ACS URLs, the running server serves that metadata and shows the button at once, for the clients allowing it.

describe('idp connectors add-saml', () => {
  const mongoUri = testMongoUri('samlspcli');
  const dir = mkdtempSync(path.join(tmpdir(), 'idp-samlspcli-'));
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', NODE_ENV: 'test', MONGODB_URI: mongoUri,
    IDP_SECRETS_COOKIE_KEYS: JSON.stringify(TEST_SECRETS.cookieKeys), IDP_SECRETS_KEY_ENCRYPTION_KEY: TEST_SECRETS.keyEncryptionKey,
    IDP_DATA_DIR: dir,
  };
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp({ mongoUri });
  });
  afterAll(async () => app?.stop());

  test('registers from metadata with a mapping; metadata served and button shown at once; bad input is one line', async () => {
    const idp = createUpstreamIdp('hq');
    const file = path.join(dir, 'hq-idp.xml');
    writeFileSync(file, idp.metadata);
    const added = await runIdp(['connectors', 'add-saml', '--metadata', file, '--name', 'HQ Group', '--mapping', '{"email":"urn:oid:0.9.2342.19200300.100.1.3"}', '--allow-idp-initiated'], env);
    expect({ status: added.status, stderr: added.stderr }).toEqual({ status: 0, stderr: '' });
    const connector = JSON.parse(added.stdout);
    expect(connector).toMatchObject({
      id: 'hq-group', type: 'saml', displayName: 'HQ Group',
      mapping: { subject: 'nameID', email: 'urn:oid:0.9.2342.19200300.100.1.3', email_verified: false },
      options: { entityId: idp.entityId, allowIdpInitiated: 'true' },
      metadataUrl: expect.stringMatching(/\/saml\/sp\/hq-group\/metadata$/), acsUrl: expect.stringMatching(/\/saml\/sp\/hq-group\/acs$/),
    });
    const metadata = await fetch(`${app.issuer}/saml/sp/hq-group/metadata`);
    expect(metadata.status).toBe(200);
    expect(await metadata.text()).toContain(`entityID="${app.issuer}/saml/sp/hq-group/metadata"`);

    const buttons = async (metadataExtra: Record<string, unknown> = {}) => {
      const rp = await registerRp(app, metadataExtra);
      const page = await new Browser().get((await authorizationRequest(rp)).url.toString());
      return page.html.querySelectorAll('[data-connector]').map((b) => b.getAttribute('data-connector'));
    };
    expect(await buttons()).toEqual(['hq-group']);
    expect(await buttons({ federation_connectors: ['other'] })).toEqual([]);

    const broken = path.join(dir, 'broken.xml');
    writeFileSync(broken, '<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="x"/>');
    const invalid = await runIdp(['connectors', 'add-saml', '--metadata', broken, '--name', 'Broken'], env);
    expect(invalid.status).toBe(1);
    expect(invalid.stderr).toMatch(/^idp: connector\.invalid: metadata/);
    expect(invalid.stderr.trim().split('\n')).toHaveLength(1);
  });
});
