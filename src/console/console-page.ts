import type { Context, Middleware } from 'koa';
import type { OperationInvoker } from '../admin/operation-invoker.ts';
import { ApiProblem, toProblem } from '../admin/problem.ts';
import type { Pages } from '../http/pages.ts';
import type { ConsoleAuth, ConsoleUser } from './console-auth.ts';

// What every console page shares: the layout with its navigation, the signed-in person and role, and calls into
// the admin API's operations as that person (the API's own scope checks and validation apply).

export const NAV = [
  { href: '/admin', label: 'console.nav.dashboard' },
  { href: '/admin/users', label: 'console.nav.users' },
  { href: '/admin/clients', label: 'console.nav.clients' },
  { href: '/admin/saml', label: 'console.nav.saml' },
  { href: '/admin/connectors', label: 'console.nav.connectors' },
  { href: '/admin/legal', label: 'console.nav.legal' },
  { href: '/admin/leads', label: 'console.nav.leads' },
  { href: '/admin/webhooks', label: 'console.nav.webhooks' },
  { href: '/admin/audit', label: 'console.nav.audit' },
];

export interface ConsoleCall {
  ok: boolean;
  status: number;
  body: any;
  /** For a refused call: the problem's code (an i18n key under errors.) and detail. */
  error?: { code: string; detail?: string; field?: string };
}

export function createConsolePages(deps: { pages: Pages; invoker: OperationInvoker }) {
  return {
    locale: (ctx: Context) => deps.pages.locale(ctx),
    /** Signed in, but without a console role. */
    renderForbidden(ctx: Context) {
      deps.pages.render(ctx, 'console/forbidden', { title: 'console.forbidden.title' }, { status: 403 });
    },
    render(ctx: Context, user: ConsoleUser, view: string, model: Record<string, unknown>, status = 200) {
      const nav = NAV.map((item) => ({ ...item, current: item.href === '/admin' ? ctx.path === '/admin' : ctx.path.startsWith(item.href) }));
      deps.pages.render(ctx, `console/${view}`, {
        ...model, nav, me: { email: user.account.email, role: `console.role.${user.role}`, canWrite: user.role === 'admin' },
      }, { status, layout: 'console' });
    },
    /** An admin API operation as the signed-in person; refusals come back as values for the page to show. */
    async call(ctx: Context, user: ConsoleUser, operationId: string, input: { params?: Record<string, unknown>; query?: Record<string, unknown>; body?: unknown } = {}): Promise<ConsoleCall> {
      try {
        const result = await deps.invoker.invoke(operationId, input, user.principal, ctx);
        // Exactly what the HTTP API would answer (dates as RFC 3339 strings ...).
        return { ok: true, status: result.status, body: result.body === undefined ? undefined : JSON.parse(JSON.stringify(result.body)) };
      } catch (error) {
        const problem = error instanceof ApiProblem ? error : toProblem(error);
        if (problem.problem.status >= 500) throw error;
        const { code = 'request.invalid', detail, field } = problem.problem;
        return { ok: false, status: problem.problem.status, body: undefined, error: { code, detail, field } };
      }
    },
  };
}

export type ConsolePages = ReturnType<typeof createConsolePages>;

/** One line per entry of a textarea (redirect URIs ...), blank lines dropped. */
export const lines = (value: unknown): string[] => (typeof value === 'string' ? value.split(/\r?\n/).map((l) => l.trim()).filter(Boolean) : []);
export const text = (value: unknown): string | undefined => (typeof value === 'string' && value.trim() ? value.trim() : undefined);

/** A console page handler: runs only for a signed-in person with a console role (else the sign-in or 403 is answered). */
export function consoleRoute(auth: ConsoleAuth, pages: ConsolePages, page: (ctx: Context, user: ConsoleUser) => Promise<void>): Middleware {
  return async (ctx) => {
    const user = await auth.require(ctx);
    if (user) return page(ctx, user);
    if (ctx.status === 403) pages.renderForbidden(ctx);
  };
}

/** The confirmation step of a destructive action: the same POST again, with confirmed=yes. */
export function confirmation(pages: ConsolePages, ctx: Context, user: ConsoleUser, question: string, action: string, fields: Array<{ name: string; value: string }>, back = action) {
  pages.render(ctx, user, 'confirm', { title: 'console.confirm.title', question, action, fields, back });
}
