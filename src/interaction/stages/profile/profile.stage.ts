import type { Account } from '../../../accounts/account.repository.ts';
import { AppError } from '../../../shared/app-error.ts';
import type { Audit } from '../../../shared/audit.ts';
import type { FieldErrors } from '../../../profile/attribute-schema.ts';
import { buildFields, formValue, prefill } from '../../../profile/profile-form.ts';
import type { ProfileService, ProgressiveQuestion } from '../../../profile/profile.service.ts';
import type { Stage, StageContext } from '../../stage.ts';

// The engine's `profile` prompt. Reason `missing_attributes`: a form with exactly the attributes the client requires
// and the account lacks; saving continues to the client, declining returns access_denied to it. Reason
// `progressive`: one optional question with the site's reason, which may be skipped. Which keys are asked is always
// recomputed from the prompt details and the stored account, never taken from the form.

export interface ProfileStageDeps {
  profile: ProfileService;
  findAccount(id: string): Promise<Account | null>;
  audit: Audit;
}

interface Asked {
  mode: 'missing' | 'progressive';
  keys: string[];
  question?: ProgressiveQuestion;
}

export function createProfileStage(deps: ProfileStageDeps): Stage {
  const { schema } = deps.profile;

  async function asked(stage: StageContext): Promise<{ account: Account; asked: Asked }> {
    const accountId = stage.interaction.session?.accountId;
    const account = accountId ? await deps.findAccount(accountId) : null;
    if (!account) throw new AppError('profile.no_account', 400);
    const { reasons, details } = stage.interaction.prompt;
    if (reasons.includes('missing_attributes')) {
      return { account, asked: { mode: 'missing', keys: schema.missing(account, (details.missing as string[] | undefined) ?? []) } };
    }
    const question = details.question as ProgressiveQuestion | undefined;
    return { account, asked: { mode: 'progressive', keys: question ? schema.missing(account, [question.key]) : [], question } };
  }

  function show(stage: StageContext, account: Account, what: Asked, typed?: Record<string, unknown>, errors: FieldErrors = {}) {
    const values = typed ?? prefill(schema, account, what.keys, stage.locale);
    const fields = buildFields(schema, what.keys, values, errors, stage.locale);
    const failed = Object.keys(errors).length > 0;
    const reason = what.question?.reason?.[stage.locale];
    stage.render(what.mode === 'missing' ? 'profile' : 'profile-question', {
      title: what.mode === 'missing' ? 'profile.title' : 'profile.question_title',
      fields, reason, error: failed ? 'profile.fix_fields' : undefined,
    }, failed ? 400 : 200);
  }

  /** Submitted values of the asked keys only. */
  function typedValues(form: Record<string, unknown>, keys: string[]) {
    return Object.fromEntries(keys.map((k) => [k, formValue(form, k)]));
  }

  async function submit(stage: StageContext) {
    const { account, asked: what } = await asked(stage);
    const client = stage.interaction.client.clientId;
    if (what.mode === 'missing' && stage.form.decision === 'deny') {
      deps.audit('profile.refused', { accountId: account._id, client, attributes: what.keys });
      await stage.finish({ error: 'access_denied', error_description: 'End-User refused to provide required profile attributes' }, { merge: true });
      return;
    }
    if (what.mode === 'progressive' && stage.form.skip !== undefined) {
      if (what.question) await deps.profile.skip(account._id, what.question.key, client);
      await stage.finish({ profile: { progressive: what.question?.key, skipped: true } }, { merge: true });
      return;
    }
    const typed = typedValues(stage.form, what.keys);
    const errors = await deps.profile.save(account._id, typed, what.keys, {
      source: what.mode === 'missing' ? 'completion' : 'progressive', client,
    });
    if (Object.keys(errors).length) {
      show(stage, account, what, typed, errors);
      return;
    }
    await stage.finish({ profile: what.mode === 'missing' ? { completed: what.keys } : { progressive: what.question?.key } }, { merge: true });
  }

  return {
    prompt: 'profile',
    routes: [
      {
        method: 'GET',
        path: '',
        async handle(stage) {
          const { account, asked: what } = await asked(stage);
          // Filled meanwhile (another tab, the account page): nothing left to ask, the engine re-checks.
          if (!what.keys.length) return stage.finish({ profile: {} }, { merge: true });
          show(stage, account, what);
        },
      },
      { method: 'POST', path: '', handle: submit },
    ],
  };
}
