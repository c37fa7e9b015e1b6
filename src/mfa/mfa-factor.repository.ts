import { randomUUID } from 'node:crypto';
import type { FactorModel, FactorRecord, FactorType, WebAuthnCredentialData } from './mfa-factor.model.ts';

// Reads and atomic updates of enrolled factors. Every "use once" rule is a conditional update, so two requests
// racing with the same code cannot both succeed.
export function createFactorRepository(model: FactorModel) {
  return {
    async list(accountId: string, type?: FactorType): Promise<FactorRecord[]> {
      return model.find({ accountId, ...(type ? { type } : {}) }).sort({ createdAt: 1 }).lean<FactorRecord[]>().exec();
    },
    async insert(record: Omit<FactorRecord, '_id' | 'createdAt'>): Promise<FactorRecord> {
      const document = await model.create({ ...record, _id: randomUUID(), createdAt: new Date() });
      return document.toObject() as FactorRecord;
    },
    async remove(accountId: string, id: string): Promise<FactorRecord | null> {
      return model.findOneAndDelete({ _id: id, accountId }).lean<FactorRecord>().exec();
    },
    async rename(accountId: string, id: string, name: string): Promise<boolean> {
      return (await model.updateOne({ _id: id, accountId }, { $set: { name } }).exec()).modifiedCount === 1;
    },
    /** RFC 6238 §5.2: accepts a time step only if it is later than the last accepted one. */
    async advanceTotpStep(id: string, step: number): Promise<boolean> {
      const result = await model.updateOne(
        { _id: id, $or: [{ lastStep: { $exists: false } }, { lastStep: { $lt: step } }] },
        { $set: { lastStep: step, lastUsedAt: new Date() } },
      ).exec();
      return result.modifiedCount === 1;
    },
    async consumeRecoveryDigest(accountId: string, digest: string): Promise<string | undefined> {
      const document = await model.findOneAndUpdate(
        { accountId, type: 'recovery', codeDigests: digest },
        { $pull: { codeDigests: digest }, $set: { lastUsedAt: new Date() } },
      ).lean<FactorRecord>().exec();
      return document?._id;
    },
    async replaceRecovery(accountId: string, codeDigests: string[], name: string): Promise<void> {
      await model.deleteMany({ accountId, type: 'recovery' }).exec();
      await model.create({ _id: randomUUID(), accountId, type: 'recovery', name, codeDigests, createdAt: new Date() });
    },
    async findByCredentialId(credentialId: string): Promise<FactorRecord | null> {
      return model.findOne({ type: 'webauthn', 'credential.credentialId': credentialId }).lean<FactorRecord>().exec();
    },
    /** WebAuthn L3 §7.2 step 22: the signature counter only moves forward (0 = the authenticator keeps none). */
    async updateCredentialUse(id: string, counter: number, previous: number): Promise<boolean> {
      const result = await model.updateOne(
        { _id: id, 'credential.counter': previous },
        { $set: { 'credential.counter': counter, lastUsedAt: new Date() } },
      ).exec();
      return result.modifiedCount === 1;
    },
  };
}

export type FactorRepository = ReturnType<typeof createFactorRepository>;
export type { WebAuthnCredentialData };
