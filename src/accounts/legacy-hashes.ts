import { createCipheriv, createHash, pbkdf2, scrypt, timingSafeEqual } from 'node:crypto';
import { promisify } from 'node:util';
import bcrypt from 'bcryptjs';
import { z } from 'zod';

// Password hashes of other systems, brought in by `idp users import` and verified at sign-in until the first
// successful one re-hashes the password to our argon2id (password.hasher.ts; argon2 i/d/id stay there, the one
// importer of argon2). Each is stored as one string:
//   bcrypt            $2a$ / $2b$ / $2y$ (OpenBSD, PHP's password_hash), verified by bcryptjs
//   scrypt            passlib's $scrypt$ln=<log2 N>,r=<r>,p=<p>$<salt b64>$<key b64>
//   PBKDF2            passlib's $pbkdf2$ (SHA-1), $pbkdf2-sha256$, $pbkdf2-sha512$ <rounds>$<salt ab64>$<key ab64>,
//                     and Django's pbkdf2_sha256$ / pbkdf2_sha1$ <rounds>$<salt text>$<key b64>
//   Firebase scrypt   $firebase-scrypt$r=<rounds>,m=<mem cost>$<salt separator>$<signer key>$<salt>$<hash> (b64),
//                     the algorithm of github.com/firebase/scrypt: AES-256-CTR(signer key) under scrypt's key
//   salted SHA-256    $sha256-salted$<sp|ps>$<salt b64>$<digest b64> (salt before or after the password)
// Raw forms (salt, hash, parameters as JSON) are turned into these at import. Parameters are bounded so that an
// imported hash cannot make one sign-in cost more than a few hundred milliseconds.

const scryptAsync = promisify(scrypt) as (password: string | Buffer, salt: Buffer, keylen: number, options: object) => Promise<Buffer>;
const pbkdf2Async = promisify(pbkdf2);

export class UnsupportedHashError extends Error {
  override name = 'UnsupportedHashError';
}

const MAX = { bcryptCost: 16, pbkdf2Iterations: 5_000_000, scryptLogN: 20, scryptR: 32, scryptP: 16 };

/** passlib's "adapted base64" uses '.' for '+'; both drop the padding. */
const fromB64 = (text: string) => Buffer.from(text.replace(/\./g, '+'), 'base64');
const toAb64 = (bytes: Buffer) => bytes.toString('base64').replace(/=+$/, '').replace(/\+/g, '.');
const b64 = (bytes: Buffer) => bytes.toString('base64');
const same = (a: Buffer, b: Buffer) => a.length === b.length && a.length > 0 && timingSafeEqual(a, b);

function bounded(value: number, max: number, name: string): number {
  if (!Number.isInteger(value) || value < 1 || value > max) throw new UnsupportedHashError(`${name} out of range (1..${max})`);
  return value;
}

const DIGESTS = { '': 'sha1', '-sha1': 'sha1', '-sha256': 'sha256', '-sha512': 'sha512' } as const;
const PASSLIB_PBKDF2 = /^\$pbkdf2(|-sha1|-sha256|-sha512)\$(\d+)\$([A-Za-z0-9./+]+)\$([A-Za-z0-9./+]+)$/;
const DJANGO_PBKDF2 = /^pbkdf2_(sha1|sha256)\$(\d+)\$([^$]+)\$([A-Za-z0-9+/=]+)$/;
const PASSLIB_SCRYPT = /^\$scrypt\$ln=(\d+),r=(\d+),p=(\d+)\$([A-Za-z0-9./+]*)\$([A-Za-z0-9./+]+)$/;
const FIREBASE = /^\$firebase-scrypt\$r=(\d+),m=(\d+)\$([A-Za-z0-9+/=]*)\$([A-Za-z0-9+/=]+)\$([A-Za-z0-9+/=]*)\$([A-Za-z0-9+/=]+)$/;
const SALTED_SHA256 = /^\$sha256-salted\$(sp|ps)\$([A-Za-z0-9+/=]*)\$([A-Za-z0-9+/=]+)$/;
const BCRYPT = /^\$2[aby]\$(\d{2})\$[./A-Za-z0-9]{53}$/;
const ARGON2 = /^\$argon2(i|d|id)\$v=\d+\$m=\d+,t=\d+,p=\d+\$[A-Za-z0-9+/]+\$[A-Za-z0-9+/]+$/;

/** The Firebase scrypt variant (firebase/scrypt README): scrypt(password, salt || separator), then AES-256-CTR. */
export async function firebaseScrypt(password: string, p: { salt: Buffer; saltSeparator: Buffer; signerKey: Buffer; rounds: number; memCost: number }): Promise<Buffer> {
  const N = 2 ** p.memCost;
  const key = await scryptAsync(password, Buffer.concat([p.salt, p.saltSeparator]), 32, { N, r: p.rounds, p: 1, maxmem: 256 * N * p.rounds });
  const cipher = createCipheriv('aes-256-ctr', key, Buffer.alloc(16, 0));
  return Buffer.concat([cipher.update(p.signerKey), cipher.final()]);
}

/** True when `stored` is one of the legacy forms above (argon2 is the hasher's own). */
export function isLegacyHash(stored: string): boolean {
  return [BCRYPT, PASSLIB_PBKDF2, DJANGO_PBKDF2, PASSLIB_SCRYPT, FIREBASE, SALTED_SHA256].some((form) => form.test(stored));
}

