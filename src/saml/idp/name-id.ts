import { createHmac, hkdfSync, randomBytes } from 'node:crypto';
import { NAMEID } from './saml-constants.ts';

// NameIDs (saml-core §8.3). Persistent: a pairwise pseudonym per SP, HMAC(account, SP) under a key derived from
// the key-encryption secret (stable across restarts, never the email, unlinkable between SPs; §8.3.7).
// Transient: random per assertion (§8.3.8). emailAddress: the verified email. Unspecified: the persistent value.

export function createNameIds(secret: string) {
  const key = Buffer.from(hkdfSync('sha256', secret, Buffer.alloc(0), 'idp:saml-persistent-nameid', 32));
  const persistent = (accountId: string, spEntityId: string) =>
    createHmac('sha256', key).update(`${spEntityId}\u0000${accountId}`).digest('base64url');
  return {
    persistent,
    value(format: string, input: { accountId: string; spEntityId: string; email?: string }): string | undefined {
      if (format === NAMEID.transient) return `_${randomBytes(20).toString('hex')}`;
      if (format === NAMEID.emailAddress) return input.email;
      return persistent(input.accountId, input.spEntityId);
    },
  };
}

export type NameIds = ReturnType<typeof createNameIds>;
