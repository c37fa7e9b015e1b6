import { hash, verify } from '@node-rs/argon2';
import { isLegacyHash, verifyLegacy } from './legacy-hashes.ts';

/** Algorithm.Argon2id of @node-rs/argon2 (an ambient const enum, so spelled out). */
const ARGON2ID = 2;

// The only importer of the argon2 implementation. argon2id with OWASP's parameters (m=19 MiB, t=2, p=1),
// standard PHC strings (`$argon2id$v=19$m=19456,t=2,p=1$...`), so hashes stay portable between implementations.
// @node-rs/argon2 was chosen by measurement: about 16 ms CPU per verify here against about 29 ms for `argon2`.

export interface HashParameters {
  memoryCost: number;
  timeCost: number;
  parallelism: number;
}

export interface PasswordHasher {
  hash(password: string): Promise<string>;
  verify(storedHash: string, password: string): Promise<boolean>;
  /** True when a stored hash was made with other parameters and should be re-hashed after a good login. */
  needsRehash(storedHash: string): boolean;
  /** Spends the same time as a real verify, for unknown accounts (no user enumeration by timing). */
  verifyDummy(password: string): Promise<void>;
}

export function createPasswordHasher(parameters: HashParameters): PasswordHasher {
  const options = { algorithm: ARGON2ID, ...parameters };
  const expected = `$argon2id$v=19$m=${parameters.memoryCost},t=${parameters.timeCost},p=${parameters.parallelism}$`;
  let dummyHash: Promise<string> | undefined;

  return {
    hash: (password) => hash(password, options),
    async verify(storedHash, password) {
      try {
        // argon2 i/d/id (ours and imported ones) here; bcrypt, scrypt, PBKDF2 ... of imported accounts in legacy-hashes.ts.
        if (storedHash.startsWith('$argon2')) return await verify(storedHash, password);
        return isLegacyHash(storedHash) ? await verifyLegacy(storedHash, password) : false;
      } catch {
        return false;
      }
    },
    needsRehash: (storedHash) => !storedHash.startsWith(expected),
    async verifyDummy(password) {
      dummyHash ??= hash('dummy password for timing equalisation', options);
      await verify(await dummyHash, password).catch(() => false);
    },
  };
}
