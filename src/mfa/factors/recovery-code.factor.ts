import { createHmac, randomInt } from 'node:crypto';
import type { Factor } from '../factor.ts';
import type { FactorRepository } from '../mfa-factor.repository.ts';

// Recovery codes: shown once, stored as keyed digests (HMAC with a server key, so a database dump alone cannot
// be brute-forced offline), each usable once. 10 characters from 31 without look-alikes (no i, l, o, 0, 1) = 49 bits.
const ALPHABET = 'abcdefghjkmnpqrstuvwxyz23456789';
const PROOF = { amr: ['otp'], phishingResistant: false, multiFactor: false };

export const normalizeRecoveryCode = (code: string): string => code.toLowerCase().replace(/[^a-z0-9]/g, '');

export function createRecoveryCodeFactor(deps: { digestKey: Buffer; records: FactorRepository; count: number }): Factor & {
  generate(accountId: string): Promise<string[]>;
} {
  const digest = (accountId: string, code: string) => createHmac('sha256', deps.digestKey).update(`${accountId}:${normalizeRecoveryCode(code)}`).digest('base64url');
  const oneCode = () => {
    const chars = Array.from({ length: 10 }, () => ALPHABET[randomInt(0, ALPHABET.length)]);
    return `${chars.slice(0, 5).join('')}-${chars.slice(5).join('')}`;
  };

  return {
    type: 'recovery',
    challenge: async () => ({ kind: 'code' }),
    async verify(request, answer) {
      // The digest is compared by the database's equality match: it is an HMAC of the answer, so timing reveals
      // nothing an attacker could steer towards a stored code.
      const recordId = await deps.records.consumeRecoveryDigest(request.account.id, digest(request.account.id, answer));
      return recordId ? { proof: PROOF, recordId } : undefined;
    },
    /** New codes replace every earlier one; returns them for showing once. */
    async generate(accountId) {
      const codes = Array.from({ length: deps.count }, oneCode);
      await deps.records.replaceRecovery(accountId, codes.map((code) => digest(accountId, code)), 'Recovery codes');
      return codes;
    },
  };
}
