import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { findRunningEmbedded, startEmbeddedMongo, type EmbeddedMongo } from '../../src/db/embedded-mongo.ts';
import { runIdp, type CliResult } from '../helpers/cli.ts';
import { testMongoUri } from '../helpers/mongo.ts';
import { startTestApp, TEST_SECRETS, type TestApp } from '../helpers/test-app.ts';

// The real `idp` binary in a child process, exactly as an operator or a deploy script runs it, against the
// same MongoDB database as a running server.



/** Only what the CLI needs: no inherited MONGODB_URI or IDP_* may change which store it uses. */
function baseEnv(dataDir: string): Record<string, string> {
  const inherited = Object.entries(process.env).filter(([name]) => name === 'PATH' || name === 'HOME' || name.startsWith('MONGOMS_') || name === 'MONGOD_WINE_BIN');
  return {
    ...Object.fromEntries(inherited) as Record<string, string>,
    NODE_ENV: 'test',
    IDP_SECRETS_COOKIE_KEYS: JSON.stringify(TEST_SECRETS.cookieKeys),
    IDP_SECRETS_KEY_ENCRYPTION_KEY: TEST_SECRETS.keyEncryptionKey,
    IDP_DATA_DIR: dataDir,
  };
}


/** A successful command: exit 0, nothing on stderr, and stdout is one JSON document. */
function json<T = any>(result: CliResult): T {
  expect({ status: result.status, stderr: result.stderr }).toEqual({ status: 0, stderr: '' });
  return JSON.parse(result.stdout) as T;
}

/** A failed command: the exit status and exactly one `idp: ...` line on stderr, nothing on stdout. */
function expectFailure(result: CliResult, status: number, line: RegExp) {
  expect(result.status).toBe(status);
  expect(result.stdout).toBe('');
  expect(result.stderr).toMatch(/^idp: [^\n]+\n$/);
  expect(result.stderr).toMatch(line);
}

