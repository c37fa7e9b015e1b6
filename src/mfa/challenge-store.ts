import type { ChallengeDocument, ChallengeModel } from './mfa-challenge.model.ts';

// Pending challenges and enrolments, one per (kind, scope): a new one replaces the previous.
export type ChallengeKind = 'email' | 'email-enrol' | 'totp-enrol' | 'webauthn' | 'webauthn-enrol' | 'passkey';

export function createChallengeStore(model: ChallengeModel) {
  const id = (kind: ChallengeKind, scope: string) => `${kind}:${scope}`;
  const live = () => ({ $gt: new Date() });
  return {
    async put(kind: ChallengeKind, scope: string, accountId: string, value: string, ttlSeconds: number): Promise<void> {
      await model.replaceOne(
        { _id: id(kind, scope) },
        { accountId, value, attempts: 0, expiresAt: new Date(Date.now() + ttlSeconds * 1000) },
        { upsert: true },
      ).exec();
    },
    async get(kind: ChallengeKind, scope: string, accountId: string): Promise<ChallengeDocument | null> {
      return model.findOne({ _id: id(kind, scope), accountId, expiresAt: live() }).lean<ChallengeDocument>().exec();
    },
    /** Counts one try; null once the challenge is gone, expired, or out of tries. */
    async attempt(kind: ChallengeKind, scope: string, accountId: string, maxAttempts: number): Promise<ChallengeDocument | null> {
      return model.findOneAndUpdate(
        { _id: id(kind, scope), accountId, expiresAt: live(), attempts: { $lt: maxAttempts } },
        { $inc: { attempts: 1 } },
        { new: true },
      ).lean<ChallengeDocument>().exec();
    },
    /** Removes it; true only for the one caller that removed it (single use). */
    async take(kind: ChallengeKind, scope: string, accountId: string): Promise<boolean> {
      return (await model.deleteOne({ _id: id(kind, scope), accountId }).exec()).deletedCount === 1;
    },
  };
}

export type ChallengeStore = ReturnType<typeof createChallengeStore>;
