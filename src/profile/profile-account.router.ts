import Router from '@koa/router';
import type { Context, Middleware } from 'koa';
import type { Account } from '../accounts/account.repository.ts';
import { requireSignedIn } from '../account/account.router.ts';
import type { Pages } from '../http/pages.ts';
import type { Provider } from '../oidc/provider.ts';
import type { FieldErrors } from './attribute-schema.ts';
import { buildFields, formValue, prefill } from './profile-form.ts';
import type { ProfileService } from './profile.service.ts';

// /account/profile: the person's own attributes, validated by the same schema as everywhere else. An attribute
// marked not editable can be filled once but not changed here afterwards; an empty input leaves a value unchanged.

export interface ProfileAccountDeps {
  provider: () => Provider;
  pages: Pages;
  formMiddleware: Middleware[];
  profile: ProfileService;
  findAccount(id: string): Promise<Account | null>;
}

const SHOWN = [
  'name', 'family_name', 'given_name', 'nickname', 'birthdate', 'gender', 'phone_number',
  'address.postal_code', 'address.region', 'address.locality', 'address.street_address',
];

export function createProfileAccountRouter(deps: ProfileAccountDeps): Router {
  const router = new Router();
  const { schema } = deps.profile;
  const keysFor = (account: Account) => [...SHOWN, ...schema.customKeys]
    .filter((key) => schema.get(key)?.editable || schema.missing(account, [key]).length > 0);

  function show(ctx: Context, account: Account, values?: Record<string, unknown>, errors: FieldErrors = {}, saved = false) {
    const locale = deps.pages.locale(ctx);
    const keys = keysFor(account);
    const failed = Object.keys(errors).length > 0;
    deps.pages.render(ctx, 'account/profile', {
      title: 'profile.account_title', email: account.email, saved,
      fields: buildFields(schema, keys, values ?? prefill(schema, account, keys, locale), errors, locale),
      error: failed ? 'profile.fix_fields' : undefined,
    }, { status: failed ? 400 : 200 });
  }

  async function signedInAccount(ctx: Context) {
    const signIn = await requireSignedIn(ctx, deps.provider());
    return signIn ? deps.findAccount(signIn.accountId) : null;
  }

  router.get('/account/profile', ...deps.formMiddleware, async (ctx) => {
    const account = await signedInAccount(ctx);
    if (account) show(ctx, account, undefined, {}, ctx.query.saved === '1');
  });

  router.post('/account/profile', ...deps.formMiddleware, async (ctx) => {
    const account = await signedInAccount(ctx);
    if (!account) return;
    const form = (ctx.request.body ?? {}) as Record<string, unknown>;
    const keys = keysFor(account).filter((key) => formValue(form, key) !== undefined);
    const typed = Object.fromEntries(keys.map((key) => [key, formValue(form, key)]));
    const errors = await deps.profile.save(account._id, typed, keys, { required: [], source: 'account_page' });
    if (Object.keys(errors).length) return show(ctx, account, typed, errors);
    ctx.status = 303;
    ctx.redirect('/account/profile?saved=1');
  });

  return router;
}
