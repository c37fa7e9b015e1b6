import path from 'node:path';
import { describe, expect, test } from '@jest/globals';
import { createSecretBox } from '../../src/keys/secret-box.ts';
import { createI18n, loadLocale } from '../../src/i18n/i18n.ts';

describe('secret box (AES-256-GCM at rest)', () => {
  const box = createSecretBox('a configured secret of enough length!!', 'signing-keys');

  test('round-trips, with a fresh IV each time', () => {
    const a = box.seal('private key material');
    expect(a).not.toContain('private key material');
    expect(box.seal('private key material')).not.toBe(a);
    expect(box.open(a)).toBe('private key material');
  });

  test('tampering, another secret or another purpose cannot open it', () => {
    const sealed = box.seal('x');
    const parts = sealed.split('.');
    parts[2] = Buffer.from('y').toString('base64url');
    expect(() => box.open(parts.join('.'))).toThrow();
    expect(() => createSecretBox('another secret of enough length!!!!!', 'signing-keys').open(sealed)).toThrow();
    expect(() => createSecretBox('a configured secret of enough length!!', 'connectors').open(sealed)).toThrow();
  });
});

describe('locale negotiation', () => {
  const i18n = createI18n(path.resolve('views'));
  const accepts = (chosen: string | false) => () => chosen;

  test('ui_locales first (in order, region ignored), then Accept-Language, then the default', () => {
    expect(i18n.negotiate('fr-CA ja-JP en', accepts('en'), 'en')).toBe('ja');
    expect(i18n.negotiate(undefined, accepts('en'), 'ja')).toBe('en');
    expect(i18n.negotiate('de', accepts(false), 'ja')).toBe('ja');
  });

  test('both locale files have the same keys', () => {
    const keys = (locale: 'ja' | 'en') => {
      const out: string[] = [];
      const walk = (node: Record<string, unknown>, prefix: string) => {
        for (const [key, value] of Object.entries(node)) {
          if (typeof value === 'object' && value) walk(value as Record<string, unknown>, `${prefix}${key}.`);
          else out.push(`${prefix}${key}`);
        }
      };
      walk(loadLocale(path.resolve('views'), locale), '');
      return out.sort();
    };
    expect(i18n.t('ja')('login.title')).toBe('ログイン');
    expect(i18n.t('en')('login.title')).toBe('Sign in');
    expect(keys('en').length).toBeGreaterThan(50);
    expect(keys('ja')).toEqual(keys('en'));
  });
});
