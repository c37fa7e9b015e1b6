import { createHash, randomBytes, randomInt, timingSafeEqual } from 'node:crypto';
import type { SecretBox } from '../keys/secret-box.ts';
import type { NormalizedProfile, UpstreamTransaction } from './connector.ts';
import type { FederationModels, TransactionDocument, TransactionStatus } from './federation.models.ts';

// One upstream sign-in in flight. `state` (RFC 6749 §10.12) is random, stored only as a digest, works once
// (claimed atomically: a replayed callback finds nothing), and is bound to this browser by a cookie whose digest
// the transaction keeps, and to this interaction by its uid. The PKCE verifier is sealed at rest.

export const digest = (value: string) => createHash('sha256').update(value).digest('base64url');
export const MAX_CODE_ATTEMPTS = 5;

export function sameDigest(value: string, expectedDigest: string): boolean {
  const given = Buffer.from(digest(value));
  const expected = Buffer.from(expectedDigest);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

export function createTransactionService(deps: { models: FederationModels; box: SecretBox; ttlSeconds: number }) {
  const { FederationTransaction: model } = deps.models;

  return {
    async start(connectorId: string, interactionUid: string, binding: string, redirectUri: string, accountId?: string): Promise<UpstreamTransaction> {
      const state = randomBytes(32).toString('base64url');
      const nonce = randomBytes(32).toString('base64url');
      const codeVerifier = randomBytes(32).toString('base64url');
      await model.create({
        _id: digest(state), connectorId, interactionUid, bindingDigest: digest(binding), nonce,
        codeVerifierSealed: deps.box.seal(codeVerifier), status: 'started', accountId,
        expiresAt: new Date(Date.now() + deps.ttlSeconds * 1000),
      });
      return { state, nonce, codeVerifier, redirectUri };
    },

    /** Claims a `started` transaction by its state, once: later callbacks with the same state find nothing. */
    async claim(state: string): Promise<(TransactionDocument & { upstream: UpstreamTransaction }) | undefined> {
      const document = await model.findOneAndUpdate(
        { _id: digest(state), status: 'started', expiresAt: { $gt: new Date() } },
        { $set: { status: 'failed', error: 'federation.incomplete' } },
        { new: false },
      ).lean<TransactionDocument>().exec();
      if (!document) return undefined;
      return { ...document, upstream: { state, nonce: document.nonce, codeVerifier: deps.box.open(document.codeVerifierSealed), redirectUri: '' } };
    },

    async authenticated(id: string, profile: NormalizedProfile): Promise<void> {
      const { connectorId: _c, ...stored } = profile;
      await model.updateOne({ _id: id }, { $set: { status: 'authenticated', profile: stored }, $unset: { error: 1 } }).exec();
    },

    async failed(id: string, error: string): Promise<void> {
      await model.updateOne({ _id: id }, { $set: { status: 'failed', error } }).exec();
    },

    /** The latest transaction of this interaction in this browser (after the callback). */
    async current(interactionUid: string, binding: string | undefined): Promise<TransactionDocument | undefined> {
      if (!binding) return undefined;
      const document = await model.findOne({ interactionUid, bindingDigest: digest(binding), expiresAt: { $gt: new Date() } })
        .sort({ expiresAt: -1 }).lean<TransactionDocument>().exec();
      return document ?? undefined;
    },

    /** Whether any upstream sign-in was started for this interaction (a hint then jumps upstream only once). */
    async anyFor(interactionUid: string): Promise<boolean> {
      return (await model.exists({ interactionUid })) !== null;
    },

    async set(id: string, status: TransactionStatus, fields: Partial<TransactionDocument> = {}): Promise<void> {
      await model.updateOne({ _id: id }, { $set: { status, ...fields } }).exec();
    },

    /** A fresh 6-digit code for this transaction (the previous one stops working). */
    async issueCode(id: string, email: string): Promise<string> {
      const code = String(randomInt(0, 1_000_000)).padStart(6, '0');
      await model.updateOne({ _id: id }, { $set: { codeDigest: digest(`${id}:${code}`), codeAttempts: 0, email } }).exec();
      return code;
    },

    /** Checks a code: at most MAX_CODE_ATTEMPTS guesses per issued code, compared in constant time. */
    async checkCode(id: string, code: string): Promise<boolean> {
      const document = await model.findOneAndUpdate(
        { _id: id, codeDigest: { $exists: true }, codeAttempts: { $lt: MAX_CODE_ATTEMPTS } },
        { $inc: { codeAttempts: 1 } }, { new: true },
      ).lean<TransactionDocument>().exec();
      if (!document?.codeDigest || !sameDigest(`${id}:${code}`, document.codeDigest)) return false;
      const used = await model.updateOne({ _id: id, codeDigest: document.codeDigest }, { $unset: { codeDigest: 1 } }).exec();
      return used.modifiedCount === 1;
    },
  };
}

export type TransactionService = ReturnType<typeof createTransactionService>;