export async function verifyLegacy(stored: string, password: string): Promise<boolean> {
  if (BCRYPT.test(stored)) return bcrypt.compare(password, stored.replace(/^\$2y\$/, '$2b$'));
  let m = PASSLIB_PBKDF2.exec(stored);
  if (m) {
    const expected = fromB64(m[4]!);
    return same(await pbkdf2Async(password, fromB64(m[3]!), Number(m[2]), expected.length, DIGESTS[m[1] as keyof typeof DIGESTS]), expected);
  }
  if ((m = DJANGO_PBKDF2.exec(stored))) {
    const expected = Buffer.from(m[4]!, 'base64');
    return same(await pbkdf2Async(password, Buffer.from(m[3]!, 'utf8'), Number(m[2]), expected.length, m[1]!), expected);
  }
  if ((m = PASSLIB_SCRYPT.exec(stored))) {
    const [N, r, p] = [2 ** Number(m[1]), Number(m[2]), Number(m[3])];
    const expected = fromB64(m[5]!);
    return same(await scryptAsync(password, fromB64(m[4]!), expected.length, { N, r, p, maxmem: 256 * N * r * p }), expected);
  }
  if ((m = FIREBASE.exec(stored))) {
    const hash = await firebaseScrypt(password, {
      rounds: Number(m[1]), memCost: Number(m[2]), saltSeparator: Buffer.from(m[3]!, 'base64'), signerKey: Buffer.from(m[4]!, 'base64'), salt: Buffer.from(m[5]!, 'base64'),
    });
    return same(hash, Buffer.from(m[6]!, 'base64'));
  }
  if ((m = SALTED_SHA256.exec(stored))) {
    const salt = Buffer.from(m[2]!, 'base64');
    const data = m[1] === 'sp' ? [salt, Buffer.from(password)] : [Buffer.from(password), salt];
    return same(createHash('sha256').update(Buffer.concat(data)).digest(), Buffer.from(m[3]!, 'base64'));
  }
  return false;
}

// What an import line may give as `password_hash`: a string in one of the forms above (or argon2's PHC string), or
// the raw parts of a hash as the exporting system keeps them.
const bytes = z.string().max(2048);
const encoding = z.enum(['base64', 'hex']).default('base64');
export const rawHashSchema = z.discriminatedUnion('algorithm', [
  z.object({ algorithm: z.literal('pbkdf2'), digest: z.enum(['sha1', 'sha256', 'sha512']), iterations: z.number().int(), salt: bytes, hash: bytes, encoding }),
  z.object({ algorithm: z.literal('scrypt'), n: z.number().int(), r: z.number().int(), p: z.number().int(), salt: bytes, hash: bytes, encoding }),
  z.object({ algorithm: z.literal('sha256'), order: z.enum(['salt+password', 'password+salt']), salt: bytes, hash: bytes, encoding }),
  z.object({
    algorithm: z.literal('firebase-scrypt'), hash: bytes, salt: bytes, signerKey: bytes, saltSeparator: bytes,
    rounds: z.number().int(), memCost: z.number().int(),
  }),
]);
export type RawHash = z.infer<typeof rawHashSchema>;

function checkString(stored: string): string {
  let m = BCRYPT.exec(stored);
  if (m) return (bounded(Number(m[1]), MAX.bcryptCost, 'bcrypt cost'), stored);
  if (ARGON2.test(stored)) return stored;
  if ((m = PASSLIB_PBKDF2.exec(stored)) || (m = DJANGO_PBKDF2.exec(stored))) return (bounded(Number(m[2]), MAX.pbkdf2Iterations, 'PBKDF2 iterations'), stored);
  if ((m = PASSLIB_SCRYPT.exec(stored))) {
    bounded(Number(m[1]), MAX.scryptLogN, 'scrypt ln');
    bounded(Number(m[2]), MAX.scryptR, 'scrypt r');
    bounded(Number(m[3]), MAX.scryptP, 'scrypt p');
    return stored;
  }
  if ((m = FIREBASE.exec(stored))) return (bounded(Number(m[1]), MAX.scryptR, 'rounds'), bounded(Number(m[2]), MAX.scryptLogN, 'mem cost'), stored);
  if (SALTED_SHA256.test(stored)) return stored;
  throw new UnsupportedHashError('unsupported password hash format');
}

/** The stored form of an imported hash; throws UnsupportedHashError for anything unknown or out of bounds. */
export function toStoredHash(input: string | RawHash): string {
  if (typeof input === 'string') return checkString(input);
  if (input.algorithm === 'firebase-scrypt') {
    const { rounds, memCost, saltSeparator, signerKey, salt, hash } = input;
    return checkString(`$firebase-scrypt$r=${rounds},m=${memCost}$${saltSeparator}$${signerKey}$${salt}$${hash}`);
  }
  const decode = (text: string) => Buffer.from(text, input.encoding);
  if (input.algorithm === 'pbkdf2') {
    const name = input.digest === 'sha1' ? '' : `-${input.digest}`;
    return checkString(`$pbkdf2${name}$${input.iterations}$${toAb64(decode(input.salt))}$${toAb64(decode(input.hash))}`);
  }
  if (input.algorithm === 'scrypt') {
    const ln = Math.log2(input.n);
    if (!Number.isInteger(ln)) throw new UnsupportedHashError('scrypt N must be a power of 2');
    return checkString(`$scrypt$ln=${ln},r=${input.r},p=${input.p}$${b64(decode(input.salt)).replace(/=+$/, '')}$${b64(decode(input.hash)).replace(/=+$/, '')}`);
  }
  return checkString(`$sha256-salted$${input.order === 'salt+password' ? 'sp' : 'ps'}$${b64(decode(input.salt))}$${b64(decode(input.hash))}`);
}
