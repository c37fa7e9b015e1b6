import { createHash, randomBytes, randomInt, timingSafeEqual } from 'node:crypto';
import type { ActionPurpose, ActionTokenModel } from './action-token.model.ts';

const digest = (value: string) => createHash('sha256').update(value).digest('base64url');

export interface IssuedToken {
  token: string;
  code?: string;
}

export const MAX_CODE_ATTEMPTS = 5;

export function createActionTokenService(model: ActionTokenModel) {
  /** consumeCode, answering with what the token was issued for (the new address of an email change). */
  async function redeemCode(purpose: ActionPurpose, accountId: string, code: string): Promise<{ email?: string } | undefined> {
    const document = await model.findOneAndUpdate(
      { accountId, purpose, consumedAt: { $exists: false }, expiresAt: { $gt: new Date() }, attempts: { $lt: MAX_CODE_ATTEMPTS } },
      { $inc: { attempts: 1 } },
      { new: true },
    ).lean().exec();
    if (!document?.codeDigest) return undefined;
    const given = Buffer.from(digest(`${accountId}:${code}`));
    const stored = Buffer.from(document.codeDigest);
    if (given.length !== stored.length || !timingSafeEqual(given, stored)) return undefined;
    const result = await model.updateOne({ _id: document._id, consumedAt: { $exists: false } }, { $set: { consumedAt: new Date() } }).exec();
    return result.modifiedCount === 1 ? { email: document.email } : undefined;
  }

  return {
    /** Issues a fresh token (and optionally a 6-digit code); earlier unused tokens of the same purpose stop working. */
    async issue(purpose: ActionPurpose, accountId: string, ttlSeconds: number, withCode = false, email?: string): Promise<IssuedToken> {
      await model.deleteMany({ accountId, purpose, consumedAt: { $exists: false } }).exec();
      const token = randomBytes(32).toString('base64url');
      const code = withCode ? String(randomInt(0, 1_000_000)).padStart(6, '0') : undefined;
      await model.create({
        _id: digest(token),
        purpose,
        accountId,
        codeDigest: code ? digest(`${accountId}:${code}`) : undefined,
        email,
        expiresAt: new Date(Date.now() + ttlSeconds * 1000),
      });
      return { token, code };
    },

    /** Consumes a link token atomically: it works once, before it expires. Returns the account id. */
    async consume(purpose: ActionPurpose, token: string): Promise<string | undefined> {
      const document = await model.findOneAndUpdate(
        { _id: digest(token), purpose, consumedAt: { $exists: false }, expiresAt: { $gt: new Date() } },
        { $set: { consumedAt: new Date() } },
      ).lean().exec();
      return document?.accountId;
    },

    /** Looks at a link token without consuming it (to render the reset form). */
    async peek(purpose: ActionPurpose, token: string): Promise<string | undefined> {
      const document = await model.findOne(
        { _id: digest(token), purpose, consumedAt: { $exists: false }, expiresAt: { $gt: new Date() } },
      ).lean().exec();
      return document?.accountId;
    },

    /**
     * Checks a mailed code for an account; counts attempts, so a code can be guessed at most MAX_CODE_ATTEMPTS
     * times. A right code consumes the token.
     */
    async consumeCode(purpose: ActionPurpose, accountId: string, code: string): Promise<boolean> {
      return (await redeemCode(purpose, accountId, code)) !== undefined;
    },
    redeemCode,

  };
}

export type ActionTokenService = ReturnType<typeof createActionTokenService>;
