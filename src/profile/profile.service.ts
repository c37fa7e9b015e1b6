import type { Account } from '../accounts/account.repository.ts';
import type { Audit } from '../shared/audit.ts';
import type { AttributeSchema, FieldErrors } from './attribute-schema.ts';
import type { ProfileConfig } from './profile-config.schema.ts';
import type { ProgressiveProfiling } from './profile-metadata.ts';
import { skipField, type ProfileRepository } from './profile.repository.ts';

// Profile values and progressive profiling. Values are validated against the attribute schema here, whoever writes
// them (profile completion, progressive question, account page, CLI); the audit trail names the attributes, never
// their values (personal data stays out of logs).

export type ProfileSource = 'completion' | 'progressive' | 'account_page' | 'admin' | 'signup' | 'lead';

export interface ProgressiveQuestion {
  key: string;
  reason?: { ja?: string; en?: string };
}

const DAY = 24 * 3600 * 1000;

export interface ProfileServiceDeps {
  schema: AttributeSchema;
  repository: ProfileRepository;
  config: ProfileConfig;
  audit: Audit;
}

export function createProfileService(deps: ProfileServiceDeps) {
  const { schema, repository, audit } = deps;

  return {
    schema,

    /**
     * Validates `input` for `keys` (all of `required` must be given) and stores what is valid when nothing fails.
     * Returns the field errors (empty: saved).
     */
    async save(accountId: string, input: Record<string, unknown>, keys: string[], options: { required?: string[]; source: ProfileSource; client?: string }): Promise<FieldErrors> {
      const { values, errors } = schema.validate(input, keys, options.required ?? keys);
      if (Object.keys(errors).length) return errors;
      if (Object.keys(values).length) {
        await repository.setValues(accountId, values);
        audit('profile.updated', { accountId, attributes: Object.keys(values), source: options.source, client: options.client });
      }
      return {};
    },

    /** Removes values of `keys` (attributes an administrator or a directory cleared). */
    async clear(accountId: string, keys: string[], options: { source: ProfileSource }): Promise<void> {
      if (!keys.length) return;
      await repository.unsetValues(accountId, keys);
      audit('profile.updated', { accountId, cleared: keys, source: options.source });
    },

    /** Counts a completed sign-in (an accepted authorization), which progressive profiling waits for. */
    countSignIn: (accountId: string) => repository.countSignIn(accountId),

    async skip(accountId: string, key: string, client: string): Promise<void> {
      await repository.markSkipped(accountId, key, new Date());
      audit('profile.question_skipped', { accountId, attribute: key, client });
    },

    /**
     * The next optional question for this account under a client's progressive policy, or none: only once the
     * account has enough sign-ins (or age), in the client's order, not already answered, not skipped recently.
     */
    nextQuestion(account: Account, policy: ProgressiveProfiling, now = new Date()): ProgressiveQuestion | undefined {
      const defaults = deps.config.progressive;
      const afterSignIns = policy.after_sign_ins ?? defaults.afterSignIns;
      const afterDays = policy.after_days ?? defaults.afterDays;
      const skipDays = policy.skip_days ?? defaults.skipDays;
      const signIns = account.profiling?.signIns ?? 0;
      const ageDays = (now.getTime() - new Date(account.createdAt).getTime()) / DAY;
      if (signIns < afterSignIns && (afterDays === undefined || ageDays < afterDays)) return undefined;
      for (const entry of policy.attributes) {
        const attribute = typeof entry === 'string' ? entry : entry.attribute;
        const [key] = schema.missing(account, [attribute]);
        if (!key) continue;
        const skipped = account.profiling?.skipped?.[skipField(attribute)];
        if (skipped && now.getTime() - new Date(skipped).getTime() < skipDays * DAY) continue;
        return { key: attribute, reason: (typeof entry === 'string' ? undefined : entry.reason) ?? policy.reason };
      }
      return undefined;
    },
  };
}

export type ProfileService = ReturnType<typeof createProfileService>;
