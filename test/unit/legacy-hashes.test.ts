import { describe, expect, test } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { createPasswordHasher } from '../../src/accounts/password.hasher.ts';
import { firebaseScrypt, rawHashSchema, toStoredHash, UnsupportedHashError } from '../../src/accounts/legacy-hashes.ts';

// Hashes made by the real tools (test/fixtures/password-hashes/make-hashes.py: Python's bcrypt, passlib,
// argon2-cffi and hashlib from Debian) verify with their password, and only with it; Firebase's modified scrypt
// reproduces the test vector published with github.com/firebase/scrypt.

const fixtures = JSON.parse(readFileSync(new URL('../fixtures/password-hashes/hashes.json', import.meta.url), 'utf8')) as Array<{ kind: string; password: string; hash: unknown }>;
const hasher = createPasswordHasher({ memoryCost: 19456, timeCost: 2, parallelism: 1 });
const stored = (hash: unknown) => toStoredHash(typeof hash === 'string' ? hash : rawHashSchema.parse(hash));

// The published example of the Firebase Auth scrypt utility.
const FIREBASE_VECTOR = JSON.parse(readFileSync(new URL('../fixtures/password-hashes/firebase-vector.json', import.meta.url), 'utf8'));

describe('imported password hashes', () => {
  test.each(fixtures)('$kind verifies with its password only, and is due for re-hashing', async (fixture) => {
    const hash = stored(fixture.hash);
    expect(await hasher.verify(hash, fixture.password)).toBe(true);
    expect(await hasher.verify(hash, `${fixture.password}x`)).toBe(false);
    expect(await hasher.verify(hash, '')).toBe(false);
    expect(hasher.needsRehash(hash)).toBe(true);
  });

  test('every format of the issue is among the fixtures', () => {
    expect(fixtures.map((f) => f.kind).sort()).toEqual(expect.arrayContaining([
      'bcrypt-2a', 'bcrypt-2b', 'bcrypt-2y', 'argon2i', 'argon2d', 'argon2id', 'scrypt-passlib', 'scrypt-raw',
      'pbkdf2-sha1-passlib', 'pbkdf2-sha256-passlib', 'pbkdf2-sha512-passlib', 'pbkdf2-sha256-django', 'pbkdf2-sha1-django',
      'pbkdf2-sha1-raw', 'pbkdf2-sha256-raw', 'pbkdf2-sha512-raw', 'sha256-salt+password', 'sha256-password+salt',
    ]));
  });

  test('Firebase scrypt reproduces the published test vector', async () => {
    const { hash } = FIREBASE_VECTOR;
    const out = await firebaseScrypt(FIREBASE_VECTOR.password, {
      salt: Buffer.from(hash.salt, 'base64'), saltSeparator: Buffer.from(hash.saltSeparator, 'base64'), signerKey: Buffer.from(hash.signerKey, 'base64'),
      rounds: hash.rounds, memCost: hash.memCost,
    });
    expect(out.toString('base64')).toBe(hash.hash);
    const storedHash = stored(hash);
    expect(await hasher.verify(storedHash, 'user1password')).toBe(true);
    expect(await hasher.verify(storedHash, 'user2password')).toBe(false);
  });

  test('our own argon2id is not due for re-hashing; unknown or unbounded formats are refused at import', async () => {
    expect(hasher.needsRehash(await hasher.hash('a password'))).toBe(false);
    expect(() => toStoredHash('{SSHA}abcdef')).toThrow(UnsupportedHashError);
    expect(() => toStoredHash('$2b$31$' + 'a'.repeat(53))).toThrow(UnsupportedHashError);
    expect(() => toStoredHash(rawHashSchema.parse({ algorithm: 'pbkdf2', digest: 'sha256', iterations: 50_000_000, salt: 'AA==', hash: 'AA==' }))).toThrow(UnsupportedHashError);
    expect(() => toStoredHash(rawHashSchema.parse({ algorithm: 'scrypt', n: 1000, r: 8, p: 1, salt: 'AA==', hash: 'AA==' }))).toThrow(UnsupportedHashError);
    expect(await hasher.verify('plain text', 'plain text')).toBe(false);
  });
});
