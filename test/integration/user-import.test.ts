import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Browser } from '../helpers/browser.ts';
import { cliEnvFor, runIdp } from '../helpers/cli.ts';
import { registerRp, signIn, type Rp } from '../helpers/rp.ts';
import { startTestApp, TEST_SECRETS, type TestApp } from '../helpers/test-app.ts';

// `idp users import`: 10k accounts with password hashes made by the real tools of other systems
// (test/fixtures/password-hashes/make-hashes.py), each signing in with its original password and re-hashed to our
// argon2id afterwards; bad lines reported by number and skipped; a re-run changes nothing; a checkpoint resumes.

const fixtures = JSON.parse(readFileSync(new URL('../fixtures/password-hashes/hashes.json', import.meta.url), 'utf8')) as Array<{ kind: string; password: string; hash: unknown }>;
const FIREBASE_VECTOR = JSON.parse(readFileSync(new URL('../fixtures/password-hashes/firebase-vector.json', import.meta.url), 'utf8'));
const kinds = [...fixtures, { kind: 'firebase-scrypt', password: FIREBASE_VECTOR.password, hash: FIREBASE_VECTOR.hash }];
const TOTAL = 10_000;
const emailOf = (i: number) => `import-${String(i).padStart(5, '0')}@example.jp`;
const OURS = '$argon2id$v=19$m=19456,t=2,p=1$';

