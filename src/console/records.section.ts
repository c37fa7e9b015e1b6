import type Router from '@koa/router';
import type { Context, Middleware } from 'koa';
import type { ConsoleAuth, ConsoleUser } from './console-auth.ts';
import { text, confirmation, consoleRoute, type ConsolePages } from './console-page.ts';

// Legal documents (add a draft version as JSON, publish it) and the audit log with its filters.

export function registerRecordPages(router: Router, deps: { auth: ConsoleAuth; pages: ConsolePages; form: Middleware[] }) {
  const { auth, pages } = deps;
  const guard = (page: (ctx: Context, user: ConsoleUser) => Promise<void>) => consoleRoute(auth, pages, page);

  async function listLegal(ctx: Context, user: ConsoleUser, extra: Record<string, unknown> = {}, status = 200) {
    const versions = await pages.call(ctx, user, 'listLegalDocumentVersions');
    const items = (versions.body?.items ?? []).map((v: Record<string, any>) => ({ ...v, draft: v.status === 'draft', title: v.content?.[pages.locale(ctx)]?.title ?? v.content?.ja?.title ?? v.content?.en?.title }));
    pages.render(ctx, user, 'legal', { title: 'console.legal.title', versions: items, ...extra }, status);
  }

  router.get('/admin/legal', ...deps.form, guard((ctx, user) => listLegal(ctx, user)));
  router.post('/admin/legal', ...deps.form, guard(async (ctx, user) => {
    const form = (ctx.request.body ?? {}) as Record<string, string>;
    if (form.action === 'publish') {
      if (form.confirmed !== 'yes') {
        return confirmation(pages, ctx, user, 'console.confirm.legal_publish', '/admin/legal',
          [{ name: 'action', value: 'publish' }, { name: 'id', value: form.id ?? '' }, { name: 'version', value: form.version ?? '' }]);
      }
      const published = await pages.call(ctx, user, 'publishLegalDocumentVersion', { params: { id: form.id, version: form.version } });
      return published.ok ? void ctx.redirect('/admin/legal?done=published') : listLegal(ctx, user, { error: published.error }, published.status);
    }
    let body: unknown;
    try {
      body = JSON.parse(form.json ?? '');
    } catch {
      return listLegal(ctx, user, { error: { code: 'request.invalid_json' }, values: form }, 400);
    }
    const added = await pages.call(ctx, user, 'addLegalDocumentVersion', { body });
    if (!added.ok) return listLegal(ctx, user, { error: added.error, values: form }, added.status);
    ctx.status = 303;
    ctx.redirect('/admin/legal?done=added');
  }));

  router.get('/admin/audit', ...deps.form, guard(async (ctx, user) => {
    const filters = Object.fromEntries(['account', 'type', 'client', 'since', 'until', 'cursor']
      .map((key) => [key, text(ctx.query[key])]).filter(([, value]) => value !== undefined)) as Record<string, string>;
    // Dates typed as YYYY-MM-DD in the filter form mean the start of that day (UTC); `until` includes its day.
    const query: Record<string, string> = { ...filters, limit: '50' };
    if (filters.since && /^\d{4}-\d{2}-\d{2}$/.test(filters.since)) query.since = `${filters.since}T00:00:00Z`;
    if (filters.until && /^\d{4}-\d{2}-\d{2}$/.test(filters.until)) query.until = new Date(Date.parse(`${filters.until}T00:00:00Z`) + 86_400_000).toISOString();
    const page = await pages.call(ctx, user, 'listAuditEvents', { query });
    const { cursor: _cursor, ...kept } = filters;
    pages.render(ctx, user, 'audit', {
      title: 'console.audit.title', filters, error: page.error,
      events: (page.body?.items ?? []).map((e: Record<string, any>) => ({ ...e, failure: e.outcome === 'failure', at: String(e.at).replace('T', ' ').slice(0, 19) })),
      next: page.body?.next_cursor ? `/admin/audit?${new URLSearchParams({ ...kept, cursor: page.body.next_cursor })}` : undefined,
    }, page.ok ? 200 : page.status);
  }));
}
