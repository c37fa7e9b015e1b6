import type Router from '@koa/router';
import type { Context, Middleware } from 'koa';
import { LEAD_STATUSES } from '../leads/lead.model.ts';
import type { ConsoleAuth, ConsoleUser } from './console-auth.ts';
import { text, confirmation, consoleRoute, type ConsolePages } from './console-page.ts';

// Leads (lite registrations without a password): a page at a time, found by exact address or status; one lead with
// everything kept about it (consents with their receipts' ids, attributes, submissions waiting for their mailed
// link); and erasure (GDPR art. 17), confirmed first.

const STATUSES: readonly string[] = LEAD_STATUSES;
const ID = /^ld_[0-9a-f]{24}$/;

export function registerLeadPages(router: Router, deps: { auth: ConsoleAuth; pages: ConsolePages; form: Middleware[] }) {
  const { auth, pages } = deps;
  const guard = (page: (ctx: Context, user: ConsoleUser) => Promise<void>) => consoleRoute(auth, pages, page);

  router.get('/admin/leads', ...deps.form, guard(async (ctx, user) => {
    const q = text(ctx.query.q)?.slice(0, 320) ?? '';
    const status = STATUSES.includes(String(ctx.query.status)) ? String(ctx.query.status) : '';
    const cursor = text(ctx.query.cursor);
    const found = await pages.call(ctx, user, 'listLeads', {
      query: { ...(q ? { email: q } : {}), ...(status ? { status } : {}), limit: '50', ...(cursor ? { cursor } : {}) },
    });
    pages.render(ctx, user, 'leads', {
      title: 'console.leads.title', q, error: found.error, done: text(ctx.query.done) ? `console.done.${ctx.query.done}` : undefined,
      statuses: STATUSES.map((value) => ({ value, selected: value === status })),
      leads: (found.body?.items ?? []).map((l: Record<string, any>) => ({ ...l, consentCount: l.consents?.length ?? 0 })),
      next: found.body?.next_cursor ? `/admin/leads?${new URLSearchParams({ q, status, cursor: found.body.next_cursor })}` : undefined,
    }, found.ok ? 200 : found.status);
  }));

  async function show(ctx: Context, user: ConsoleUser, id: string, extra: Record<string, unknown> = {}, status = 200) {
    const lead = ID.test(id) ? await pages.call(ctx, user, 'getLead', { params: { id } }) : undefined;
    if (!lead?.ok) return pages.render(ctx, user, 'not-found', { title: 'console.not_found' }, 404);
    const pairs = (values: Record<string, unknown> = {}) => Object.entries(values).map(([key, value]) => ({ key, value: String(value) }));
    pages.render(ctx, user, 'lead', {
      title: 'console.lead.title', lead: lead.body, attributes: pairs(lead.body.attributes),
      unconfirmed: (lead.body.unconfirmed ?? []).map((s: Record<string, any>) => ({ ...s, attributes: pairs(s.attributes) })),
      ...extra,
    }, status);
  }

  router.get('/admin/leads/:id', ...deps.form, guard((ctx, user) => show(ctx, user, ctx.params.id!)));

  router.post('/admin/leads/:id', ...deps.form, guard(async (ctx, user) => {
    const id = ctx.params.id!;
    const form = (ctx.request.body ?? {}) as Record<string, string>;
    if (form.action !== 'delete') return show(ctx, user, id, { error: { code: 'request.invalid' } }, 400);
    if (form.confirmed !== 'yes') {
      return confirmation(pages, ctx, user, 'console.confirm.lead_delete', `/admin/leads/${encodeURIComponent(id)}`, [{ name: 'action', value: 'delete' }]);
    }
    const removed = await pages.call(ctx, user, 'deleteLead', { params: { id } });
    if (!removed.ok) return show(ctx, user, id, { error: removed.error }, removed.status);
    ctx.status = 303;
    ctx.redirect('/admin/leads?done=lead_deleted');
  }));
}