describe('bulk import of users', () => {
  let app: TestApp;
  let rp: Rp;
  let env: Record<string, string>;
  const dir = mkdtempSync(path.join(tmpdir(), 'idp-import-'));
  const file = path.join(dir, 'users.ndjson');
  // Bad lines at known places: not JSON, an invalid address, an unknown hash format, an upstream identity that is
  // already another account's.
  const bad = new Map<number, RegExp>([
    [17, /not JSON/], [4242, /^email: /], [7001, /password_hash: unsupported password hash format/], [9999, /identities: federation\.already_linked/],
  ]);

  beforeAll(async () => {
    app = await startTestApp({ label: 'import', overrides: { events: { enabled: false } } });
    rp = await registerRp(app);
    env = cliEnvFor(app, TEST_SECRETS);
    const lines: string[] = [];
    for (let line = 1; line <= TOTAL; line++) {
      const i = line - 1;
      const kind = kinds[i % kinds.length]!;
      const user = {
        email: emailOf(i), email_verified: true, external_id: `legacy-${i}`, name: `Imported ${i}`,
        attributes: { given_name: 'Imported', family_name: `No${i}` }, password_hash: kind.hash,
        ...(i % 100 === 0 ? { identities: [{ connector: 'legacy-google', subject: `google-${i}`, email: emailOf(i) }] } : {}),
      };
      if (line === 17) lines.push('{"email": "broken@example.jp", ');
      else if (line === 4242) lines.push(JSON.stringify({ ...user, email: 'not an address' }));
      else if (line === 7001) lines.push(JSON.stringify({ ...user, password_hash: '{SSHA}W6ph5Mm5Pz8GgiULbPgzG37mj9g=' }));
      else if (line === 9999) lines.push(JSON.stringify({ ...user, identities: [{ connector: 'legacy-google', subject: 'google-0' }] }));
      else lines.push(JSON.stringify(user));
    }
    writeFileSync(file, `${lines.join('\n')}\n`);
  }, 60_000);
  afterAll(async () => app?.stop());

  test('10k lines: every good line becomes an account, each bad one is reported by line number and skipped', async () => {
    const started = Date.now();
    const result = await runIdp(['users', 'import', '--file', file, '--errors', path.join(dir, 'errors.ndjson')], env);
    expect({ status: result.status, stderr: result.stderr }).toEqual({ status: 0, stderr: '' });
    const summary = JSON.parse(result.stdout);
    expect(summary).toMatchObject({ lines: TOTAL, created: TOTAL - bad.size, skipped: 0, failed: bad.size, resumedFrom: 0 });
    expect(summary.errors.map((e: { line: number }) => e.line).sort((a: number, b: number) => a - b)).toEqual([...bad.keys()]);
    for (const error of summary.errors) expect(error.error).toMatch(bad.get(error.line)!);
    const reported = readFileSync(path.join(dir, 'errors.ndjson'), 'utf8').trim().split('\n').map((l) => JSON.parse(l).line);
    expect(reported.sort((a, b) => a - b)).toEqual([...bad.keys()]);
    expect(await app.container.models.Account.countDocuments({ email: /^import-/ })).toBe(TOTAL - bad.size);
    // The line whose identity could not be linked left no account behind (all of a line or none of it).
    expect(await app.container.models.Account.exists({ email: emailOf(9998) })).toBeNull();
    const sample = await app.container.models.Account.findOne({ externalId: 'legacy-100' }).lean().exec();
    expect(sample).toMatchObject({ email: emailOf(100), emailVerified: true, profile: { name: 'Imported 100', given_name: 'Imported', family_name: 'No100' } });
    expect(await app.container.models.Identity.exists({ connectorId: 'legacy-google', subject: 'google-100', accountId: sample!._id })).toBeTruthy();
    process.stdout.write(`imported ${TOTAL} lines in ${Date.now() - started} ms\n`);
  }, 180_000);

  test.each(kinds.map((kind, index) => [kind.kind, index]))('a %s account signs in with its original password and is re-hashed to argon2id', async (_kind, index) => {
    const i = (index as number) + kinds.length * 3; // past the bad lines' neighbours
    const email = emailOf(i);
    const kind = kinds[index as number]!;
    const before = await app.container.models.Account.findOne({ email }).lean().exec();
    expect(before!.passwordHash!.startsWith(OURS)).toBe(false);

    await expect(app.container.accounts.authenticate(email, `${kind.password}!`, '127.0.0.1')).rejects.toMatchObject({ code: 'login.invalid_credentials' });
    expect((await app.container.models.Account.findOne({ email }).lean().exec())!.passwordHash).toBe(before!.passwordHash);

    const { tokens } = await signIn(new Browser(), rp, { email, password: kind.password });
    expect(tokens.claims()?.sub).toBe(before!._id);
    const after = await app.container.models.Account.findOne({ email }).lean().exec();
    expect(after!.passwordHash!.startsWith(OURS)).toBe(true);
    // And the new hash works too.
    expect((await signIn(new Browser(), rp, { email, password: kind.password })).tokens.claims()?.sub).toBe(before!._id);
  }, 60_000);

  test('a re-run creates nothing (existing accounts found by external id or email); a checkpoint resumes where it stopped', async () => {
    const again = JSON.parse((await runIdp(['users', 'import', '--file', file, '--restart'], env)).stdout);
    expect(again).toMatchObject({ lines: TOTAL, created: 0, failed: bad.size, skipped: TOTAL - bad.size });

    const small = path.join(dir, 'small.ndjson');
    writeFileSync(small, Array.from({ length: 10 }, (_, i) => JSON.stringify({ email: `resume-${i}@example.jp`, email_verified: true })).join('\n'));
    // As left by a run stopped after line 6.
    writeFileSync(`${small}.checkpoint`, JSON.stringify({ file: small, line: 6 }));
    const resumed = JSON.parse((await runIdp(['users', 'import', '--file', small], env)).stdout);
    expect(resumed).toMatchObject({ resumedFrom: 6, lines: 4, created: 4 });
    expect(await app.container.models.Account.exists({ email: 'resume-3@example.jp' })).toBeNull();
    expect(await app.container.models.Account.exists({ email: 'resume-9@example.jp' })).toBeTruthy();
    expect(JSON.parse(readFileSync(`${small}.checkpoint`, 'utf8'))).toEqual({ file: small, line: 10 });
  }, 180_000);
});
