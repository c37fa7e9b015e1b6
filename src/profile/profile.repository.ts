import type { AccountModel } from '../accounts/account.model.ts';
import type { Account } from '../accounts/account.repository.ts';
import type { AttributeSchema, AttributeValue } from './attribute-schema.ts';

// Writes of profile values and progressive-profiling state on the account document, so that the one read the
// engine already makes per authorization (findAccount) brings everything the profile prompt needs.

/** A skipped attribute key as a field name: `address.postal_code` must not become a nested path. */
export const skipField = (key: string) => key.replace(/\./g, '~');

export function createProfileRepository(model: AccountModel, schema: AttributeSchema) {
  return {
    findById: (id: string) => model.findById(id).lean<Account>().exec(),

    /** Sets validated values; a phone number set this way is unverified until proven (SMS comes later). */
    async setValues(accountId: string, values: Record<string, AttributeValue>): Promise<boolean> {
      const set: Record<string, unknown> = {};
      for (const [key, value] of Object.entries(values)) {
        const definition = schema.get(key);
        if (!definition || key === 'email') continue;
        set[definition.standard ? `profile.${key}` : `custom.${key}`] = value;
        if (key === 'phone_number') set['profile.phone_number_verified'] = false;
      }
      if (!Object.keys(set).length) return false;
      const result = await model.updateOne({ _id: accountId }, { $set: set }).exec();
      return result.matchedCount === 1;
    },

    /** Removes values (an administrator or a directory cleared them). */
    async unsetValues(accountId: string, keys: string[]): Promise<void> {
      const unset: Record<string, 1> = {};
      for (const key of keys) {
        const definition = schema.get(key);
        if (!definition || key === 'email') continue;
        unset[definition.standard ? `profile.${key}` : `custom.${key}`] = 1;
        if (key === 'phone_number') unset['profile.phone_number_verified'] = 1;
      }
      if (Object.keys(unset).length) await model.updateOne({ _id: accountId }, { $unset: unset }).exec();
    },

    /** Once per sign-in: the driver's update, without a mongoose query's casting and captured stack (nothing to cast). */
    async countSignIn(accountId: string): Promise<void> {
      await model.collection.updateOne({ _id: accountId as never }, { $inc: { 'profiling.signIns': 1 } });
    },

    async markSkipped(accountId: string, key: string, at: Date): Promise<void> {
      await model.updateOne({ _id: accountId }, { $set: { [`profiling.skipped.${skipField(key)}`]: at } }, { timestamps: false }).exec();
    },
  };
}

export type ProfileRepository = ReturnType<typeof createProfileRepository>;
