import { createHmac, hkdfSync } from 'node:crypto';
import { describe, expect, test } from '@jest/globals';
import { createPairwiseSubject, pairwiseSecretOf } from '../../src/keys/pairwise-subject.ts';
import { createNameIds } from '../../src/saml/idp/name-id.ts';
import { NAMEID } from '../../src/saml/idp/saml-constants.ts';

const SECRET = 'test-key-encryption-key-0123456789abcdef';

describe('one keyed hash for OIDC pairwise subjects and SAML persistent NameIDs', () => {
  test('a persistent NameID is the pairwise subject of the SP entity id as sector', () => {
    const pairwise = createPairwiseSubject(SECRET);
    const nameIds = createNameIds(pairwise);
    const entityId = 'https://partner.example.jp/saml/metadata';
    expect(nameIds.persistent('account-1', entityId)).toBe(pairwise(entityId, 'account-1'));
    expect(nameIds.value(NAMEID.persistent, { accountId: 'account-1', spEntityId: entityId })).toBe(pairwise(entityId, 'account-1'));
  });

  test('persistent NameIDs already given to SPs stay what they were (HKDF label and message layout unchanged)', () => {
    const key = Buffer.from(hkdfSync('sha256', SECRET, Buffer.alloc(0), 'idp:saml-persistent-nameid', 32));
    const before = createHmac('sha256', key).update('https://sp.example.jp\u0000account-1').digest('base64url');
    expect(createPairwiseSubject(SECRET)('https://sp.example.jp', 'account-1')).toBe(before);
  });

  test('different sectors, accounts or secrets give unrelated values; the same input always the same', () => {
    const pairwise = createPairwiseSubject(SECRET);
    const values = new Set([
      pairwise('shop.example.jp', 'a'), pairwise('news.example.jp', 'a'), pairwise('shop.example.jp', 'b'),
      createPairwiseSubject(`${SECRET}x`)('shop.example.jp', 'a'),
    ]);
    expect(values.size).toBe(4);
    expect(pairwise('shop.example.jp', 'a')).toBe(createPairwiseSubject(SECRET)('shop.example.jp', 'a'));
    // No separator confusion: ("ab", "c") and ("a", "bc") differ.
    expect(pairwise('ab', 'c')).not.toBe(pairwise('a', 'bc'));
  });

  test('secrets.pairwiseSecret, when set, keys the hash instead of the key-encryption key', () => {
    expect(pairwiseSecretOf({ keyEncryptionKey: SECRET })).toBe(SECRET);
    expect(pairwiseSecretOf({ keyEncryptionKey: SECRET, pairwiseSecret: 'p'.repeat(32) })).toBe('p'.repeat(32));
  });
});
