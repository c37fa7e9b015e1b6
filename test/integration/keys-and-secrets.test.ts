import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import * as jose from 'jose';
import { createPasswordHasher } from '../../src/accounts/password.hasher.ts';
import { Browser } from '../helpers/browser.ts';
import { registerRp, signIn, type Rp } from '../helpers/rp.ts';
import { startWithUserAndRp } from '../helpers/scenario.ts';
import { startTestApp, type TestApp } from '../helpers/test-app.ts';

const user = { email: 'keys@example.jp', password: 'a long enough password' };
const kids = async (app: TestApp) => ((await (await fetch(`${app.issuer}/jwks`)).json()) as { keys: Array<{ kid: string; alg: string; d?: string }> }).keys;

describe('signing keys', () => {
  let app: TestApp;
  let rp: Rp;
  beforeAll(async () => {
    ({ app, rp } = await startWithUserAndRp({ label: 'keys', user }));
  });
  afterAll(async () => app?.stop());

  test('first start makes a current and a next key per algorithm; the JWKS is public only; private parts are encrypted at rest', async () => {
    const published = await kids(app);
    expect(published.map((k) => k.alg).sort()).toEqual(['ECDH-ES', 'ECDH-ES', 'ES256', 'ES256', 'RS256', 'RS256']);
    expect(published.every((k) => k.d === undefined)).toBe(true);
    const stored = await app.container.models.SigningKey.find().lean();
    expect(stored).toHaveLength(6);
    for (const key of stored) {
      expect(key.sealedPrivateJwk).toMatch(/^v1\./);
      expect(key.sealedPrivateJwk).not.toContain('"d"');
      expect(JSON.stringify(key.publicJwk)).not.toContain('"d"');
    }
  });

  test('rotation: the published next key signs, the old key stays in the JWKS, a running server picks it up', async () => {
    const before = await signIn(new Browser(), rp, user);
    const oldKid = jose.decodeProtectedHeader(before.tokens.id_token!).kid;
    const providerBefore = app.container.provider();
    const { current, next, retired } = await app.container.keyStore.rotate();
    expect(retired).toEqual(expect.arrayContaining([oldKid]));
    // The running server picks the rotation up by itself (change stream; the poll is the fallback): within a
    // bounded wait, it has built an engine with the new key set.
    for (let i = 0; i < 50 && app.container.provider() === providerBefore; i++) await new Promise((r) => setTimeout(r, 100));
    expect(app.container.provider()).not.toBe(providerBefore);
    // A rotation writes several documents; a reload may still be catching up with the last one.
    await app.container.reloadKeysIfRotated();

    const after = await signIn(new Browser(), rp, user);
    const newKid = jose.decodeProtectedHeader(after.tokens.id_token!).kid!;
    expect(newKid).not.toBe(oldKid);
    expect(current).toContain(newKid);
    const published = (await kids(app)).map((k) => k.kid);
    expect(published).toEqual(expect.arrayContaining([oldKid, newKid, ...next]));

    // A token signed before the rotation still verifies against the published set.
    const jwks = jose.createRemoteJWKSet(new URL(`${app.issuer}/jwks`));
    await expect(jose.jwtVerify(before.tokens.id_token!, jwks, { issuer: app.issuer })).resolves.toBeDefined();
  });
});

describe('passwords and logs', () => {
  let app: TestApp;
  const lines: string[] = [];
  beforeAll(async () => {
    const sink = new Writable({ write(chunk, _enc, done) { lines.push(String(chunk)); done(); } });
    app = await startTestApp({ label: 'secrets', logLevel: 'debug', logStream: sink });
  });
  afterAll(async () => app?.stop());

  test('a hash made with other parameters is replaced on the next good login', async () => {
    const weak = createPasswordHasher({ memoryCost: 8192, timeCost: 1, parallelism: 1 });
    const account = await app.container.accountRepository.create({
      email: 'legacy@example.jp', emailVerified: true, passwordHash: await weak.hash(user.password),
    });
    const rp = await registerRp(app);
    await signIn(new Browser(), rp, { email: 'legacy@example.jp', password: user.password });
    const stored = await app.container.accountRepository.findById(account._id);
    expect(stored!.passwordHash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    expect(lines.join('')).toContain('password.rehashed');
  });

  test('neither passwords, codes nor tokens reach the log', async () => {
    await app.container.accounts.createByAdmin({ email: 'quiet@example.jp', password: 'unique-password-4711', verified: true });
    const rp = await registerRp(app);
    const { tokens } = await signIn(new Browser(), rp, { email: 'quiet@example.jp', password: 'unique-password-4711' });
    await signIn(new Browser(), rp, { email: 'quiet@example.jp', password: 'wrong-password-0815' }).catch(() => undefined);
    const log = lines.join('');
    expect(log).toContain('login.succeeded');
    expect(log).toContain('login.failed');
    expect(log).not.toContain('unique-password-4711');
    expect(log).not.toContain('wrong-password-0815');
    expect(log).not.toContain(tokens.access_token);
    expect(log).not.toContain(rp.metadata.client_secret as string);
  });
});
