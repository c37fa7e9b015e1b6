import Router from '@koa/router';
import type { Context, Middleware } from 'koa';
import { z } from 'zod';
import type { Pages } from '../../http/pages.ts';
import { sessionUidOf } from '../../oidc/signed-in.ts';
import type { Provider } from '../../oidc/provider.ts';
import { requireSignedIn } from '../account.router.ts';
import type { SessionDevices } from '../sessions/session-devices.service.ts';
import type { SelfApps } from './apps.service.ts';
import { readForm, seeOther, shortTime } from './page-helpers.ts';
import type { SelfSessions } from './sessions.service.ts';

// /account/sessions (sign-in sessions and the browsers behind them) and /account/apps (connected apps). Each change
// is one service call; the account change guard and the CSRF check have run before any POST reaches here.

export interface SessionsAppsRouterDeps {
  provider: () => Provider;
  pages: Pages;
  formMiddleware: Middleware[];
  sessions: SelfSessions;
  apps: SelfApps;
  devices: SessionDevices;
}

const sessionForm = z.object({ session: z.string().min(1).max(200) });
const grantForm = z.object({ grant: z.string().min(1).max(300) });

export function createSessionsAppsRouter(deps: SessionsAppsRouterDeps): Router {
  const router = new Router();

  /** The signed-in account and this browser's session uid (its "last seen" refreshed), or a redirect to sign in. */
  async function signedIn(ctx: Context) {
    const signIn = await requireSignedIn(ctx, deps.provider());
    if (!signIn) return undefined;
    const uid = await sessionUidOf(deps.provider(), ctx);
    if (uid && ctx.method === 'GET') await deps.devices.touch(uid, signIn.accountId, ctx);
    return { accountId: signIn.accountId, uid };
  }

  router.get('/account/sessions', ...deps.formMiddleware, async (ctx) => {
    const me = await signedIn(ctx);
    if (!me) return;
    const items = (await deps.sessions.list(me.accountId, me.uid)).map((s) => ({
      ...s, signedInAt: shortTime(s.signedInAt), lastSeenAt: shortTime(s.lastSeenAt),
    }));
    deps.pages.render(ctx, 'account/sessions', {
      title: 'self_service.sessions.title', nav: 'sessions',
      current: items.filter((s) => s.current), others: items.filter((s) => !s.current),
      ended: ctx.query.ended === undefined ? undefined : Number(ctx.query.ended) || 0,
    });
  });

  router.post('/account/sessions/end', ...deps.formMiddleware, async (ctx) => {
    const me = await signedIn(ctx);
    if (!me) return;
    const form = readForm(sessionForm, ctx);
    // This browser signs out with the sign-out link (the engine's logout), not from this list.
    const ended = form && form.session !== me.uid ? await deps.sessions.endOne(me.accountId, form.session) : false;
    seeOther(ctx, `/account/sessions?ended=${ended ? 1 : 0}`);
  });

  router.post('/account/sessions/end-others', ...deps.formMiddleware, async (ctx) => {
    const me = await signedIn(ctx);
    if (!me) return;
    const ended = await deps.sessions.endOthers(me.accountId, me.uid);
    seeOther(ctx, `/account/sessions?ended=${ended}`);
  });

  router.get('/account/apps', ...deps.formMiddleware, async (ctx) => {
    const me = await signedIn(ctx);
    if (!me) return;
    const locale = deps.pages.locale(ctx);
    const [apps, saml] = await Promise.all([deps.apps.list(me.accountId, locale), deps.apps.samlApps(me.accountId)]);
    deps.pages.render(ctx, 'account/apps', {
      title: 'self_service.apps.title', nav: 'apps',
      apps: apps.map((a) => ({ ...a, grantedAt: shortTime(a.grantedAt), scopes: a.scopes.join(' ') })),
      saml: saml.map((s) => ({ ...s, until: shortTime(s.until) })),
      revoked: ctx.query.revoked === '1',
    });
  });

  router.post('/account/apps/revoke', ...deps.formMiddleware, async (ctx) => {
    const me = await signedIn(ctx);
    if (!me) return;
    const form = readForm(grantForm, ctx);
    const revoked = form ? await deps.apps.revoke(me.accountId, form.grant) : false;
    seeOther(ctx, `/account/apps${revoked ? '?revoked=1' : ''}`);
  });

  return router;
}
