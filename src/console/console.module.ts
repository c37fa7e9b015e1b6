import Router from '@koa/router';
import type { Middleware } from 'koa';
import type { AccountModel } from '../accounts/account.model.ts';
import type { OperationInvoker } from '../admin/operation-invoker.ts';
import type { AuditEventModel } from '../audit/audit-event.model.ts';
import type { Config } from '../config/config.schema.ts';
import type { Pages } from '../http/pages.ts';
import type { Provider } from '../oidc/provider.ts';
import type { AttributeSchema } from '../profile/attribute-schema.ts';
import { registerApplicationPages } from './applications.section.ts';
import { createConsoleAuth } from './console-auth.ts';
import { CONSOLE_CLIENT_ID } from './console-client.ts';
import { createConsolePages } from './console-page.ts';
import { registerDashboard } from './dashboard.section.ts';
import { registerFederationPages } from './federation.section.ts';
import { registerLeadPages } from './leads.section.ts';
import { registerRecordPages } from './records.section.ts';
import { registerUserPages } from './users.section.ts';
import { registerWebhookPages } from './webhooks.section.ts';

// The admin console at /admin: server-rendered pages (handlebars, no script) for accounts with the role admin or
// auditor, signed in through our engine with MFA. Every action is an admin API operation run as that person.

export function createConsoleModule(deps: {
  config: Config; provider: () => Provider; pages: Pages; invoker: OperationInvoker; schema: AttributeSchema;
  accounts: AccountModel; events: AuditEventModel;
}) {
  const auth = createConsoleAuth({ config: deps.config, provider: deps.provider, findAccount: (id) => deps.accounts.findById(id).lean().exec() });
  const pages = createConsolePages({ pages: deps.pages, invoker: deps.invoker });

  return {
    router(form: Middleware[]): Router {
      const router = new Router();
      router.get('/admin/login', (ctx) => auth.login(ctx));
      router.get('/admin/callback', async (ctx) => {
        if (!(await auth.callback(ctx))) deps.pages.render(ctx, 'pages/error', { code: 'account.sign_in_failed' }, { status: 400 });
      });
      router.get('/admin/logout', (ctx) => ctx.redirect(`/session/end?client_id=${CONSOLE_CLIENT_ID}`));
      registerDashboard(router, { auth, pages, form, events: deps.events, accounts: deps.accounts });
      registerUserPages(router, { auth, pages, schema: deps.schema, form });
      registerApplicationPages(router, { auth, pages, form });
      registerFederationPages(router, { auth, pages, form, allowPrivateMetadata: deps.config.nodeEnv !== 'production' });
      registerRecordPages(router, { auth, pages, form });
      registerLeadPages(router, { auth, pages, form });
      registerWebhookPages(router, { auth, pages, form });
      return router;
    },
  };
}

export type ConsoleModule = ReturnType<typeof createConsoleModule>;
