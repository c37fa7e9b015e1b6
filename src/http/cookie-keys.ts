import { createHmac, timingSafeEqual } from 'node:crypto';

// Signed cookies (koa's `cookies`, for our cookies and the engine's): a drop-in for keygrip with the same signatures
// (HMAC-SHA1 of `name=value`, base64url without padding), so cookies set before keep working. keygrip compares each
// signature with tsscmp, which draws 32 random bytes and computes two more HMACs per comparison; a sign-in reads
// and writes a dozen signed cookies per request, mostly the same values again. Here the comparison is
// crypto.timingSafeEqual, and the last signatures computed are remembered (a signature is what the browser holds
// anyway: remembering it discloses nothing; the keys never change while the process runs).

const REMEMBERED = 2048;

export interface CookieKeys {
  sign(data: string): string;
  verify(data: string, digest: string): boolean;
  /** The index of the key that signed `data` as `digest`, or -1 (keygrip's contract; > 0 asks to re-sign). */
  index(data: string, digest: string): number;
}

export function createCookieKeys(keys: readonly string[]): CookieKeys {
  if (!keys.length) throw new Error('Keys must be provided.');
  const remembered = keys.map(() => new Map<string, string>());
  const signWith = (index: number, data: string): string => {
    const memo = remembered[index]!;
    let signature = memo.get(data);
    if (signature === undefined) {
      signature = createHmac('sha1', keys[index]!).update(data).digest('base64url');
      if (memo.size >= REMEMBERED) memo.delete(memo.keys().next().value!);
      memo.set(data, signature);
    }
    return signature;
  };
  const equal = (a: string, b: string): boolean => {
    const left = Buffer.from(a);
    const right = Buffer.from(b);
    return left.length === right.length && timingSafeEqual(left, right);
  };
  const index = (data: string, digest: string): number => {
    for (let i = 0; i < keys.length; i += 1) if (equal(digest, signWith(i, data))) return i;
    return -1;
  };
  return {
    sign: (data) => signWith(0, data),
    verify: (data, digest) => index(data, digest) > -1,
    index,
  };
}