describe('idp CLI against the server\'s database', () => {
  const mongoUri = testMongoUri('cli');
  const dataDir = mkdtempSync(path.join(tmpdir(), 'idp-cli-'));
  const env = { ...baseEnv(dataDir), MONGODB_URI: mongoUri };
  const idp = (...args: string[]) => runIdp(args, env);
  let app: TestApp;

  beforeAll(async () => {
    app = await startTestApp({ mongoUri });
  });
  afterAll(async () => app?.stop());

  /** client_credentials at the running server's token endpoint: proves whether it knows the client now. */
  const clientCredentials = (clientId: string, secret: string) => fetch(`${app.issuer}/token`, {
    method: 'POST',
    headers: {
      authorization: `Basic ${Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(secret)}`).toString('base64')}`,
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: 'grant_type=client_credentials',
  });

  describe('usage', () => {
    test('help and --help print the usage on stdout and exit 0', async () => {
      for (const args of [['help'], ['--help']]) {
        const result = await idp(...args);
        expect(result.status).toBe(0);
        expect(result.stderr).toBe('');
        for (const line of ['idp clients add', 'idp clients list', 'idp clients remove <client_id>', 'idp users add', 'idp keys rotate', 'idp db migrate']) {
          expect(result.stdout).toContain(line);
        }
      }
    });

    test('an unknown command or flag is a usage error: one line, exit 2', async () => {
      expectFailure(await idp('frobnicate'), 2, /^idp: unknown command 'frobnicate'/);
      expectFailure(await idp('clients', 'list', '--all'), 2, /^idp: Unknown option '--all'/);
    });

    test('invalid JSON in --json is refused with a clear line', async () => {
      expectFailure(await idp('clients', 'add', '--json', '{"redirect_uris": ['), 1, /^idp: --json: invalid JSON \(/);
    });
  });

  describe('clients', () => {
    let confidential: Record<string, any>;

    test('add --json stores the client and prints it with client_id and client_secret; the running server accepts it at once', async () => {
      confidential = json(await idp('clients', 'add', '--json', JSON.stringify({
        client_name: 'Batch job', redirect_uris: ['https://shop.example.jp/cb'], first_party: true,
        grant_types: ['authorization_code', 'client_credentials'], response_types: ['code'],
      })));
      expect(confidential).toMatchObject({ client_name: 'Batch job', first_party: true, redirect_uris: ['https://shop.example.jp/cb'] });
      expect(confidential.client_id).toMatch(/^[A-Za-z0-9][A-Za-z0-9_-]*$/);
      expect(confidential.client_secret).toEqual(expect.stringMatching(/^[A-Za-z0-9_-]{32,}$/));

      const response = await clientCredentials(confidential.client_id, confidential.client_secret);
      expect(response.status).toBe(200);
      expect(await response.json()).toMatchObject({ token_type: 'Bearer', access_token: expect.any(String) });
    });

    test('add --file reads the metadata from a file; a public client gets no secret', async () => {
      const file = path.join(dataDir, 'shop-spa.json');
      writeFileSync(file, JSON.stringify({
        client_id: 'shop-spa', redirect_uris: ['http://127.0.0.1:8080/cb'], token_endpoint_auth_method: 'none',
      }));
      const stored = json(await idp('clients', 'add', '--file', file));
      expect(stored).toMatchObject({ client_id: 'shop-spa', token_endpoint_auth_method: 'none' });
      expect(stored).not.toHaveProperty('client_secret');
    });

    test('list shows every client and never a secret', async () => {
      const result = await idp('clients', 'list');
      const clients = json<Array<Record<string, unknown>>>(result);
      expect(clients.map((c) => c.client_id).sort()).toEqual([confidential.client_id, 'shop-spa'].sort());
      for (const client of clients) expect(client).not.toHaveProperty('client_secret');
      expect(result.stdout).not.toContain(confidential.client_secret);
    });

    test('invalid metadata and a client_id with a dot are refused (exit 1, one line)', async () => {
      expectFailure(await idp('clients', 'add', '--json', '{"redirect_uris":["not a url"]}'), 1, /^idp: client\.invalid_metadata: .*redirect_uris/);
      expectFailure(await idp('clients', 'add', '--json', '{"client_id":"shop.web","redirect_uris":["https://a.example/cb"]}'), 1, /^idp: client\.invalid_client_id\n$/);
    });

    test('remove deletes the client: the running server refuses it at once, and a second remove is not found', async () => {
      expect(json(await idp('clients', 'remove', confidential.client_id))).toEqual({ removed: confidential.client_id });

      const response = await clientCredentials(confidential.client_id, confidential.client_secret);
      expect(response.status).toBe(401);
      expect(await response.json()).toMatchObject({ error: 'invalid_client' });

      expectFailure(await idp('clients', 'remove', confidential.client_id), 1, new RegExp(`^idp: client\\.not_found: ${confidential.client_id}\\n$`));
    });
  });

  describe('users', () => {
    const password = 'correct horse battery staple';

    test('add creates a verified account and prints it without any hash', async () => {
      const result = await idp('users', 'add', '--email', 'Taro.Suzuki@Example.jp', '--password', password, '--name', 'Taro Suzuki', '--verified');
      const user = json(result);
      expect(user).toMatchObject({ email: 'Taro.Suzuki@Example.jp', email_verified: true, status: 'active', profile: { name: 'Taro Suzuki' } });
      expect(user.id).toMatch(/^[0-9a-f-]{36}$/);
      expect(result.stdout).not.toMatch(/hash|argon2|correct horse/i);
      // The account really is usable by the server's own services.
      await expect(app.container.accounts.authenticate('taro.suzuki@example.jp', password, '127.0.0.1')).resolves.toMatchObject({ _id: user.id });
    });

    test('the same email in another case is taken, and a short password is refused (exit 1, one line)', async () => {
      expectFailure(await idp('users', 'add', '--email', 'TARO.suzuki@example.JP', '--password', password), 1, /^idp: account\.email_taken\n$/);
      expectFailure(await idp('users', 'add', '--email', 'hanako@example.jp', '--password', 'short'), 1, /^idp: password\.too_short\n$/);
    });

    test('list shows the accounts, without hashes', async () => {
      const result = await idp('users', 'list');
      const users = json<Array<Record<string, unknown>>>(result);
      expect(users.map((u) => u.email)).toEqual(['Taro.Suzuki@Example.jp']);
      expect(result.stdout).not.toMatch(/hash|argon2/i);
    });
  });

  describe('keys', () => {
    test('rotate makes new keys current and keeps the old current ones listed as retired', async () => {
      type Key = { kid: string; alg: string; status: string };
      const before = json<Key[]>(await idp('keys', 'list'));
      const oldCurrent = before.filter((k) => k.status === 'current').map((k) => k.kid);
      const oldNext = before.filter((k) => k.status === 'next').map((k) => k.kid);
      expect(oldCurrent).toHaveLength(3);

      const rotated = json<{ current: string[]; next: string[]; retired: string[] }>(await idp('keys', 'rotate'));
      expect(rotated.current.sort()).toEqual(oldNext.sort());
      expect(rotated.retired).toEqual(expect.arrayContaining(oldCurrent));
      expect(rotated.next).toHaveLength(3);
      for (const kid of rotated.next) expect([...oldCurrent, ...oldNext]).not.toContain(kid);

      const after = json<Key[]>(await idp('keys', 'list'));
      for (const kid of oldCurrent) expect(after.find((k) => k.kid === kid)?.status).toBe('retired');
      expect(JSON.stringify(after)).not.toMatch(/"d"|privateJwk|sealed/);
    });
  });

  describe('db migrate', () => {
    test('creates the collections and indexes of a fresh database, then has nothing left to do', async () => {
      const fresh = { ...env, MONGODB_URI: testMongoUri('cli_migrate') };
      const first = json<{ collections: string[]; created: string[] }>(await runIdp(['db', 'migrate'], fresh));
      expect(first.collections).toEqual(expect.arrayContaining(['accounts', 'signing_keys']));
      expect(first.created.sort()).toEqual([...first.collections].sort());

      const second = json<{ collections: string[]; created: string[] }>(await runIdp(['db', 'migrate'], fresh));
      expect(second).toEqual({ collections: first.collections, created: [] });
    });
  });
});

describe('idp CLI on the embedded MongoDB (MONGODB_URI unset)', () => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'idp-cli-embedded-'));
  let port: number;
  let serverMongo: EmbeddedMongo | undefined;

  beforeAll(async () => {
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    port = (probe.address() as AddressInfo).port;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
  });
  afterAll(async () => serverMongo?.stop());

  test('starts its own MongoDB when none runs, stops it afterwards, and uses the running one otherwise', async () => {
    const env = { ...baseEnv(dataDir), IDP_MONGODB_EMBEDDED_PORT: String(port) };
    const created = json(await runIdp(['users', 'add', '--email', 'embedded@example.jp', '--password', 'long enough password'], env));
    expect(await findRunningEmbedded(dataDir)).toBeUndefined();

    // As the server does at start-up: the same data directory, so the CLI must find it and leave it running.
    serverMongo = await startEmbeddedMongo(dataDir, port);
    const users = json<Array<{ id: string }>>(await runIdp(['users', 'list'], env));
    expect(users.map((u) => u.id)).toEqual([created.id]);
    expect(await findRunningEmbedded(dataDir)).toBe(serverMongo.uri);
  }, 120_000);
});
