import { createHmac, randomInt, timingSafeEqual } from 'node:crypto';
import type { Mailer } from '../../mail/mailer.ts';
import type { ChallengeKind, ChallengeStore } from '../challenge-store.ts';
import type { Factor, FactorRequest } from '../factor.ts';

// A 6-digit code mailed to the account's verified address: short-lived, single use, a few tries per code (the
// MFA service adds the per-account lockout). Only a keyed digest of the code is stored.
const PROOF = { amr: ['otp'], phishingResistant: false, multiFactor: false };

export interface EmailOtpDeps {
  ttlSeconds: number;
  maxAttempts: number;
  digestKey: Buffer;
  mailer: Mailer;
  challenges: ChallengeStore;
}

/** h***@example.jp: enough to recognise one's own address, not enough to learn someone else's. */
export const maskEmail = (email: string): string => {
  const [local = '', domain = ''] = email.split('@');
  return `${local.slice(0, 1)}***@${domain}`;
};

export function createEmailOtpFactor(deps: EmailOtpDeps): Factor {
  const digest = (accountId: string, code: string) => createHmac('sha256', deps.digestKey).update(`${accountId}:${code}`).digest('base64url');

  async function send(kind: ChallengeKind, request: FactorRequest) {
    const code = String(randomInt(0, 1_000_000)).padStart(6, '0');
    await deps.challenges.put(kind, request.scope, request.account.id, digest(request.account.id, code), deps.ttlSeconds);
    await deps.mailer.send('mfa-code', request.account.email, request.locale, { code, minutes: Math.max(1, Math.round(deps.ttlSeconds / 60)), brand: request.brand });
    return { kind: 'code' as const, sentTo: maskEmail(request.account.email) };
  }

  async function check(kind: ChallengeKind, request: FactorRequest, answer: string): Promise<boolean> {
    const pending = await deps.challenges.attempt(kind, request.scope, request.account.id, deps.maxAttempts);
    if (!pending) return false;
    const given = Buffer.from(digest(request.account.id, answer));
    const stored = Buffer.from(pending.value);
    if (given.length !== stored.length || !timingSafeEqual(given, stored)) return false;
    return deps.challenges.take(kind, request.scope, request.account.id);
  }

  return {
    type: 'email',
    challenge: (request) => send('email', request),
    async verify(request, answer) {
      return (await check('email', request, answer)) ? { proof: PROOF, recordId: request.records[0]?._id } : undefined;
    },
    beginEnrolment: (request) => send('email-enrol', request),
    async completeEnrolment(request, answer) {
      if (!(await check('email-enrol', request, answer))) return undefined;
      return { record: { accountId: request.account.id, type: 'email', name: maskEmail(request.account.email) }, proof: PROOF };
    },
  };
}
