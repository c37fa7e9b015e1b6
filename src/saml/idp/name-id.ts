import { randomBytes } from 'node:crypto';
import type { PairwiseSubject } from '../../keys/pairwise-subject.ts';
import { NAMEID } from './saml-constants.ts';

// NameIDs (saml-core §8.3). Persistent: a pairwise pseudonym per SP, the same keyed hash as OIDC pairwise subjects
// with the SP's entity ID as sector (src/keys/pairwise-subject.ts; never the email, unlinkable between SPs; §8.3.7).
// Transient: random per assertion (§8.3.8). emailAddress: the verified email. Unspecified: the persistent value.

export function createNameIds(pairwise: PairwiseSubject) {
  const persistent = (accountId: string, spEntityId: string) => pairwise(spEntityId, accountId);
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
