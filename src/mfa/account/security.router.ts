import Router from '@koa/router';
import type { Context, Middleware } from 'koa';
import type { Connection } from 'mongoose';
import { z } from 'zod';
import type { Config } from '../../config/config.schema.ts';
import { isAppError } from '../../shared/app-error.ts';
import type { Pages } from '../../http/pages.ts';
import { createEngineClients } from '../../oidc/engine-store.ts';
import type { Provider } from '../../oidc/provider.ts';
import { ACR } from '../acr.ts';
import type { MfaModule } from '../mfa.module.ts';
import { requireSignedIn } from '../../account/account.router.ts';

// /account/security: list, name, remove factors, new recovery codes, forget remembered devices: a person manages
// their own factors without asking support. Authentication is the engine's own sign-in session (its session cookie,
// read through provider.Session.get), never a parameter. Every change is a CSRF-protected POST; the account change guard in front
// of all account pages (src/account/account-change-guard.ts) has already asked for a recent sign-in and the second
// factor when the account has one, so a forgotten open browser or a stolen password alone cannot weaken MFA.
// Adding a factor reuses the sign-in's enrol pages: "Add a method" starts a fresh account sign-in that asks for
// enrolment (addFactorUrl), and the person comes back here, where the new factor is listed.

export interface SecurityRouterDeps {
  config: Config;
  db: NonNullable<Connection['db']>;
  provider: () => Provider;
  mfa: MfaModule;
  pages: Pages;
  formMiddleware: Middleware[];
}

const idForm = z.object({ id: z.string().min(1).max(200) });
const renameForm = idForm.extend({ name: z.string().trim().min(1).max(60) });

/**
 * A fresh sign-in of the account client that asks to enrol (`enrol=1` becomes idp_enrol=1, see mfa.prompt.ts).
 * With a factor already, it asks for MFA first, so a stolen password alone cannot add the thief's factor.
 */
export function addFactorUrl(hasFactor: boolean): string {
  const query = new URLSearchParams({
    return: '/account/security', enrol: '1', max_age: '0', ...(hasFactor ? { acr_values: ACR.mfa } : {}),
  });
  return `/account/login?${query}`;
}

export function createSecurityRouter(deps: SecurityRouterDeps): Router {
  const router = new Router({ prefix: '/account/security' });
  const engineClients = createEngineClients(deps.db);

  /** An account that signs in to a client requiring MFA must keep a factor (looked up through its grants). */
  const mustKeepMfa = (accountId: string): Promise<boolean> => engineClients.grantedToMfaRequiredClient(accountId);

  async function show(ctx: Context, accountId: string, model: Record<string, unknown> = {}, status = 200) {
    const [factors, devices] = await Promise.all([deps.mfa.mfa.list(accountId), deps.mfa.devices.listRemembered(accountId)]);
    deps.pages.render(ctx, 'account/security', {
      title: 'mfa.account.title',
      factors: factors.map((f) => ({ ...f, label: `mfa.factor.${f.type}`, added: f.createdAt.toISOString().slice(0, 10), isRecovery: f.type === 'recovery' })),
      devices: devices.map((d) => ({ id: d._id, userAgent: d.userAgent ?? '', until: d.rememberedUntil?.toISOString().slice(0, 10) })),
      addUrl: addFactorUrl(factors.some((f) => f.type !== 'recovery')),
      ...model,
    }, { status });
  }

  router.get('/', ...deps.formMiddleware, async (ctx) => {
    const session = await requireSignedIn(ctx, deps.provider());
    if (!session) return;
    await show(ctx, session.accountId);
  });

  /** A change (the level and freshness of the sign-in are the account change guard's), shown on the page again. */
  const change = (work: (ctx: Context, accountId: string) => Promise<Record<string, unknown> | void>) => async (ctx: Context) => {
    const session = await requireSignedIn(ctx, deps.provider());
    if (!session) return;
    try {
      const model = await work(ctx, session.accountId);
      await show(ctx, session.accountId, { notice: 'mfa.account.saved', ...(model ?? {}) });
    } catch (error) {
      if (!isAppError(error) || error.status >= 500) throw error;
      await show(ctx, session.accountId, { errorKey: `mfa.errors.${error.code.replace(/^mfa\./, '')}` }, error.status);
    }
  };
  const parse = <T extends z.ZodType>(schema: T, ctx: Context): z.output<T> => {
    const result = schema.safeParse(ctx.request.body);
    if (!result.success) throw Object.assign(new Error('bad form'), { status: 400, type: 'form' });
    return result.data;
  };

  router.post('/remove', ...deps.formMiddleware, change(async (ctx, accountId) => {
    await deps.mfa.mfa.remove(accountId, parse(idForm, ctx).id, { mfaRequired: await mustKeepMfa(accountId) });
  }));
  router.post('/rename', ...deps.formMiddleware, change(async (ctx, accountId) => {
    const input = parse(renameForm, ctx);
    await deps.mfa.mfa.rename(accountId, input.id, input.name);
  }));
  router.post('/recovery-codes', ...deps.formMiddleware, change(async (_ctx, accountId) => ({
    recoveryCodes: await deps.mfa.mfa.regenerateRecoveryCodes(accountId),
  })));
  router.post('/devices/forget', ...deps.formMiddleware, change(async (ctx, accountId) => {
    await deps.mfa.devices.forget(accountId, parse(idForm, ctx).id);
  }));
  return router;
}
