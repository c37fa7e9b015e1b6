import { describe, expect, test } from '@jest/globals';
import { createRequire } from 'node:module';
import { verifyCsrfToken } from '../../src/http/csrf.ts';

// Our CSRF check must agree with the csrf library it replaces on every token, well-formed or not.
describe('CSRF token check', () => {
  test('accepts exactly what the csrf library accepts', () => {
    const Tokens = createRequire(import.meta.url)('csrf') as new () => {
      secretSync(): string; create(secret: string): string; verify(secret: string, token: string): boolean;
    };
    const library = new Tokens();
    const secret = library.secretSync();
    const other = library.secretSync();
    for (let i = 0; i < 20; i += 1) {
      const token = library.create(secret);
      for (const [s, t] of [[secret, token], [other, token], [secret, `${token}x`], [secret, token.slice(1)], [secret, token.replace('-', '')],
        [secret, `é${token}`], ['', token], [secret, '-'], [secret, '']] as const) {
        expect(verifyCsrfToken(s, t)).toBe(library.verify(s, t));
      }
    }
  });
});
