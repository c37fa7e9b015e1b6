import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { Browser } from '../helpers/browser.ts';
import { cliEnvFor, runIdp, type CliResult } from '../helpers/cli.ts';
import { authorizationRequest, client } from '../helpers/rp.ts';
import { startTestApp, TEST_SECRETS, type TestApp } from '../helpers/test-app.ts';

// `idp clients add|update` with the branding flags, against a running server's store: a change reaches the
// running server's pages at once, and a bad colour is refused with one readable line.

function json<T = Record<string, unknown>>(result: CliResult): T {
  expect({ status: result.status, stderr: result.stderr }).toEqual({ status: 0, stderr: '' });
  return JSON.parse(result.stdout) as T;
}

describe('idp clients branding flags', () => {
  let app: TestApp;
  let env: Record<string, string>;

  beforeAll(async () => {
    app = await startTestApp({ label: 'branding_cli' });
    env = cliEnvFor(app, TEST_SECRETS);
  });
  afterAll(async () => {
    await app?.stop();
  });

  test('add with flags, then update: the running server shows the new colours and name at once', async () => {
    const metadata = { redirect_uris: ['http://127.0.0.1:9/cb'], first_party: true, client_name: 'CLI Books' };
    const added = json(await runIdp(['clients', 'add', '--json', JSON.stringify(metadata),
      '--client-name-ja', 'CLI書店', '--primary-color', '#0f766e', '--login-methods', 'password,passkey',
      '--logo-uri', 'https://cli-books.example/logo.svg'], env));
    expect(added).toMatchObject({
      client_name: 'CLI Books', 'client_name#ja': 'CLI書店', branding_primary_color: '#0f766e',
      login_methods: ['password', 'passkey'], logo_uri: 'https://cli-books.example/logo.svg',
    });
    const clientId = added.client_id as string;

    const updated = json(await runIdp(['clients', 'update', clientId, '--primary-color', '#7c3aed', '--logo-uri', '', '--support-uri', 'https://cli-books.example/help'], env));
    expect(updated).toMatchObject({ branding_primary_color: '#7c3aed', support_uri: 'https://cli-books.example/help' });
    expect(updated).not.toHaveProperty('logo_uri');
    expect(updated).not.toHaveProperty('client_secret');

    // The running server's sign-in page for this client, asked by a real RP.
    const config = await client.discovery(new URL(app.issuer), clientId, undefined, client.ClientSecretBasic(added.client_secret as string), {
      execute: [client.allowInsecureRequests],
    });
    const login = await new Browser().get((await authorizationRequest({ config, metadata: added, clientId }, { ui_locales: 'ja' })).url.toString());
    expect(login.status).toBe(200);
    expect(login.html.querySelector('header.client')?.text).toContain('CLI書店');
    expect(login.html.querySelector('header.client img')).toBeNull();
    const href = login.html.querySelectorAll('link[rel=stylesheet]').map((l) => l.getAttribute('href')!).find((h) => h.startsWith('/branding/'));
    expect(await (await fetch(`${app.issuer}${href}`)).text()).toContain('--accent: #7c3aed;');
  });

  test('a bad colour is refused with one line naming the key and the expected form', async () => {
    const result = await runIdp(['clients', 'add', '--json', JSON.stringify({ redirect_uris: ['http://127.0.0.1:9/cb'] }), '--primary-color', 'orange'], env);
    expect(result.status).not.toBe(0);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(/^idp: [^\n]+\n$/);
    expect(result.stderr).toContain('branding_primary_color: must be a colour written #rrggbb');
  });
});
