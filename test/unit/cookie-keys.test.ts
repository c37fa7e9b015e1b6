import { describe, expect, test } from '@jest/globals';
import { createRequire } from 'node:module';
import { createCookieKeys } from '../../src/http/cookie-keys.ts';

// The signer must be interchangeable with keygrip (koa's default): cookies signed before an upgrade stay valid.
const Keygrip = createRequire(import.meta.url)('keygrip') as new (keys: string[]) => {
  sign(data: string): string; index(data: string, digest: string): number;
};

describe('cookie signer', () => {
  const values = ['idp_session=abc', 'idp_interaction=Zx-_9.8', 'x='.padEnd(3000, 'é'), ''];

  test('signs as keygrip does, and verifies what keygrip signed with any of the keys', () => {
    const keys = ['new-key-0123456789', 'old-key-0123456789'];
    const ours = createCookieKeys(keys);
    const theirs = new Keygrip(keys);
    const old = new Keygrip([keys[1]!]);
    for (const value of values) {
      expect(ours.sign(value)).toBe(theirs.sign(value));
      expect(ours.sign(value)).toBe(ours.sign(value)); // remembered, still the same
      expect(ours.index(value, theirs.sign(value))).toBe(0);
      expect(ours.index(value, old.sign(value))).toBe(1);
      expect(ours.verify(value, old.sign(value))).toBe(true);
    }
  });

  test('refuses a wrong, truncated, padded or foreign signature', () => {
    const ours = createCookieKeys(['k1-0123456789']);
    const good = ours.sign('idp_session=abc');
    for (const digest of [good.slice(1), `${good}=`, good.replace(/^./, (c) => (c === 'A' ? 'B' : 'A')), '', new Keygrip(['other']).sign('idp_session=abc')]) {
      expect(ours.index('idp_session=abc', digest)).toBe(-1);
      expect(ours.verify('idp_session=abc', digest)).toBe(false);
    }
    expect(ours.verify('idp_session=abd', good)).toBe(false);
  });
});
